from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def masked(value, allowed: bool):
    """Show special-category data only to roles that need it."""
    return value if allowed else _("hidden")


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return params.urlencode()
