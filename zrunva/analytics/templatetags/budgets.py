from django import template

from zrunva.core import numbers

register = template.Library()


@register.filter
def gel(value) -> str:
    """An amount for a column whose heading says GEL: `1 234,50`, `1,234.50`; none is a dash."""
    if value is None or value == "":
        return "—"
    return numbers.money(value, currency=False)
