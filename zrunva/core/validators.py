"""Rules on values that several apps hold, each defined once and used by the models, the forms
and the API schemas alike (zrunva.core.api publishes the same bounds in the OpenAPI document)."""

import re
from datetime import date
from decimal import Decimal

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidLength,
    SchwiftyException,
)

# A Georgian personal number: 11 digits, ASCII only (Python's \d would also take ١٢٣ and other
# scripts' digits, which no ID card carries and which would not match the stored number).
PERSONAL_NUMBER_PATTERN = r"^[0-9]{11}$"
personal_number_validator = RegexValidator(
    PERSONAL_NUMBER_PATTERN, _("A personal number has exactly 11 digits.")
)

# A phone number as people write it: Georgian without the country code (555 12 34 56, 0322 12
# 34 56) or any country's with it (+995 555 12 34 56, +44 7700 900123). Only digits, spaces,
# brackets and dashes; then Google's libphonenumber (phonenumberslite) checks the number has a
# possible length for its country. Not `is_valid_number`: its allocation tables change, and a
# number refused for that would be a citizen's real phone.
PHONE_REGION = "GE"
_PHONE_CHARACTERS = re.compile(r"\+?[\d ()-]{5,28}")
PHONE_MESSAGE = _("Enter a phone number, e.g. 555 12 34 56 or +995 555 12 34 56.")


def phone_validator(value: str) -> None:
    if not value:
        return
    try:
        if not _PHONE_CHARACTERS.fullmatch(value):
            raise phonenumbers.NumberParseException(0, "characters")
        possible = phonenumbers.is_possible_number(phonenumbers.parse(value, PHONE_REGION))
    except phonenumbers.NumberParseException:
        possible = False
    if not possible:
        raise ValidationError(PHONE_MESSAGE, code="invalid_phone")


def phone_e164(value: str) -> str:
    """A phone number as stored: E.164 (+995555123456), whichever way it was written, so that
    the same phone is one value for searches, duplicates and the SMS gateway. After
    `phone_validator`; empty stays empty, and a value that does not parse (a record older than
    the rule) is kept as it was rather than lost."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_display(value: str) -> str:
    """A stored phone as people read it: a Georgian number in the national format (555 12 34 56),
    another country's in the international one (+44 7700 900123)."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return value
    if phonenumbers.region_code_for_number(number) == PHONE_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# A Georgian bank account: GE, 2 check digits, a 2-letter bank code, 16 digits (22 characters),
# checked by schwifty (ISO 13616 structure and the mod-97 check digits), never by hand. Spaces
# are allowed as people write it in groups of four; it is stored compact (`iban_compact`).
def iban_validator(value: str) -> None:
    try:
        iban = IBAN(value)
    except InvalidChecksumDigits:
        raise ValidationError(
            _("The IBAN's check digits do not match: a character is mistyped."), code="iban_check"
        ) from None
    except InvalidLength:
        raise ValidationError(
            _("A Georgian IBAN has 22 characters: GE, 2 digits, 2 letters, 16 digits."),
            code="iban_length",
        ) from None
    except SchwiftyException:
        raise ValidationError(
            _("Enter an IBAN, e.g. GE29 NB00 0000 0101 9049 17."), code="iban"
        ) from None
    if iban.country_code != "GE":
        raise ValidationError(
            _("Benefits are paid to Georgian accounts: the IBAN must start with GE."),
            code="iban_country",
        )


def iban_compact(value: str) -> str:
    """An IBAN as stored: capitals, no spaces (after `iban_validator`)."""
    return IBAN(value).compact


CONTACT_MESSAGE = _("Give a phone number or an e-mail address, or both: the answers go there.")


def contact_required(phone: str, email: str) -> None:
    """A request from the public (an application, a grievance) is answered by SMS or e-mail, so
    it needs one of them. Raised on `phone`, where forms show it."""
    if not ((phone or "").strip() or (email or "").strip()):
        raise ValidationError({"phone": CONTACT_MESSAGE}, code="contact_required")


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


def birth_date_validator(value: date) -> None:
    """A person's birth date: not in the future (someone not yet born is nobody's household
    member) and not before 1900 (`FIRST_LIFE_DAY`). The registry's rule, with its messages, for
    every form, service and API that takes a birth date; "today" moves, so no schema pattern can
    publish it, and the services answer it as a 400 on the field."""
    if value > timezone.localdate():
        raise ValidationError(
            _("The birth date cannot be in the future."), code="birth_date_future"
        )
    if value < FIRST_LIFE_DAY:
        raise ValidationError(_("The birth date cannot be before 1900."), code="birth_date_early")


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


# A legal entity's identification code in Georgia's register of entrepreneurs and non-commercial
# legal entities (NAPR): nine digits.
IDENTIFICATION_CODE_PATTERN = r"^[0-9]{9}$"
identification_code_validator = RegexValidator(
    IDENTIFICATION_CODE_PATTERN,
    _("An identification code is 9 digits, as in the public registry's extract."),
    code="invalid_identification_code",
)

# Georgia's extent (the country's territory, the occupied regions included), a little rounded
# outwards: a point outside it is a typing error (latitude and longitude swapped, a sign lost).
LATITUDE_RANGE = (Decimal("41.0"), Decimal("43.6"))
LONGITUDE_RANGE = (Decimal("39.9"), Decimal("46.8"))


def latitude_validator(value) -> None:
    if value is not None and not LATITUDE_RANGE[0] <= Decimal(value) <= LATITUDE_RANGE[1]:
        raise ValidationError(
            _("A latitude in Georgia is between 41.0 and 43.6 (north)."), code="outside_georgia"
        )


def longitude_validator(value) -> None:
    if value is not None and not LONGITUDE_RANGE[0] <= Decimal(value) <= LONGITUDE_RANGE[1]:
        raise ValidationError(
            _("A longitude in Georgia is between 39.9 and 46.8 (east)."), code="outside_georgia"
        )
