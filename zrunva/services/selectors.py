"""Reads of the catalogue: what a staff user may see (public entries, and the unpublished
entries of the providers they edit or approve)."""

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import polars as pl
from django.db.models import Count, F, FloatField, Func, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce
from django.db.models.query import ModelIterable
from django.shortcuts import get_object_or_404
from django.utils import timezone

from zrunva.accounts import permissions
from zrunva.core.kept import Kept
from zrunva.core.models import in_language
from zrunva.core.trail import scoped_get
from zrunva.geo.models import Municipality, Settlement
from zrunva.geo.selectors import municipal_centres
from zrunva.services.choices import ActionStatus, AssessmentStatus
from zrunva.services.models import (
    Area,
    Assessment,
    ImprovementAction,
    Provider,
    Score,
    Service,
    StandardVersion,
)


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

    # (latitude, longitude, scale) of the centre `nearest_first` measures from
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
        """The slice of a distance order, read without the database measuring every match.

        Ordering by distance computes every matching service's distance (30 ms for 20,000).
        The matches within some distance, in the same order, are a prefix of the whole order:
        when there are at least `stop` of them, their slice is the whole order's. The distances
        are worked out over the public services' points kept in the process (`POINTS`; this
        queryset holds public services only): first among the nearest `NEAR_CANDIDATES`, which
        is enough without a filter that leaves few; else over every match's id, read alone, up to
        the `stop`-th distance. The database then orders those few as the plain query would.
        The points are as fresh as `Kept` keeps them: every change of a service goes through
        the signals `depends_on` connects."""
        lat0, lon0, scale = self._near
        points = POINTS.get("points", _public_points)
        squared = points.squared(lat0, lon0, scale)  # NaN: no place; such come last
        measured = squared[~np.isnan(squared)]
        if len(measured) > NEAR_CANDIDATES:
            edge = np.partition(measured, NEAR_CANDIDATES - 1)[NEAR_CANDIDATES - 1]
            rows = self._within(points.pk[squared <= edge], start, stop)
            if rows is not None:
                return rows
        matches = np.fromiter(self.order_by().values_list("pk", flat=True), dtype=np.int64)
        at = np.minimum(np.searchsorted(points.pk, matches), len(points.pk) - 1)
        if len(points.pk) and len(matches) >= stop and (points.pk[at] == matches).all():
            distances = squared[at]
            placed = distances[~np.isnan(distances)]
            if len(placed) >= stop:
                edge = np.partition(placed, stop - 1)[stop - 1]
                rows = self._within(matches[distances <= edge], start, stop)
                if rows is not None:
                    return rows
        # Fewer matches with a place than asked for (those with none come last), or one not
        # among the points kept (published since): the plain query.
        plain = self._chain()
        plain._near = None
        return list(plain[start:stop])

    def _within(self, pks: np.ndarray, start: int, stop: int) -> list | None:
        """The slice among these services, if they hold it whole."""
        narrowed = self.filter(pk__in=pks.tolist())
        narrowed._near = None
        rows = list(narrowed[start:stop])
        return rows if len(rows) == stop - start else None


# The nearest public services `ServiceQuerySet._nearest_slice` looks among first.
NEAR_CANDIDATES = 200


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


class _Lookup(Func):
    """`CASE <column> WHEN key THEN value … END` over a table of constants, as one expression
    (null for a key not in it). A `When()` a key is a filter each: 64 of them, resolved and
    compiled again for every query, took longer to build than the screener's query to run."""

    output_field = FloatField()

    def __init__(self, column, table: dict[int, float]):
        super().__init__(column)
        self.table = table

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        if not self.table:
            return "NULL", []
        whens = " ".join(["WHEN %s THEN %s"] * len(self.table))
        values = [v for pair in self.table.items() for v in pair]
        return f"CASE {column} {whens} END", [*params, *values]


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

    by_municipality = _Lookup(
        F("municipality_id"),
        {
            pk: (float(c.latitude) - lat0) ** 2 + ((float(c.longitude) - lon0) * scale) ** 2
            for pk, c in centres.items()
        },
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
        ordered._near = (lat0, lon0, scale)
    return ordered


@dataclass(frozen=True)
class _Points:
    """The public services where `nearest_first` measures them from, as columns: their own
    point, else their settlement's, else their municipality's centre (NaN: none of these)."""

    pk: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray
    groups: dict[str, np.ndarray]  # target group code -> a mask over the services
    centres: dict[int, Settlement]

    def squared(self, lat0: float, lon0: float, scale: float) -> np.ndarray:
        """Each service's squared distance from a centre, as `nearest_first` measures it in
        the database (NaN: no place)."""
        dy = self.latitude - lat0
        dx = (self.longitude - lon0) * scale
        return dy * dy + dx * dx


# Read once per process and version of the catalogue (connected in apps.py).
POINTS = Kept("services-points", size=4)


def _public_points() -> _Points:
    centres = municipal_centres()
    columns = ("pk", "latitude", "longitude", "s_lat", "s_lon", "municipality_id")
    rows = (
        public_services()
        .prefetch_related(None)
        .order_by("pk")
        .values_list(
            "pk",
            "latitude",
            "longitude",
            "settlement__latitude",
            "settlement__longitude",
            "municipality_id",
        )
    )
    frame = pl.DataFrame(
        list(rows),
        schema={c: pl.Float64 if c not in ("pk", "municipality_id") else pl.Int64 for c in columns},
        orient="row",
    )
    at_centre = pl.DataFrame(
        [(pk, float(c.latitude), float(c.longitude)) for pk, c in centres.items()],
        schema={"municipality_id": pl.Int64, "c_lat": pl.Float64, "c_lon": pl.Float64},
        orient="row",
    )
    # As `nearest_first`'s Coalesce reads them: a pair of coordinates is taken whole or not.
    own = pl.col("latitude").is_not_null() & pl.col("longitude").is_not_null()
    settled = pl.col("s_lat").is_not_null() & pl.col("s_lon").is_not_null()
    points = frame.join(at_centre, on="municipality_id", how="left").select(
        "pk",
        *(
            pl.when(own)
            .then(pl.col(name))
            .when(settled)
            .then(pl.col(settled_name))
            .otherwise(pl.col(centre_name))
            .fill_null(float("nan"))
            .alias(name)
            for name, settled_name, centre_name in (
                ("latitude", "s_lat", "c_lat"),
                ("longitude", "s_lon", "c_lon"),
            )
        ),
    )
    pk = points["pk"].to_numpy()
    links = pl.DataFrame(
        list(
            Service.target_groups.through.objects.filter(
                service_id__in=public_services().prefetch_related(None).order_by().values("pk")
            ).values_list("service_id", "targetgroup__code")
        ),
        schema={"service_id": pl.Int64, "code": pl.String},
        orient="row",
    )
    groups: dict[str, np.ndarray] = {}
    for (code,), linked in links.group_by("code"):
        mask = np.zeros(len(pk), dtype=bool)
        mask[np.searchsorted(pk, linked["service_id"].to_numpy())] = True
        groups[code] = mask
    return _Points(
        pk, points["latitude"].to_numpy(), points["longitude"].to_numpy(), groups, centres
    )


def nearest_public(*, codes: list[str], municipality: Municipality, count: int) -> list[Service]:
    """The first `count` public services for any of these target groups in `nearest_first`'s
    order from the municipality, each with `distance_km`, read without measuring every service
    in the database: the distances are worked out over columns kept in the process, and only
    the services within the `count`-th distance are read, with the names that order ties (those
    at one point) sorted by the database, as `nearest_first` sorts them."""
    points = POINTS.get("points", _public_points)
    origin = points.centres.get(municipality.pk)
    wanted = np.zeros(len(points.pk), dtype=bool)
    for code in codes:
        if code in points.groups:
            wanted |= points.groups[code]
    qs = public_services().prefetch_related(None)
    if origin is not None:
        lat0, lon0 = float(origin.latitude), float(origin.longitude)
        scale = math.cos(math.radians(lat0))
        squared = points.squared(lat0, lon0, scale)[wanted]
        measured = squared[~np.isnan(squared)]
        if len(measured) >= count:
            edge = np.partition(measured, count - 1)[count - 1]
            near = squared <= edge
            distances = dict(
                zip(points.pk[wanted][near].tolist(), squared[near].tolist(), strict=True)
            )
            order = list(distances)
            if len(set(distances.values())) < len(distances):
                # Services at one distance (at one point) are in name order: the database's
                # collation, as `nearest_first` sorts them. The sort below is stable.
                order = list(
                    Service.objects.filter(pk__in=order)
                    .order_by(in_language("name_ka", "name_en"), "pk")
                    .values_list("pk", flat=True)
                )
            first = sorted(order, key=distances.__getitem__)[:count]
            rows = {row.pk: row for row in qs.filter(pk__in=first).order_by()}
            if len(rows) == len(first):  # else one left the catalogue since: the query
                for pk in first:
                    rows[pk].squared_degrees = distances[pk]
                return [rows[pk] for pk in first]
    # No centre to measure from, or fewer services with a place than asked for (those with
    # none come last, in name order): the catalogue's query. The groups are matched in the link
    # table itself, without a second join of the services.
    linked = Service.target_groups.through.objects.filter(targetgroup__code__in=codes)
    nearest = nearest_first(
        qs.filter(pk__in=linked.values("service_id")), municipality=municipality
    )
    return list(nearest[:count])


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


# -- Service standards and assessments ---------------------------------------------------------


def published_versions() -> QuerySet[StandardVersion]:
    """The standard versions services may be assessed against."""
    return StandardVersion.objects.filter(published=True).select_related("standard")


def version_checklist(version: StandardVersion) -> list[Area]:
    """A version's areas in order, each with its criteria in order."""
    return list(version.areas.prefetch_related("criteria").order_by("order"))


def assessable_services(*, actor) -> QuerySet[Service]:
    """The public services the actor may assess (`permissions.assessment_scope`)."""
    return (
        Service.objects.filter(published=True, provider__published=True)
        .filter(permissions.assessment_scope(actor))
        .select_related("provider", "municipality")
        .order_by(in_language("name_ka", "name_en"), "pk")
    )


def _scores_prefetch() -> Prefetch:
    return Prefetch("scores", queryset=Score.objects.select_related("criterion__area"))


def assessment_list(*, actor) -> QuerySet[Assessment]:
    """The assessments of the services the actor may assess, newest visit first."""
    scope = permissions.assessment_scope(actor)
    return (
        Assessment.objects.filter(service__in=Service.objects.filter(scope).values("pk"))
        .select_related("service__provider", "service__municipality", "version__standard")
        .select_related("assessor")
        .annotate(
            open_actions=Count("actions", filter=Q(actions__status=ActionStatus.OPEN)),
            all_actions=Count("actions"),
        )
    )


def assessment_get(*, actor, pk: int) -> Assessment:
    """One assessment the actor may see, or Http404 (audited when out of their reach)."""
    return scoped_get(
        assessment_list(actor=actor).prefetch_related(_scores_prefetch()), actor=actor, pk=pk
    )


def overdue_actions(*, actor) -> QuerySet[ImprovementAction]:
    """Open improvement actions past their due date, of the services the actor may assess."""
    scope = permissions.assessment_scope(actor)
    return (
        ImprovementAction.objects.filter(
            status=ActionStatus.OPEN,
            due_date__lt=timezone.localdate(),
            assessment__service__in=Service.objects.filter(scope).values("pk"),
        )
        .select_related("assessment__service__provider")
        .order_by("due_date", "pk")
    )


@dataclass(frozen=True)
class AreaResult:
    area: Area
    points: int
    highest: int
    percent: int | None


@dataclass(frozen=True)
class Results:
    areas: list[AreaResult]
    points: int
    highest: int
    percent: int | None


def _percent(points: int, highest: int) -> int | None:
    if not highest:
        return None
    return int((Decimal(100 * points) / highest).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def results(assessment: Assessment) -> Results:
    """An assessment's score per area and in total, each as a whole percentage of the highest
    possible (rounded half up): points over the highest scores of the version's criteria, a
    criterion not yet scored counting 0. The one computation the staff pages, the trends and the
    public summary show. Reads `assessment.scores` (prefetch them with their criteria's areas)."""
    by_area: dict[int, list] = {}
    for row in assessment.scores.all():
        area = row.criterion.area
        entry = by_area.setdefault(area.pk, [area, 0, 0])
        entry[1] += row.score or 0
        entry[2] += row.criterion.max_score
    areas = [
        AreaResult(area, points, highest, _percent(points, highest))
        for area, points, highest in sorted(by_area.values(), key=lambda e: e[0].order)
    ]
    points = sum(a.points for a in areas)
    highest = sum(a.highest for a in areas)
    return Results(areas, points, highest, _percent(points, highest))


def trends(*, actor, provider: Provider | None = None) -> list[tuple[Service, list]]:
    """Each service the actor may assess that has submitted assessments, with them oldest first
    and their results: [(service, [(assessment, Results)])], one entry per service and standard
    version (areas compare within a version). Limited to `provider`'s if given."""
    assessments = (
        assessment_list(actor=actor)
        .filter(status=AssessmentStatus.SUBMITTED)
        .prefetch_related(_scores_prefetch())
        .order_by("visit_date", "pk")
    )
    if provider is not None:
        assessments = assessments.filter(service__provider=provider)
    out: dict[tuple[int, int], tuple[Service, list]] = {}
    for assessment in assessments:
        key = (assessment.service_id, assessment.version_id)
        entry = out.setdefault(key, (assessment.service, []))
        entry[1].append((assessment, results(assessment)))
    return sorted(out.values(), key=lambda e: (e[0].provider.name, e[0].name))


@dataclass(frozen=True)
class PublicSummary:
    """What the public sees of a service's latest submitted assessment (no assessor, no
    evidence), with the improvement actions still open from any of its submitted assessments."""

    visit_date: object
    standard: str
    version: int
    results: Results
    open_actions: int


def public_assessment_summary(service: Service) -> PublicSummary | None:
    """The latest submitted assessment of a public service, as the public sees it. Open actions
    are counted over all its submitted assessments: an earlier plan not yet closed still counts."""
    submitted = Assessment.objects.filter(service=service, status=AssessmentStatus.SUBMITTED)
    latest = (
        submitted.select_related("version__standard")
        .prefetch_related(_scores_prefetch())
        .order_by("-visit_date", "-pk")
        .first()
    )
    if latest is None:
        return None
    open_actions = ImprovementAction.objects.filter(
        assessment__in=submitted, status=ActionStatus.OPEN
    ).count()
    return PublicSummary(
        visit_date=latest.visit_date,
        standard=latest.version.standard.name,
        version=latest.version.number,
        results=results(latest),
        open_actions=open_actions,
    )
