"""Reads of the catalogue: what a staff user may see (public entries, and the unpublished
entries of the providers they edit or approve)."""

import math

from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce
from django.shortcuts import get_object_or_404

from zrunva.accounts import permissions
from zrunva.core.models import in_language
from zrunva.geo.models import Municipality
from zrunva.geo.selectors import municipal_centres
from zrunva.services.models import Provider, Service


def provider_list(*, actor) -> QuerySet[Provider]:
    scope = permissions.provider_scope(actor)
    qs = Provider.objects.select_related("municipality")
    return qs if scope is None else qs.filter(Q(published=True) | scope)


def service_list(*, actor) -> QuerySet[Service]:
    qs = Service.objects.select_related("provider", "service_type", "municipality")
    scope = permissions.provider_scope(actor)
    if scope is None:
        return qs
    # The provider scope's conditions, read through the service's provider.
    mine = Provider.objects.filter(scope).values("pk")
    return qs.filter(Q(published=True, provider__published=True) | Q(provider__in=mine))


def editable_providers(*, actor) -> QuerySet[Provider]:
    """The providers whose services the actor may add or change."""
    return Provider.objects.filter(
        pk__in=[p.pk for p in provider_list(actor=actor) if permissions.edits_provider(actor, p)]
    )


def public_services() -> QuerySet[Service]:
    """The catalogue as the public sees it: approved services of approved providers, in the
    order of their municipality's name then their own (the active language's alphabet)."""
    return (
        Service.objects.filter(published=True, provider__published=True)
        .select_related("provider", "service_type", "municipality", "settlement")
        .prefetch_related("target_groups")
        .order_by(
            in_language("municipality__name_ka", "municipality__name_en"),
            in_language("name_ka", "name_en"),
            "pk",
        )
    )


def public_provider(*, pk: int) -> Provider:
    """An approved provider, or Http404 (one not yet public is not there for the public)."""
    return get_object_or_404(Provider.objects.select_related("municipality"), pk=pk, published=True)


# Kilometres in a degree of latitude (the mean Earth radius, 6,371 km, times pi / 180).
KM_PER_DEGREE = 111.195


def nearest_first(qs: QuerySet[Service], *, municipality: Municipality) -> QuerySet[Service]:
    """Services nearest to `municipality`'s centre first, with `distance_km` on each. A service
    is where its own coordinates say, else at its settlement's, else at its municipality's
    centre. Distances are on a plane scaled at the centre's latitude: across Georgia (under
    600 km) they differ from great-circle ones by well under 1%, enough to order a list."""
    centres = municipal_centres()
    origin = centres.get(municipality.pk)
    if origin is None:
        return qs
    lat0, lon0 = float(origin.latitude), float(origin.longitude)
    scale = math.cos(math.radians(lat0))

    def squared(lat, lon):
        dy = Cast(lat, FloatField()) - Value(lat0)
        dx = (Cast(lon, FloatField()) - Value(lon0)) * Value(scale)
        return dy * dy + dx * dx

    by_municipality = Case(
        *(
            When(
                municipality_id=pk,
                then=Value(
                    (float(c.latitude) - lat0) ** 2 + ((float(c.longitude) - lon0) * scale) ** 2
                ),
            )
            for pk, c in centres.items()
        ),
        output_field=FloatField(),
    )
    return qs.annotate(
        squared_degrees=Coalesce(
            squared(F("latitude"), F("longitude")),
            squared(F("settlement__latitude"), F("settlement__longitude")),
            by_municipality,
            output_field=FloatField(),
        )
    ).order_by(
        F("squared_degrees").asc(nulls_last=True),
        in_language("name_ka", "name_en"),
        "pk",
    )


def located_exactly(service: Service) -> bool:
    """Whether the service's distance is from its own or its settlement's coordinates (else
    from its municipality's centre: an estimate)."""
    if service.latitude is not None:
        return True
    return service.settlement is not None and service.settlement.latitude is not None


def distance_km(service: Service) -> int | None:
    """The distance `nearest_first` measured, in whole kilometres (None when not measured)."""
    squared = getattr(service, "squared_degrees", None)
    return None if squared is None else round(math.sqrt(squared) * KM_PER_DEGREE)
