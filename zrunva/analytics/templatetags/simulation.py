from decimal import Decimal

from django import template

from zrunva.core import numbers

register = template.Library()


@register.filter
def tetri_money(value) -> str:
    """An amount in tetri (the per-household results) as money."""
    if value is None:
        return "—"
    return numbers.money(Decimal(int(value)) / 100)
