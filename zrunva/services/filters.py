import django_filters
from django import forms
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

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
        label=_("Type"), queryset=ServiceType.objects.by_name()
    )
    target_group = django_filters.ModelChoiceFilter(
        label=_("For whom"), queryset=TargetGroup.objects.by_name(), field_name="target_groups"
    )
    municipality = django_filters.ModelChoiceFilter(
        label=_("Municipality"), queryset=Municipality.objects.by_name()
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

    def only_free(self, qs, name, value):
        return qs.filter(cost=Cost.FREE) if value else qs

    def with_places(self, qs, name, value):
        return qs.filter(capacity__gt=F("admitted")) if value else qs


class PublicServiceFilter(ServiceFilter):
    """The public catalogue's filters: the staff list's, with the region and step-free access."""

    region = django_filters.ModelChoiceFilter(
        label=_("Region"), queryset=Region.objects.by_name(), field_name="municipality__region"
    )
    accessible = django_filters.BooleanFilter(
        label=_("Step-free entrance"), method="only_step_free", widget=forms.CheckboxInput
    )
    near = django_filters.ModelChoiceFilter(
        label=_("Sort by distance from"),
        queryset=municipalities_with_centre(),
        method="nearest",
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
