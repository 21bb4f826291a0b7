"""Rules on values that several apps hold, each defined once and used by the models, the forms
and the API schemas alike (zrunva.core.api publishes the same bounds in the OpenAPI document)."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# A Georgian personal number: 11 digits.
PERSONAL_NUMBER_PATTERN = r"^\d{11}$"
personal_number_validator = RegexValidator(
    PERSONAL_NUMBER_PATTERN, _("A personal number has exactly 11 digits.")
)

# Dates the rules are evaluated on (runs, periods, explanations): from Georgia's independence
# to 2100; ages and parameter histories are only meaningful in between.
FIRST_DAY, LAST_DAY = date(1991, 1, 1), date(2100, 12, 31)
# Dates of a life (birth, death, joining a household): nobody alive was born earlier.
FIRST_LIFE_DAY = date(1900, 1, 1)


def day_in_range(value: date, first: date = FIRST_DAY, last: date = LAST_DAY) -> None:
    """Raise ValidationError unless `value` is from `first` to `last` (by default the dates the
    rules are evaluated on)."""
    if not first <= value <= last:
        raise ValidationError(
            _("Choose a date between %(first)s and %(last)s."),
            code="date_out_of_range",
            params={"first": first.isoformat(), "last": last.isoformat()},
        )


def largest_value(field: models.Field) -> int | Decimal | None:
    """The largest value a model's number field accepts: its smallest MaxValueValidator limit
    (an integer column's range among them) or, for a DecimalField, the widest number its digits
    hold (9 digits, 2 places: 9999999.99); None if it has no bound. The API schemas and the
    rule checker publish and use a column's bound through this, never a copy of it."""
    limits = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    if isinstance(field, models.DecimalField):
        places = field.decimal_places
        limits.append(Decimal(10) ** (field.max_digits - places) - Decimal(10) ** -places)
    return min(limits) if limits else None
