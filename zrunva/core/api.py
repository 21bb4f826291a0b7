"""What every API operation shares: the error bodies it answers with, documented once, and input
types with their bounds published in the OpenAPI document, so that nothing out of range reaches
the database (an id past bigint, a page past the last one, an amount wider than its column)."""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from zrunva.core.pagination import MAX_PAGE
from zrunva.core.validators import (
    FIRST_DAY,
    FIRST_LIFE_DAY,
    LAST_DAY,
    PERSONAL_NUMBER_PATTERN,
    day_in_range,
    largest_value,
    personal_number_validator,
)

# Ids are bigint (DEFAULT_AUTO_FIELD is BigAutoField): anything larger overflows the query.
MAX_ID = 2**63 - 1
# In a path or a query every value is text, so these parse "12"; in a JSON body a number is a
# number and true is not 1: body fields use the strict types below, so that what the document
# forbids ("12" for an integer, true for a number) is refused rather than guessed at.


def _whole_number_text(value):
    # In a path or a query an integer may come written as a whole number in exponent form
    # ("1e+18" is how some clients write 10**18, which JSON Schema counts as an integer): read
    # it exactly; anything else is left to the integer parser, which refuses it.
    if isinstance(value, str) and re.fullmatch(r"[0-9]+(\.[0-9]+)?[eE]\+?[0-9]{1,2}", value):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        if number == number.to_integral_value():
            return int(number)
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_whole_number_text)]
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE), BeforeValidator(_whole_number_text)]


def _a_number(value):
    # JSON's 12 and 12.0 are both integers to JSON Schema; "12" and true are not numbers.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("A number, not text or true/false.")
    return value


IdIn = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_a_number)]
FlagIn = Annotated[bool, Field(strict=True)]


def checked_by(rule):
    """A pydantic check that runs one of `zrunva.core.validators`' rules, so the API refuses what
    the forms and the models refuse, with the same message (422), where the OpenAPI document
    publishes the whole rule (a personal number's `pattern`)."""

    def check(value: str) -> str:
        try:
            rule(value)
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None
        return value

    return AfterValidator(check)


PersonalNumber = Annotated[
    str,
    Field(json_schema_extra={"pattern": PERSONAL_NUMBER_PATTERN}),
    checked_by(personal_number_validator),
]
# Phone, e-mail and IBAN rules say more than a schema can (a possible length for the country,
# a valid domain, the check digits): the services check them with the models' validators and
# answer 400 with the field and the same message as the forms, not 422 for a value the
# published document allows.
Phone = Annotated[str, Field(max_length=30, description="e.g. 555 12 34 56 or +995 555 12 34 56.")]
Email = Annotated[str, Field(max_length=254, description="An e-mail address.")]
Iban = Annotated[
    str, Field(max_length=40, description="A Georgian IBAN, e.g. GE29NB0000000101904917.")
]


def count_in(most: int):
    """A whole number from 0 to `most`, in a body."""
    return Annotated[int, Field(ge=0, le=most), BeforeValidator(_a_number)]


def count_of(field):
    """A whole number from 0 to the largest a model's integer field accepts, in a body."""
    return count_in(int(largest_value(field)))


class JobOut(Schema):
    """A batch job (zrunva.core.jobs): where it is, and its summary once done."""

    id: int
    status: str = Field(description="queued, running, done or failed.")
    stage: str
    progress: int = Field(ge=0, le=100, description="Per cent.")
    summary: dict
    error: str
    started_at: datetime | None
    finished_at: datetime | None


# -- Error bodies --------------------------------------------------------------------------------


class ErrorOut(Schema):
    """401, 403, 404, 409, 429: what went wrong, in the request's language."""

    detail: str


class FieldErrorOut(Schema):
    loc: list[str | int] = Field(description='Where: ["body", "head", "birth_date"].')
    msg: str


class ValidationErrorOut(Schema):
    """400: the request is well formed but breaks a rule; each error names its field."""

    detail: list[FieldErrorOut]


class InputErrorItem(Schema):
    model_config = ConfigDict(extra="allow")

    type: str
    loc: list[str | int]
    msg: str


class InputErrorOut(Schema):
    """422: the request does not match the operation's schema (a type, a bound, a pattern)."""

    detail: list[InputErrorItem]


ERRORS: dict[int, type[Schema]] = {
    400: ValidationErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: InputErrorOut,
    429: ErrorOut,
}


def responses(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """An operation's `response=`: its success bodies and the error codes it can answer with.
    `responses({200: PersonPage}, 401, 403, 422)`."""
    return {**ok, **{code: ERRORS[code] for code in errors}}


# Every operation that needs a sign-in answers 401 without one and 403 when the role may not.
SIGNED_IN = (401, 403)


# -- Dates ---------------------------------------------------------------------------------------

# A day of the calendar as YYYY-MM-DD, leap days included, in a range of years; the pattern is
# published so that a client (or a generated test) knows the bound before sending.
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)


def _date_type(first: date, last: date, years: str, leap_years: str):
    pattern = rf"^(?:(?:{years})-{_MONTH_DAY}|(?:{leap_years})-02-29)$"
    compiled = re.compile(pattern)
    message = f"A date from {first.isoformat()} to {last.isoformat()}, as YYYY-MM-DD."

    def check(value):
        if isinstance(value, date):
            value = value.isoformat()
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ValueError(message)
        try:
            day_in_range(date.fromisoformat(value), first, last)  # the rule; the pattern shows it
        except ValidationError as error:
            raise ValueError(message) from error
        return value

    return Annotated[
        date,
        BeforeValidator(check),
        WithJsonSchema({"type": "string", "format": "date", "pattern": pattern}, mode="validation"),
        Field(description=message),
    ]


# Dates the rules are evaluated on, runs, periods (zrunva.core.validators: 1991 to 2100).
Day = _date_type(
    FIRST_DAY,
    LAST_DAY,
    years=r"199[1-9]|20[0-9]{2}|2100",
    leap_years=r"199[26]|20[02468][048]|20[13579][26]",
)
# Dates of a life (birth, death, joining a household): from 1900.
LifeDay = _date_type(
    FIRST_LIFE_DAY,
    LAST_DAY,
    years=r"19[0-9]{2}|20[0-9]{2}|2100",
    leap_years=r"19[02468][48]|19[13579][26]|19[2468]0|20[02468][048]|20[13579][26]",
)


# -- Decimals ------------------------------------------------------------------------------------


def decimal_text(max_digits: int, decimal_places: int, description: str = ""):
    """A non-negative decimal given and answered as a string ("12.50"), never a float: it fits
    a `DecimalField(max_digits, decimal_places)` column, which the published pattern says."""
    whole = max_digits - decimal_places
    pattern = rf"^[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{decimal_places}}})?$"
    compiled = re.compile(pattern)

    def check(value):
        if isinstance(value, Decimal):
            value = str(value)
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ValueError(
                f"A decimal as a string, at most {whole} digits before the point and "
                f'{decimal_places} after it, e.g. "12.5".'
            )
        try:
            return Decimal(value)
        except InvalidOperation as error:  # pragma: no cover - the pattern admits only digits
            raise ValueError("Not a decimal.") from error

    return Annotated[
        Decimal,
        BeforeValidator(check),
        PlainSerializer(lambda value: f"{value:.{decimal_places}f}", return_type=str),
        WithJsonSchema({"type": "string", "pattern": pattern}),
        Field(description=description or None),
    ]


def decimal_of(field, description: str = ""):
    """`decimal_text` for a model's DecimalField: its digits and places."""
    return decimal_text(field.max_digits, field.decimal_places, description)


# An amount in GEL as the amount columns store it (numeric(12,2)), answered as "45.00".
MONEY_PATTERN = r"^-?[0-9]{1,10}\.[0-9]{2}$"
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(lambda value: f"{Decimal(value):.2f}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN}),
]


def slug(max_length: int, description: str):
    """A code (a programme's, a municipality's): data, so a pattern rather than an enum."""
    return Annotated[
        str, Field(pattern=rf"^[-a-zA-Z0-9_]{{1,{max_length}}}$", description=description)
    ]
