import django_filters
from django import forms
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zrunva.core.kept import Kept
from zrunva.core.romanisation import search_key
from zrunva.geo.models import Municipality, Region
from zrunva.geo.selectors import municipalities_with_centre
from zrunva.services.choices import Cost, ProviderKind
from zrunva.services.models import Provider, Service, ServiceType, TargetGroup
from zrunva.services.selectors import nearest_first


def _words(qs, fields: list[str], value: str):
    """Every word, typed in either script, in one of the keys (`search_key`: the names as
    lower-case Latin, so `დღის` and `dghis` agree)."""
    for word in search_key(value).split():
        match = Q()
        for name in fields:
            match |= Q(**{f"{name}__contains": word})
        qs = qs.filter(match)
    return qs


# The catalogue's dropdowns are rendered once per version of the lists they offer (types,
# target groups, municipalities, regions and their centres): any save or delete of one makes a
# new version (connected in apps.py). The values come from the query string: what is kept is
# bounded.
LISTS = Kept("services-lists", size=2000)


class ListSelect(forms.Select):
    """A dropdown of one of those lists, rendered once per language, list version, name, value
    and attributes, then kept in the process. Rendering a select of 64 municipalities through
    Django's widget templates costs 5 to 8 ms; the public catalogue page has five of them, and
    their options change only when an administrator edits a list."""

    version: str | None = None  # set by the filter set for all its dropdowns: one cache read

    def render(self, name, value, attrs=None, renderer=None):
        key = (
            type(self).__name__,
            name,
            str(value),
            tuple(sorted((attrs or {}).items())),
            tuple(sorted(self.attrs.items())),
            get_language(),
        )
        return LISTS.get(
            key,
            lambda: super(ListSelect, self).render(name, value, attrs, renderer),
            version=self.version,
        )


class ProviderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or code"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ProviderKind.choices)
    municipality = django_filters.ModelChoiceFilter(
        label=_("Municipality"), queryset=Municipality.objects.by_name()
    )

    class Meta:
        model = Provider
        fields = ["q", "kind", "municipality"]

    def search(self, qs, name, value):
        if value.strip().isdigit():
            return qs.filter(identification_code__startswith=value.strip())
        return _words(qs, ["search_key"], value)


class ServiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Service or provider name"), method="search")
    service_type = django_filters.ModelChoiceFilter(
        label=_("Type"), queryset=ServiceType.objects.by_name(), widget=ListSelect
    )
    target_group = django_filters.ModelChoiceFilter(
        label=_("For whom"),
        queryset=TargetGroup.objects.by_name(),
        field_name="target_groups",
        widget=ListSelect,
    )
    municipality = django_filters.ModelChoiceFilter(
        label=_("Municipality"), queryset=Municipality.objects.by_name(), widget=ListSelect
    )
    free = django_filters.BooleanFilter(
        label=_("Free of charge"), method="only_free", widget=forms.CheckboxInput
    )
    places = django_filters.BooleanFilter(
        label=_("Has places now"), method="with_places", widget=forms.CheckboxInput
    )

    class Meta:
        model = Service
        fields = ["q", "service_type", "target_group", "municipality", "free", "places"]

    def search(self, qs, name, value):
        return _words(qs, ["search_key", "provider__search_key"], value)

    @property
    def form(self):
        form = super().form
        dropdowns = [f.widget for f in form.fields.values() if isinstance(f.widget, ListSelect)]
        if dropdowns and dropdowns[0].version is None:
            version = LISTS.version()
            for widget in dropdowns:
                widget.version = version
        return form

    def only_free(self, qs, name, value):
        return qs.filter(cost=Cost.FREE) if value else qs

    def with_places(self, qs, name, value):
        return qs.filter(capacity__gt=F("admitted")) if value else qs


class PublicServiceFilter(ServiceFilter):
    """The public catalogue's filters: the staff list's, with the region and step-free access."""

    region = django_filters.ModelChoiceFilter(
        label=_("Region"),
        queryset=Region.objects.by_name(),
        field_name="municipality__region",
        widget=ListSelect,
    )
    accessible = django_filters.BooleanFilter(
        label=_("Step-free entrance"), method="only_step_free", widget=forms.CheckboxInput
    )
    near = django_filters.ModelChoiceFilter(
        label=_("Sort by distance from"),
        queryset=municipalities_with_centre(),
        method="nearest",
        widget=ListSelect,
        empty_label=_("(by municipality, then name)"),
        help_text=_("Distances from the municipal centre, as the crow flies."),
    )

    class Meta(ServiceFilter.Meta):
        fields = [
            "q",
            "region",
            "municipality",
            "service_type",
            "target_group",
            "free",
            "accessible",
            "places",
            "near",
        ]

    def nearest(self, qs, name, value):
        return nearest_first(qs, municipality=value) if value else qs

    def only_step_free(self, qs, name, value):
        return qs.filter(step_free=True) if value else qs
