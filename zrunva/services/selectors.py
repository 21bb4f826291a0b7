"""Reads of the catalogue: what a staff user may see (public entries, and the unpublished
entries of the providers they edit or approve)."""

import math

from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce
from django.db.models.query import ModelIterable
from django.shortcuts import get_object_or_404

from zrunva.accounts import permissions
from zrunva.core.models import in_language
from zrunva.geo.models import Municipality, Settlement
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


class ServiceQuerySet(QuerySet):
    """Services, read nearest first quickly when sliced (see `_nearest_slice`)."""

    # (latitude, longitude, scale, municipal centres) of the centre `nearest_first` measures from
    _near = None

    def _clone(self):
        clone = super()._clone()
        clone._near = self._near
        return clone

    def __getitem__(self, k):
        if (
            isinstance(k, slice)
            and self._near is not None
            and k.stop is not None
            and k.step is None
            and self._result_cache is None
            and self._iterable_class is ModelIterable
        ):
            return self._nearest_slice(k.start or 0, k.stop)
        return super().__getitem__(k)

    def _nearest_slice(self, start: int, stop: int) -> list:
        """The slice of a distance order, from the services within a radius of the centre.

        Ordering by distance computes every matching service's distance (28 ms for 20,000).
        Every service within `radius` comes before every one farther, so the services within
        it, in the same order, are a prefix of the whole order: when there are at least `stop`
        of them, their slice is the whole order's. The services within a
        radius are found through indexes: their own point in a box around the centre, or (with
        no point of their own) their settlement's, or (with neither) their municipality's
        centre; the exact distance then keeps those within the circle. With enough services
        near, 13 ms instead of 36 for 20,000 services; with filters that leave few, at most one
        wider try before the plain query."""
        lat0, lon0, scale, centres = self._near
        radius = NEAR_RADIUS_START
        for attempt in range(2):
            # The box a little wider than the circle: its bounds are rounded to the columns'
            # six decimals.
            dlat, dlon = radius + 1e-5, radius / scale + 1e-5
            box = {
                "latitude__gte": lat0 - dlat,
                "latitude__lte": lat0 + dlat,
                "longitude__gte": lon0 - dlon,
                "longitude__lte": lon0 + dlon,
            }
            settlements = list(Settlement.objects.filter(**box).values_list("pk", flat=True))
            municipalities = [
                pk
                for pk, c in centres.items()
                if abs(float(c.latitude) - lat0) <= dlat and abs(float(c.longitude) - lon0) <= dlon
            ]
            unplaced = (
                Q(settlement=None) | Q(settlement__latitude=None) | Q(settlement__longitude=None)
            )
            within = (
                Q(**box)
                | Q(latitude=None, settlement__in=settlements)
                | (Q(latitude=None, municipality__in=municipalities) & unplaced)
            )
            narrowed = self.filter(within, squared_degrees__lte=radius * radius)
            narrowed._near = None
            rows = list(narrowed[start:stop])
            if len(rows) == stop - start:
                return rows
            # Too few: once more, over the area that many would need at the density found
            # (and half again), unless it is all of Georgia or none were found; then the
            # plain query, which computes every distance, is the quicker.
            radius *= 1.5 * math.sqrt((stop - start) / max(len(rows), 1e-9))
            if attempt or not rows or radius > NEAR_RADIUS_MAX:
                break
        plain = self._chain()
        plain._near = None
        return list(plain[start:stop])


# The first radius tried by `ServiceQuerySet._nearest_slice`, in degrees of latitude (about
# 14 km), and the widest (about 890 km: more than Georgia's extent).
NEAR_RADIUS_START = 0.125
NEAR_RADIUS_MAX = 8.0


def public_services() -> QuerySet[Service]:
    """The catalogue as the public sees it: approved services of approved providers, in the
    order of their municipality's name then their own (the active language's alphabet)."""
    return (
        ServiceQuerySet(model=Service)
        .filter(published=True, provider__published=True)
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
    ordered = qs.annotate(
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
    if isinstance(ordered, ServiceQuerySet):
        ordered._near = (lat0, lon0, scale, centres)
    return ordered


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
