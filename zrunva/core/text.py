"""Text helpers that respect Georgian script."""

import json

from django.utils.functional import keep_lazy_text

# Mkhedruli, the everyday script, has no capital letters. Python's str.upper() maps it to
# Mtavruli (U+1C90..), which is only used for all-caps headings, so "მუნიციპალიტეტი" would
# become "Მუნიციპალიტეტი". Django capitalises labels with capfirst; this one leaves Georgian be.
_MKHEDRULI = range(0x10D0, 0x1100)


@keep_lazy_text
def capfirst(value):
    if not value:
        return value
    value = str(value)
    if ord(value[0]) in _MKHEDRULI:
        return value
    return value[0].upper() + value[1:]


def readable_json(value, *, indent: int | None = 2) -> str:
    """Stored JSON (an audit row's changes or details) as a person reads it and a program parses
    it: Georgian as letters, not \\u escapes; keys sorted, so two rows compare line by line;
    indented unless `indent` is None (one line). Never Python's repr, which no JSON reader takes."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=indent, default=str)


def install() -> None:
    """Use this capfirst wherever Django builds labels from verbose names."""
    import django.contrib.auth.forms
    import django.db.models.base
    import django.db.models.fields
    import django.forms.models
    import django.utils.text

    for module in (
        django.utils.text,
        django.db.models.fields,
        django.db.models.base,
        django.forms.models,
        django.contrib.auth.forms,
    ):
        module.capfirst = capfirst


def long_date(value) -> str:
    """A date as messages and letters write it, in the active language: 3 დეკემბერი 2026,
    3 December 2026."""
    from django.utils import formats

    return formats.date_format(value, "j E Y")
