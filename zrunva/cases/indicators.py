"""Quality monitoring of social work (issue 16, item 8): counts and hours per office,
municipality ("city"), specialisation and month, never a case nor a person. Who reads them is
`permissions.CASES_INDICATORS`, where is `permissions.indicator_scope` (supervisors their area,
administrators and analysts the whole country). Sensitive cases are counted like any other:
nothing of them but the counts leaves.

Every figure is computed set-based, never in a loop over cases. The monthly figures of each
month, office, municipality and specialisation ("cells", `_cells`) are counted by Polars from
one read of the cases opened or closed in the months (`_read`, by COPY); for the months before
the last refresh's they are read as the refresh counted them with the same `_cells`
(`refresh`, nightly with the dashboards' tables: `IndicatorMonth`, `OutcomeMonth`), each cell
keeping the hours behind its median, so that the median of several places is taken over all
their hours. The figures of today (open cases, caseload) are counted by the database, grouped
(`_open`). Months are calendar months in Georgia's time (settings.TIME_ZONE), written YYYY-MM.

The indicators, and which month each is counted in:

- **Opened** (`monthly.opened`): cases whose `opened_at` falls in the month. Month of opening.
- **Closed** (`monthly.closed`): cases whose `closed_at` falls in the month, whatever month they
  opened in. Month of closure. A case reopened and closed again counts once, in the month of its
  last closure (the case holds only that date).
- **Time to first contact** (`monthly.contacted`, `contact_median_hours`,
  `contact_p90_hours`): over the cases opened in the month that have a first contact, the hours
  from `opened_at` to `first_contact_at`: how many, the median and the 90th percentile (linear
  interpolation between the two nearest ranks, as `numpy.quantile`'s default), to 0.1 h. Month
  of opening. Cases with no first contact yet are not in them; they are in:
- **First contact overdue** (`now.contact_overdue`): open cases with no first contact whose
  `first_contact_due` has passed, at the moment of reading. Not per month: now.
- **Review compliance** (`now.reviews_dated`, `reviews_on_time`, `review_compliance`): over the
  open cases that have a review date (`next_review`; a case gets one with its care plan), the
  share (%, to 0.1) whose review date is today or later, i.e. not past; open cases without a
  review date are in neither count. Not per month: today.
- **Caseload per worker** (`caseload`): per office, at the moment of reading, the office's open
  cases assigned to someone, weighted by risk (settings.CASE_RISK_WEIGHTS), divided by the
  office's active social workers (a worker with no case counts, and lowers the mean), against
  settings.CASELOAD_NORM; and how many of those holding the office's cases carry more than the
  norm (a count: no worker is named). Not per month, not per specialisation: a worker's load is
  all their cases, so the specialisation filter does not apply to it.
- **Outcomes at closure** (`outcomes`): cases closed in the month by their outcome. Month of
  closure.
- **Referrals completed** (`monthly.referrals_completed`): referrals to services the provider
  completed, in the month of completion.

The month filter applies to the monthly indicators and the outcomes; the office and
specialisation filters to all but the caseload's specialisation (above).
"""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from time import monotonic
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Func,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.cases import selectors
from zrunva.cases.choices import OPEN_STAGES, Outcome, ReferralStatus, Specialisation
from zrunva.cases.models import (
    IndicatorMonth,
    IndicatorsCounted,
    OutcomeMonth,
    Referral,
    SocialCase,
)
from zrunva.core.bulk import query_frame, replace_frame
from zrunva.geo.models import Municipality, Office

KEYS = ["month", "office", "municipality", "specialisation"]
PLACE = ["office", "municipality", "specialisation"]

MONTHLY_SCHEMA = {
    "month": pl.String,
    "office": pl.String,
    "municipality": pl.String,
    "specialisation": pl.String,
    "opened": pl.Int64,
    "closed": pl.Int64,
    "contacted": pl.Int64,
    "contact_median_hours": pl.Float64,
    "contact_p90_hours": pl.Float64,
    "referrals_completed": pl.Int64,
}
REFERRALS_SCHEMA = {
    "month": pl.String,
    "office": pl.String,
    "municipality": pl.String,
    "specialisation": pl.String,
    "referrals_completed": pl.Int64,
}
NOW_SCHEMA = {
    "office": pl.String,
    "municipality": pl.String,
    "specialisation": pl.String,
    "open": pl.Int64,
    "contact_overdue": pl.Int64,
    "reviews_dated": pl.Int64,
    "reviews_on_time": pl.Int64,
    "review_compliance": pl.Float64,
}
CASELOAD_SCHEMA = {
    "office": pl.String,
    "workers": pl.Int64,
    "open": pl.Int64,
    "weighted": pl.Int64,
    "per_worker": pl.Float64,
    "norm": pl.Int64,
    "over_norm": pl.Int64,
}
OUTCOME_SCHEMA = {
    "month": pl.String,
    "office": pl.String,
    "municipality": pl.String,
    "specialisation": pl.String,
    "outcome": pl.String,
    "closed": pl.Int64,
}


class Micros(Func):
    """A timestamp as whole microseconds since 1970 UTC, read as an integer and made a UTC
    datetime again in Polars (`_instants`): the same instants. Why: psycopg reads integers in C,
    while the time-zone-aware timestamp loader Django installs is pure Python, about 4 µs a
    value; at 50,000 cases (bench/cases.py) it took over half of a supervisor's indicators."""

    # `date_part` gives the seconds as a float8; `EXTRACT` (PostgreSQL 14 on) gives a numeric,
    # which took a quarter of the whole country's read (54 against 41 ms for 40,000 cases).
    # A float8 holds an instant between 1834 and 2106 within a quarter of a microsecond, and the
    # product within half of one more: rounded to the microsecond it is exact.
    template = "(date_part('epoch', %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()

    @property
    def convert_value(self):
        # Both databases give integers already: Django's int() of each value was a tenth of
        # the page.
        return self._convert_value_noop

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite keeps "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC: whole seconds, then the digits
        # (%%%% is a % once the template is filled and the backend's placeholders are made).
        return self.as_sql(
            compiler,
            connection,
            template="(CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER) * 1000000 "
            "+ CAST(substr(%(expressions)s || '.000000', 21, 6) AS INTEGER))",
            **extra,
        )


def _instants(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    return frame.with_columns(pl.col(*columns).cast(pl.Datetime("us", "UTC")))


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


@dataclass(frozen=True)
class Filters:
    """The months from `first` to `last` (first days of months, both included), and an office
    and a specialisation (codes; empty: all)."""

    first: date
    last: date
    office: str = ""
    specialisation: str = ""

    @classmethod
    def last_months(cls, months: int = 12, *, today: date | None = None, **more) -> "Filters":
        last = month_start(today or timezone.localdate())
        first = last
        for _i in range(months - 1):
            first = month_start(first - timedelta(days=1))
        return cls(first=first, last=last, **more)

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants, the end excluded."""
        zone = ZoneInfo(settings.TIME_ZONE)
        start = datetime.combine(month_start(self.first), time(), zone)
        end = datetime.combine(next_month(self.last), time(), zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def split(self, month: date | None) -> tuple["Filters | None", "Filters | None"]:
        """These filters' months before `month`, and from it on (None: no such month)."""
        if month is None or self.first >= month:
            return None, self
        if self.last < month:
            return self, None
        return replace(self, last=month_start(month - timedelta(days=1))), replace(
            self, first=month
        )


@dataclass
class Indicators:
    filters: Filters
    monthly: pl.DataFrame
    by_month: pl.DataFrame  # the monthly indicators over all places, for the charts
    now: pl.DataFrame
    caseload: pl.DataFrame
    outcomes: pl.DataFrame
    by_outcome: pl.DataFrame  # the outcomes over all places and months, for the chart
    # Months before `kept_before` were read as the refresh at `counted_at` kept them (both
    # None: every month counted now).
    kept_before: date | None = None
    counted_at: datetime | None = None


def _area(actor) -> frozenset[int] | None:
    """The municipalities whose cases' figures the actor reads (None: the whole country);
    refused without the permission."""
    permissions.require(actor, permissions.CASES_INDICATORS)
    return permissions.indicator_scope(actor)


def _where(area: frozenset[int] | None, filters: Filters, case: str = "") -> Q:
    """The cases of the area and of the chosen office, as a condition on a case (`case`: the
    path to it from the model read, "case__" for a referral)."""
    where = Q() if area is None else Q(**{f"{case}municipality_id__in": area})
    if filters.office:
        where &= Q(**{f"{case}office__code": filters.office})
    return where


def _month(column: str) -> pl.Expr:
    return pl.col(column).dt.convert_time_zone(settings.TIME_ZONE).dt.strftime("%Y-%m")


def _hours_to_contact() -> pl.Expr:
    return (pl.col("first_contact_at") - pl.col("opened_at")).dt.total_seconds() / 3600


def _contact(hours: pl.Expr) -> list[pl.Expr]:
    """The figures of the hours to the first contact (a null: no contact yet, not counted)."""
    return [
        hours.count().alias("contacted"),
        hours.median().round(1).alias("contact_median_hours"),
        hours.quantile(0.9, interpolation="linear").round(1).alias("contact_p90_hours"),
    ]


def _codes() -> dict[str, dict[int, str]]:
    """Offices' and municipalities' codes by id: the reads take the ids, which need no join."""
    return {
        "office": dict(Office.objects.order_by().values_list("pk", "code")),
        "municipality": dict(Municipality.objects.order_by().values_list("pk", "code")),
    }


def _coded(frame: pl.DataFrame, codes: dict[str, dict[int, str]]) -> pl.DataFrame:
    return frame.with_columns(
        pl.col(name).replace_strict(by_id, default=None, return_dtype=pl.String)
        for name, by_id in codes.items()
    )


def _referrals(where: Q, filters: Filters) -> pl.DataFrame:
    """REFERRALS_SCHEMA with the office's and municipality's ids (see `referrals_completed`)."""
    start, end = filters.bounds()
    rows = (
        Referral.objects.order_by()
        .filter(
            where,
            status=ReferralStatus.COMPLETED,
            answered_at__gte=start,
            answered_at__lt=end,
        )
        .values_list(
            "case__office_id",
            "case__municipality_id",
            "case__specialisation",
            Micros(F("answered_at")),
        )
    )
    schema = {
        "office": pl.Int64,
        "municipality": pl.Int64,
        "specialisation": pl.String,
        "answered_at": pl.Int64,
    }
    frame = _instants(query_frame(rows, schema), "answered_at")
    return (
        frame.with_columns(month=_month("answered_at"))
        .group_by(KEYS)
        .agg(referrals_completed=pl.len().cast(pl.Int64))
        .select(*KEYS, "referrals_completed")
    )


def referrals_completed(where: Q, filters: Filters, codes: dict | None = None) -> pl.DataFrame:
    """Referrals to services that their provider completed in the period, of the cases that
    `where` (a condition on the referral's case, "case__…") takes, counted per month of
    completion, office, municipality and specialisation of the case (REFERRALS_SCHEMA)."""
    return _coded(_referrals(where, filters), codes or _codes()).select(list(REFERRALS_SCHEMA))


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


# What `_read` gives: a row a case opened or closed in the months, with the ids of its office
# and municipality.
_READ = {
    "office": pl.Int64,
    "municipality": pl.Int64,
    "specialisation": pl.String,
    "opened_at": pl.Int64,
    "first_contact_at": pl.Int64,
    "closed_at": pl.Int64,
    "outcome": pl.String,
}


def _read(where: Q, filters: Filters) -> pl.DataFrame:
    """The cases that `where` takes opened or closed in the months, in one read (the ORM
    loading them row by row took most of the whole country's page)."""
    start, end = filters.bounds()
    rows = (
        SocialCase.objects.order_by()
        .filter(
            where,
            Q(opened_at__gte=start, opened_at__lt=end) | Q(closed_at__gte=start, closed_at__lt=end),
        )
        .values_list(
            "office_id",
            "municipality_id",
            "specialisation",
            Micros(F("opened_at")),
            Micros(F("first_contact_at")),
            Micros(F("closed_at")),
            "outcome",
        )
    )
    return _instants(query_frame(rows, _READ), "opened_at", "first_contact_at", "closed_at")


# A month's indicators per place (the office and municipality as ids until `_coded`), and the
# hours behind its median: what `_cells` counts from the cases and `IndicatorMonth` keeps.
CELL_SCHEMA = {
    "month": pl.String,
    "office": pl.Int64,
    "municipality": pl.Int64,
    "specialisation": pl.String,
    "opened": pl.Int64,
    "closed": pl.Int64,
    "contacted": pl.Int64,
    "contact_median_hours": pl.Float64,
    "contact_p90_hours": pl.Float64,
    "referrals_completed": pl.Int64,
    "hours": pl.List(pl.Float64),
}
OUTCOME_CELL_SCHEMA = OUTCOME_SCHEMA | {"office": pl.Int64, "municipality": pl.Int64}


def _cells(
    frame: pl.DataFrame, referrals: pl.DataFrame, filters: Filters
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The monthly indicators per month and place (CELL_SCHEMA) and the outcomes at closure
    (OUTCOME_CELL_SCHEMA) of the months, from `_read`'s cases and `_referrals`: the one count
    behind both the months the page counts live and those `refresh` keeps."""
    start, end = filters.bounds()
    opened = frame.filter(pl.col("opened_at").is_between(start, end, closed="left")).with_columns(
        month=_month("opened_at"), hours=_hours_to_contact()
    )
    closed = frame.filter(pl.col("closed_at").is_between(start, end, closed="left")).with_columns(
        month=_month("closed_at"), outcome=pl.col("outcome").fill_null("")
    )
    cells = (
        opened.group_by(KEYS)
        .agg(
            pl.len().alias("opened"),
            pl.col("hours").drop_nulls().sort(),
            *_contact(pl.col("hours")),
        )
        .join(closed.group_by(KEYS).agg(closed=pl.len()), on=KEYS, how="full", coalesce=True)
        .join(referrals, on=KEYS, how="full", coalesce=True)
        .with_columns(
            pl.col("opened", "closed", "contacted", "referrals_completed").fill_null(0),
            pl.col("hours").fill_null(pl.lit([], dtype=pl.List(pl.Float64))),
        )
        .select(list(CELL_SCHEMA))
        .cast(CELL_SCHEMA)
    )
    outcomes = (
        closed.group_by([*KEYS, "outcome"])
        .agg(closed=pl.len())
        .select(list(OUTCOME_SCHEMA))
        .cast(OUTCOME_CELL_SCHEMA)
    )
    return cells, outcomes


def _kept(where: Q, filters: Filters) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`_cells` of the months as the last refresh kept them (`IndicatorMonth`, `OutcomeMonth`)
    for the places `where` takes and the chosen specialisation."""
    chosen = Q(month__gte=filters.first, month__lte=filters.last)
    if filters.specialisation:
        chosen &= Q(specialisation=filters.specialisation)
    month = pl.col("month").dt.strftime("%Y-%m")
    cells = query_frame(
        IndicatorMonth.objects.order_by()
        .filter(where, chosen)
        .values_list(*_kept_columns(CELL_SCHEMA)),
        CELL_SCHEMA | {"month": pl.Date, "hours": pl.String},
    ).with_columns(month, pl.col("hours").str.json_decode(pl.List(pl.Float64)))
    outcomes = query_frame(
        OutcomeMonth.objects.order_by()
        .filter(where, chosen)
        .values_list(*_kept_columns(OUTCOME_CELL_SCHEMA)),
        OUTCOME_CELL_SCHEMA | {"month": pl.Date},
    ).with_columns(month)
    return cells.cast(CELL_SCHEMA), outcomes.select(list(OUTCOME_SCHEMA))


# The kept tables' columns for the cells' office and municipality (ids).
_IDS = {"office": "office_id", "municipality": "municipality_id"}


def _kept_columns(schema: dict) -> list[str]:
    """The kept table's columns in the order of `schema`."""
    return [_IDS.get(name, name) for name in schema]


def _tables(cells: pl.DataFrame, outcomes: pl.DataFrame) -> tuple[pl.DataFrame, ...]:
    """The page's monthly tables from the cells and outcomes (offices and municipalities
    coded): per place, per month over all places (the hours' figures over all the places'
    hours), the outcomes and the outcomes over all."""
    monthly = (
        cells.select(list(MONTHLY_SCHEMA))
        .cast(MONTHLY_SCHEMA)
        .sort("month", "office", "municipality", "specialisation")
    )
    hours = (
        cells.select("month", "hours")
        .explode("hours")
        .group_by("month")
        .agg(*_contact(pl.col("hours")))
    )
    by_month = (
        cells.group_by("month")
        .agg(pl.col("opened", "closed", "referrals_completed").sum())
        .join(hours, on="month", how="left")
        .with_columns(pl.col("contacted").cast(pl.Int64))
        .sort("month")
    )
    outcomes = outcomes.cast(OUTCOME_SCHEMA).sort(
        "month", "office", "municipality", "specialisation", "outcome"
    )
    by_outcome = outcomes.group_by("outcome").agg(pl.col("closed").sum()).sort("outcome")
    return monthly, by_month, outcomes, by_outcome


# What `_open` gives: the open cases counted per office, municipality, specialisation and
# worker (none: unassigned), by the database.
_OPEN = {
    "municipality": pl.Int64,
    "office": pl.Int64,
    "specialisation": pl.String,
    "worker": pl.Int64,
    "open": pl.Int64,
    "weighted": pl.Int64,
    "contact_overdue": pl.Int64,
    "reviews_dated": pl.Int64,
    "reviews_on_time": pl.Int64,
}


def _open(where: Q, now: datetime) -> pl.DataFrame:
    """The open cases that `where` takes, counted now: a few thousand groups rather than tens
    of thousands of cases."""
    today = timezone.localdate(now)
    rows = (
        SocialCase.objects.order_by()
        .filter(where, stage__in=OPEN_STAGES)
        # In the order of the index "case_open_counts", which PostgreSQL 15 reads in the
        # order of the GROUP BY only (it does not reorder the keys).
        .values("municipality_id", "office_id", "specialisation", "assigned_to_id")
        .annotate(
            cases=Count("*"),
            weighted=Sum(selectors._weight()),
            overdue=Sum(_flag(Q(first_contact_at__isnull=True, first_contact_due__lt=now))),
            dated=Sum(_flag(Q(next_review__isnull=False))),
            on_time=Sum(_flag(Q(next_review__gte=today))),
        )
        .values_list(
            "municipality_id",
            "office_id",
            "specialisation",
            "assigned_to_id",
            "cases",
            "weighted",
            "overdue",
            "dated",
            "on_time",
        )
    )
    return query_frame(rows, _OPEN)


def _now(frame: pl.DataFrame) -> pl.DataFrame:
    return (
        frame.group_by(PLACE)
        .agg(pl.col("open", "contact_overdue", "reviews_dated", "reviews_on_time").sum())
        .with_columns(
            review_compliance=pl.when(pl.col("reviews_dated") > 0)
            .then((100 * pl.col("reviews_on_time") / pl.col("reviews_dated")).round(1))
            .otherwise(None)
        )
        .select(list(NOW_SCHEMA))
        .cast(NOW_SCHEMA)
        .sort(PLACE)
    )


def _offices(area: frozenset[int] | None, office: str) -> QuerySet[Office]:
    offices = Office.objects.all()
    if area is not None:
        offices = offices.filter(municipalities__in=area).distinct()
    return offices.filter(code=office) if office else offices


def _caseload(area: frozenset[int] | None, frame: pl.DataFrame, office: str) -> pl.DataFrame:
    norm = settings.CASELOAD_NORM
    loads = (
        frame.filter(pl.col("worker").is_not_null())
        .group_by("office", "worker")
        .agg(pl.col("open", "weighted").sum())
    )
    staff = pl.DataFrame(
        list(
            get_user_model()
            .objects.filter(
                is_active=True,
                role=Role.SOCIAL_WORKER,
                office__in=_offices(area, office).values("pk"),
            )
            .order_by()
            .values("office__code")
            .annotate(workers=Count("pk"))
            .values_list("office__code", "workers")
        ),
        schema={"office": pl.String, "workers": pl.Int64},
        orient="row",
    )
    per_office = loads.group_by("office").agg(
        pl.col("open").sum(),
        pl.col("weighted").sum(),
        over_norm=(pl.col("weighted") > norm).sum(),
    )
    return (
        staff.join(per_office, on="office", how="full", coalesce=True)
        .with_columns(pl.col("workers", "open", "weighted", "over_norm").fill_null(0))
        .with_columns(
            per_worker=pl.when(pl.col("workers") > 0)
            .then((pl.col("weighted") / pl.col("workers")).round(1))
            .otherwise(None),
            norm=pl.lit(norm),
        )
        .select(list(CASELOAD_SCHEMA))
        .cast(CASELOAD_SCHEMA)
        .sort("office")
    )


# The kept months as read for one refresh and one set of filters, per process: they change only
# with the next refresh (a new `IndicatorsCounted`, a new key), so a worker reads them once per
# refresh, area and filters rather than once a page (DHIS2 likewise caches its analytics answers
# until its tables are generated again). The least recently used go first.
@lru_cache(maxsize=32)
def _kept_read(pk: int, counted_at: datetime, area: frozenset[int] | None, filters: Filters):
    """`_kept` for the area and filters, read once per refresh (its row and instant: a row id
    alone may come again after a rollback)."""
    return _kept(_where(area, filters), filters)


def counted() -> IndicatorsCounted | None:
    """The last refresh of the months kept (None: none yet, every month counted live)."""
    return IndicatorsCounted.objects.order_by("-counted_at").first()


def indicators(*, actor, filters: Filters, now: datetime | None = None) -> Indicators:
    """The quality indicators the actor may read, for the filters (see the module's
    docstring for each one's definition). Months before the last refresh's are read as it
    kept them (`refresh`); the others are counted from the cases now."""
    now = now or timezone.now()
    area = _area(actor)  # the permission is checked before anything is read
    codes = _codes()
    where = _where(area, filters)
    last = counted()
    kept, live = filters.split(last.before if last else None)
    parts = [_kept_read(last.pk, last.counted_at, area, kept)] if kept else []
    if live:
        cases, referred = _read(where, live), _where(area, live, "case__")
        if live.specialisation:
            cases = cases.filter(pl.col("specialisation") == live.specialisation)
            referred &= Q(case__specialisation=live.specialisation)
        parts.append(_cells(cases, _referrals(referred, live), live))
    cells = _coded(pl.concat([p[0] for p in parts]), codes)
    outcomes = _coded(pl.concat([p[1] for p in parts]), codes)
    monthly, by_month, outcomes, by_outcome = _tables(cells, outcomes)
    open_now = _coded(_open(where, now), codes)
    # The caseload reads every specialisation: a worker's load is all their cases.
    chosen = open_now
    if filters.specialisation:
        chosen = open_now.filter(pl.col("specialisation") == filters.specialisation)
    return Indicators(
        filters=filters,
        monthly=monthly,
        by_month=by_month,
        now=_now(chosen),
        caseload=_caseload(area, open_now, filters.office),
        outcomes=outcomes,
        by_outcome=by_outcome,
        kept_before=last.before if kept else None,
        counted_at=last.counted_at if kept else None,
    )


def refresh(*, today: date | None = None) -> IndicatorsCounted:
    """Count and keep the monthly indicators of every month before today's (Georgia's time)
    from the cases as they are now, with `_cells` as the page counts: `IndicatorMonth`,
    `OutcomeMonth` and `IndicatorsCounted` rebuilt whole, in one transaction (the caller's if
    any: `analytics.aggregates.refresh_aggregates` runs it, nightly and after runs, under its
    lock). Idempotent. A case changed later in a kept month (a first contact recorded late, a
    closure corrected) is counted by the next refresh."""
    started = monotonic()
    before = month_start(today or timezone.localdate())
    ends = SocialCase.objects.aggregate(opened=Min("opened_at"), closed=Min("closed_at"))
    earliest = min((v for v in ends.values() if v is not None), default=None)
    cells = pl.DataFrame(schema=CELL_SCHEMA)
    outcomes = pl.DataFrame(schema=OUTCOME_CELL_SCHEMA)
    if earliest is not None and month_start(timezone.localdate(earliest)) < before:
        months = Filters(
            first=month_start(timezone.localdate(earliest)),
            last=month_start(before - timedelta(days=1)),
        )
        cells, outcomes = _cells(_read(Q(), months), _referrals(Q(), months), months)
    month = (pl.col("month") + "-01").str.to_date("%Y-%m-%d")
    hours = pl.concat_str(
        pl.lit("["),
        pl.col("hours").list.eval(pl.element().cast(pl.String)).list.join(", "),
        pl.lit("]"),
    )
    with transaction.atomic():
        replace_frame(IndicatorMonth, cells.with_columns(month, hours=hours).rename(_IDS))
        replace_frame(OutcomeMonth, outcomes.with_columns(month).rename(_IDS))
        IndicatorsCounted.objects.all().delete()
        return IndicatorsCounted.objects.create(
            counted_at=timezone.now(),
            before=before,
            cells=cells.height,
            outcomes=outcomes.height,
            seconds=round(monotonic() - started, 3),
        )


def office_choices(actor) -> list[tuple[str, str]]:
    return [
        (o.code, o.name) for o in _offices(permissions.indicator_scope(actor), "").order_by("code")
    ]


# -- The tables as the page, the files and the report show them ------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    kind: str = "count"  # count, hours, percent or text (a code named by `names`)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    note: str
    columns: tuple[Column, ...]


_PLACE_COLUMNS = (
    Column("office", _("Office"), "text"),
    Column("municipality", _("Municipality"), "text"),
    Column("specialisation", _("Specialisation"), "text"),
)
TABLES = (
    Table(
        "monthly",
        _("Cases by month"),
        _(
            "Opened and time to first contact by month of opening; closed by month of closure; "
            "hours from opening to the first contact, over the cases that had one."
        ),
        (
            Column("month", _("Month"), "text"),
            *_PLACE_COLUMNS,
            Column("opened", _("Opened")),
            Column("closed", _("Closed")),
            Column("contacted", _("With a first contact")),
            Column("contact_median_hours", _("Median hours to first contact"), "hours"),
            Column("contact_p90_hours", _("90th percentile, hours"), "hours"),
            Column("referrals_completed", _("Referrals completed")),
        ),
    ),
    Table(
        "now",
        _("Open cases today"),
        _(
            "Review compliance: of the open cases with a review date, the share whose date is "
            "today or later."
        ),
        (
            *_PLACE_COLUMNS,
            Column("open", _("Open")),
            Column("contact_overdue", _("First contact overdue")),
            Column("reviews_dated", _("With a review date")),
            Column("reviews_on_time", _("Review not past")),
            Column("review_compliance", _("Review compliance, %"), "percent"),
        ),
    ),
    Table(
        "caseload",
        _("Caseload per worker"),
        _(
            "Open assigned cases weighted by risk, divided by the office's social workers, "
            "against the norm; how many workers carry more than the norm."
        ),
        (
            Column("office", _("Office"), "text"),
            Column("workers", _("Social workers")),
            Column("open", _("Open cases assigned")),
            Column("weighted", _("Weighted caseload")),
            Column("per_worker", _("Weighted caseload per worker"), "hours"),
            Column("norm", _("Norm per worker")),
            Column("over_norm", _("Workers over the norm")),
        ),
    ),
    Table(
        "outcomes",
        _("Outcomes at closure"),
        _("Cases closed in the month, by outcome."),
        (
            Column("month", _("Month"), "text"),
            *_PLACE_COLUMNS,
            Column("outcome", _("Outcome"), "text"),
            Column("closed", _("Closed")),
        ),
    ),
)
TABLE_KEYS = tuple(t.key for t in TABLES)


def names() -> dict[str, dict[str, str]]:
    """Codes as the active language names them, per text column."""
    return {
        "office": {o.code: o.name for o in Office.objects.all()},
        "municipality": {m.code: m.name for m in Municipality.objects.all()},
        "specialisation": {str(k): str(v) for k, v in Specialisation.choices},
        "outcome": {str(k): str(v) for k, v in Outcome.choices},
    }


def rows(
    result: Indicators, table: Table, named: dict | None = None, *, limit: int | None = None
) -> list[dict]:
    """The table's rows (the first `limit`) as dicts, its codes replaced by their names (the
    month stays)."""
    named = names() if named is None else named
    out = []
    frame = getattr(result, table.key)
    for row in (frame if limit is None else frame.head(limit)).to_dicts():
        for column in table.columns:
            if column.kind == "text" and column.field in named:
                value = row[column.field]
                row[column.field] = named[column.field].get(value, value or "—")
        out.append(row)
    return out
