"""Numbers as people read them, one format per language, from CLDR (Babel):

- money: Georgian `1 234,50 ₾`, English `GEL 1,234.50` (always two places: amounts are paid to
  the tetri, and a column of them lines up);
- counts: Georgian `1 234`, English `1,234`;
- figures (a stored parameter, a score): grouped, trailing zeros trimmed, `0,25` / `0.25`.

Django's own number formatting (`floatformat`, a decimal printed in a template) is set to the
same separators for Georgian in `config/formats/ka`, so the two never disagree; a test holds
them together. Machine-readable output (the API, CSV/XLSX exports, bank files) keeps plain
numbers and never comes through here.
"""

from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from django.utils.translation import get_language

from zrunva.core.money import gel

CURRENCY = "GEL"
NBSP = "\xa0"
# English CLDR writes an alphabetic currency code against the digits ("GEL1,234.50"); the
# code is separated, as English-language Georgian documents and banks write it.
_PATTERNS = {"en": "¤\xa0#,##0.00;-¤\xa0#,##0.00"}


def _locale() -> str:
    return (get_language() or "ka").split("-")[0]


def money(value, currency: bool = True) -> str:
    """An amount in GEL, rounded to the tetri as `core.money.gel` rounds: `1 234,50 ₾`,
    `GEL 1,234.50`; without the currency (`1 234,50`, `1,234.50`) for a column whose heading
    names it. None is the empty string (the caller shows its own dash)."""
    if value == "":  # a template's missing value
        return ""
    # Text (a summary's stored total) and whole numbers are exact: only floats need rounding.
    amount = gel(Decimal(value) if isinstance(value, str | int) else value)
    if amount is None:
        return ""
    locale = _locale()
    if not currency:
        return format_decimal(amount, format="#,##0.00", locale=locale)
    return format_currency(
        amount,
        CURRENCY,
        format=_PATTERNS.get(locale),
        locale=locale,
        currency_digits=False,
        format_type="standard",
    )


def count(value) -> str:
    """A whole number, grouped: `1 234`, `1,234`."""
    if value is None or value == "":  # a template's missing value
        return ""
    number = int(value)
    if 0 <= number < 1000:  # nothing to group: Babel's answer, a page's many cells the faster
        return str(number)
    return format_decimal(number, locale=_locale())


def figure(value) -> str:
    """A stored decimal as people write it, trailing zeros trimmed: 60, `30 000` / `30,000`,
    `0,25` / `0.25`."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value)).normalize()
    places = max(0, -number.as_tuple().exponent)
    return format_decimal(
        number, format=f"#,##0.{'#' * places}" if places else "#,##0", locale=_locale()
    )
