"""Countries by their ISO 3166 alpha-2 code (citizenship), named in the active language.

The names come from the Unicode CLDR through babel, so Georgian pages read საქართველო and
English ones Georgia without a list of our own to translate and keep up."""

import unicodedata
from functools import cache

from babel import Locale
from django.utils.translation import get_language
from django.utils.translation import gettext as _

STATELESS = "XX"
# CLDR territories that are not countries a person can be a citizen of: groupings, "Outlying
# Oceania", the pseudo-locales and "Unknown region".
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})


@cache
def _territories(language: str) -> dict[str, str]:
    names = Locale.parse(language.replace("-", "_")).territories
    return {
        code: name
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }


def _language() -> str:
    return "en" if (get_language() or "ka").startswith("en") else "ka"


def country_name(code: str) -> str:
    """The country's name in the active language; "Stateless" for XX; an unknown code as it is."""
    if code == STATELESS:
        return _("Stateless")
    return _territories(_language()).get(code, code)


def _alphabetical(name: str) -> str:
    # Georgian letters are in alphabetical order in Unicode already (as core.models.by_name
    # relies on); accents are dropped so that Åland Islands files under A, not after Z.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def country_choices() -> list[tuple[str, str]]:
    """(code, name) of every country in the active language's alphabetical order, stateless
    last: the choices of a citizenship field, worked out each time they are read so the names
    follow the language of the page."""
    names = _territories(_language())
    ordered = sorted(names.items(), key=lambda item: _alphabetical(item[1]))
    return [*ordered, (STATELESS, _("Stateless"))]
