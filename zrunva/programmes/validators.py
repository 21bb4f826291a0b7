"""The bounds of the figures programmes work with: one definition, used by the rule checker, the
parameter model, its form and services, and the eligibility engine's run-time guard."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The largest number a rule may write and a parameter may hold (in size): no threshold, amount,
# age or share comes near it, and it keeps every shipped formula far inside what can be stored.
LARGEST_NUMBER = 10**9
# The largest monthly amount a decision can hold all the way to payment: `Decision.amount` is
# numeric(12, 2), but the amount decided goes on into `Application.decision_amount` and
# `Enrolment.amount`, numeric(10, 2); the smallest of them bounds it.
LARGEST_AMOUNT = Decimal("99999999.99")


def validate_parameter_value(value) -> None:
    """A parameter's value is at most `LARGEST_NUMBER` in size."""
    if value is not None and abs(value) > LARGEST_NUMBER:
        raise ValidationError(
            _("A parameter's value must lie between -%(limit)s and %(limit)s."),
            code="too_large",
            params={"limit": f"{LARGEST_NUMBER:,}"},
        )
