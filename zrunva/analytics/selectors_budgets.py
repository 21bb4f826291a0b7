"""Reading municipal social budgets: the planned lines against what was executed, from the
payments, by programme, municipality and year.

Executed: the payments of a municipality's programmes the bank confirmed paid (status
`paid`), by the year of the month paid for; *pending*: lines due in a payroll approved or
sent to the banks, not yet answered. Lines held, returned or cancelled, and payrolls still
being prepared or checked, are not spending. Recipients: the beneficiaries paid or due at
least once in the year (persons for a personal programme, households for a household one),
added up over programmes (a household in two programmes counts twice). Per-capita spending
divides by the municipality's population (`geo.Municipality.population`, on 1 January 2024 as
the place data cites it), not the registry's count of people (the registry holds applicants,
not every inhabitant).

One query groups the payments (SQL GROUP BY), one reads the planned lines; Polars joins them.
Recipients under ten are hidden where the viewer may not see small cells (the public,
analysts, staff outside their area), with the secondary suppression of
`questionnaires.suppression.hidden`, and so are the executed and pending amounts beside them
(an amount divided by the benefit gives the head count back; planned amounts, the council's
resolution, stay shown). One pattern per region and year (`suppression_pattern`) covers its
whole table: every line of every municipality, each municipality's total and the region's, so
the municipality page and the region page read their hidden cells from the same pattern and
neither gives away a cell the other hides."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import polars as pl
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear

from zrunva.analytics.models import BudgetLine
from zrunva.core.money import TETRI
from zrunva.geo.models import Municipality, Region
from zrunva.payments.choices import PaymentStatus, PayrollStep
from zrunva.payments.models import Payment
from zrunva.questionnaires.suppression import SMALL_CELL, hidden

PENDING_STEPS = (PayrollStep.APPROVED, PayrollStep.EXPORTED)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Recipients:
    """A count of recipients as the viewer may see it."""

    count: int | None  # None: not paid through Zrunva (a line without a programme)
    hidden: bool = False

    def __str__(self) -> str:
        if self.count is None:
            return ""
        return f"<{SMALL_CELL}" if self.hidden else str(self.count)

    @property
    def value(self):
        """For files and the API: the count, "<10" where hidden, None where not applicable."""
        if self.count is None:
            return None
        return f"<{SMALL_CELL}" if self.hidden else self.count


@dataclass
class Row:
    """One line of a budget table: a programme's line, a municipality, or a year."""

    key: object
    label: str
    planned: Decimal | None
    executed: Decimal | None  # None: hidden with the recipients
    pending: Decimal | None
    recipients: Recipients
    population: int | None = None
    # The planned amount of the lines Zrunva pays (a programme's): what execution is measured
    # against; None when no line is a programme's.
    tracked: Decimal | None = None
    programme_code: str = ""
    illustrative: bool = False
    line_id: int | None = None
    source: str = ""

    @property
    def execution(self) -> Decimal | None:
        """Executed as a percentage of what was planned for the lines Zrunva pays, one place;
        none without such a plan above zero (a line Zrunva does not pay has no execution)."""
        if not self.tracked or self.executed is None:
            return None
        return (100 * self.executed / self.tracked).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def planned_per_capita(self) -> Decimal | None:
        if not self.population or self.planned is None:
            return None
        return (self.planned / self.population).quantize(TETRI, rounding=ROUND_HALF_UP)

    @property
    def executed_per_capita(self) -> Decimal | None:
        if not self.population or self.recipients.count is None or self.executed is None:
            return None
        return (self.executed / self.population).quantize(TETRI, rounding=ROUND_HALF_UP)


@dataclass
class Table:
    rows: list[Row]
    total: Row
    years: list[int] = field(default_factory=list)


def _ids(municipality_ids):
    """Municipality ids as a filter takes them: a subquery kept as one, anything else listed."""
    return municipality_ids if isinstance(municipality_ids, QuerySet) else list(municipality_ids)


def _executed(*, municipality_ids=None, years=None) -> pl.DataFrame:
    """The payments of municipal programmes grouped by municipality, year and programme."""
    qs = Payment.objects.filter(programme__municipality__isnull=False)
    if municipality_ids is not None:
        qs = qs.filter(programme__municipality_id__in=_ids(municipality_ids))
    qs = qs.annotate(year=ExtractYear("month"))
    if years is not None:
        qs = qs.filter(year__in=list(years))
    paid = Q(status=PaymentStatus.PAID)
    pending = Q(status=PaymentStatus.DUE, payroll__step__in=PENDING_STEPS)
    counted = paid | pending
    grouped = (
        qs.values("year", "programme_id", municipality_id=F("programme__municipality_id"))
        .annotate(
            executed=Sum("amount", filter=paid, default=ZERO),
            pending=Sum("amount", filter=pending, default=ZERO),
            persons=Count("person", filter=counted & Q(person__isnull=False), distinct=True),
            households=Count("household", filter=counted & Q(person__isnull=True), distinct=True),
        )
        .order_by()
    )
    schema = {
        "municipality_id": pl.Int64,
        "year": pl.Int64,
        "programme_id": pl.Int64,
        "executed": pl.Decimal(14, 2),
        "pending": pl.Decimal(14, 2),
        "recipients": pl.Int64,
    }
    rows = [
        {
            "municipality_id": r["municipality_id"],
            "year": r["year"],
            "programme_id": r["programme_id"],
            "executed": Decimal(r["executed"]).quantize(TETRI),
            "pending": Decimal(r["pending"]).quantize(TETRI),
            "recipients": r["persons"] + r["households"],
        }
        for r in grouped
    ]
    return pl.DataFrame(rows, schema=schema)


def _planned(*, municipality_ids=None, years=None) -> pl.DataFrame:
    qs = BudgetLine.objects.all()
    if municipality_ids is not None:
        qs = qs.filter(municipality_id__in=_ids(municipality_ids))
    if years is not None:
        qs = qs.filter(year__in=list(years))
    schema = {
        "line_id": pl.Int64,
        "municipality_id": pl.Int64,
        "year": pl.Int64,
        "programme_id": pl.Int64,
        "planned": pl.Decimal(14, 2),
        "illustrative": pl.Boolean,
    }
    rows = list(
        qs.values("municipality_id", "year", "programme_id", "planned", "illustrative").annotate(
            line_id=F("pk")
        )
    )
    return pl.DataFrame(rows, schema=schema)


def budget_frame(*, municipality_ids=None, years=None) -> pl.DataFrame:
    """Planned and executed side by side, one row per budget line, plus a row for each
    programme paid without a line in its municipality's budget for that year (executed
    without a plan): municipality_id, year, programme_id, line_id, planned (null: no line),
    executed, pending, recipients (null: a line Zrunva does not pay)."""
    planned = _planned(municipality_ids=municipality_ids, years=years)
    executed = _executed(municipality_ids=municipality_ids, years=years)
    keys = ["municipality_id", "year", "programme_id"]
    joined = planned.join(executed, on=keys, how="full", coalesce=True, nulls_equal=False)
    return joined.with_columns(
        pl.col("executed").fill_null(ZERO),
        pl.col("pending").fill_null(ZERO),
        pl.col("illustrative").fill_null(False),
        pl.when(pl.col("programme_id").is_not_null())
        .then(pl.col("planned"))
        .otherwise(None)
        .alias("tracked"),
        # A line not tied to a programme has no recipients to count; a programme's has.
        pl.when(pl.col("programme_id").is_null())
        .then(None)
        .otherwise(pl.col("recipients").fill_null(0))
        .alias("recipients"),
    )


def _line_key(r: dict) -> object:
    """A row of `budget_frame` as the municipality's table keys it: its line, or its programme
    paid without a line."""
    return r["line_id"] or f"p{r['programme_id']}"


@dataclass(frozen=True)
class Pattern:
    """Which recipient counts a viewer without small cells is not shown (and the amounts with
    them): `lines` by (municipality id, year, line key), `places` (a municipality's total) by
    (municipality id, year), `regions` (the region's total) by year. `SHOWN`: nothing hidden."""

    lines: dict = field(default_factory=dict)
    places: dict = field(default_factory=dict)
    regions: dict = field(default_factory=dict)

    def line(self, municipality_id: int, year: int, key) -> bool:
        return self.lines.get((municipality_id, year, key), False)

    def place(self, municipality_id: int, year: int) -> bool:
        return self.places.get((municipality_id, year), False)

    def region(self, year: int) -> bool:
        return self.regions.get(year, False)


SHOWN = Pattern()


def suppression_pattern(frame: pl.DataFrame) -> Pattern:
    """The cells to hide in a region's tables, from its `budget_frame` (all its
    municipalities): for each year, the lines paid through Zrunva (a count, zero included),
    each municipality's total (the sum of its lines) and the region's (the sum of the
    municipalities'), suppressed together by `hidden` so that no shown sum gives a hidden
    part back, whichever of the region's pages (or files) one puts side by side."""
    lines: dict = {}
    places: dict = {}
    regions: dict = {}
    counted = frame.filter(pl.col("recipients").is_not_null()).sort(
        ["year", "municipality_id", "line_id", "programme_id"], nulls_last=True
    )
    for (year,), by_year in counted.group_by(["year"], maintain_order=True):
        counts: list[int] = []
        cells: list[tuple] = []  # what each count is: ("line", key) | ("place", id) | ("region",)
        sums: list[tuple[int, list[int]]] = []
        totals: list[int] = []
        for (municipality_id,), part in by_year.group_by(["municipality_id"], maintain_order=True):
            parts = []
            for r in part.iter_rows(named=True):
                parts.append(len(counts))
                counts.append(int(r["recipients"]))
                cells.append(("line", (municipality_id, year, _line_key(r))))
            totals.append(len(counts))
            counts.append(sum(counts[i] for i in parts))
            cells.append(("place", (municipality_id, year)))
            sums.append((totals[-1], parts))
        sums.append((len(counts), totals))
        counts.append(sum(counts[i] for i in totals))
        cells.append(("region", year))
        hide = hidden(np.array(counts), sums)
        for (kind, key), flag in zip(cells, hide, strict=True):
            {"line": lines, "place": places, "region": regions}[kind][key] = bool(flag)
    return Pattern(lines=lines, places=places, regions=regions)


def _shown(raw: dict, hide: bool) -> Row:
    """A row as the viewer sees it: a hidden count hides the amounts paid beside it."""
    if hide and raw["recipients"] is not None:
        raw = raw | {"executed": None, "pending": None}
    return Row(**(raw | {"recipients": Recipients(raw["recipients"], hide)}))


def _region_ids(municipality: Municipality):
    """Its region's municipalities, as a subquery (not a query of its own)."""
    return Municipality.objects.filter(region_id=municipality.region_id).values("pk")


def _frame_and_pattern(municipality: Municipality, years, shown_small: bool):
    """The municipality's rows of `budget_frame`, and the pattern to hide them by: read over
    its whole region where small cells are not shown (the region's page hides by the same)."""
    if shown_small:
        return budget_frame(municipality_ids=[municipality.pk], years=years), SHOWN
    region = budget_frame(municipality_ids=_region_ids(municipality), years=years)
    pattern = suppression_pattern(region)
    return region.filter(pl.col("municipality_id") == municipality.pk), pattern


def _total_row(label: str, rows_frame: pl.DataFrame, population: int | None) -> dict:
    planned = rows_frame["planned"].drop_nulls()
    tracked = rows_frame["tracked"].drop_nulls()
    recipients = rows_frame["recipients"].drop_nulls()
    return {
        "label": label,
        "planned": Decimal(planned.sum()).quantize(TETRI) if len(planned) else None,
        "tracked": Decimal(tracked.sum()).quantize(TETRI) if len(tracked) else None,
        "executed": Decimal(rows_frame["executed"].sum() or 0).quantize(TETRI),
        "pending": Decimal(rows_frame["pending"].sum() or 0).quantize(TETRI),
        "recipients": int(recipients.sum()) if len(recipients) else None,
        "population": population,
    }


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(TETRI)


def municipality_budget(*, municipality: Municipality, year: int, shown_small: bool) -> Table:
    """A municipality's social budget for a year: each line planned against executed, and the
    total with the spending per inhabitant."""
    from zrunva.programmes.models import Programme

    frame, pattern = _frame_and_pattern(municipality, [year], shown_small)
    lines = {
        line.pk: line
        for line in BudgetLine.objects.filter(pk__in=frame["line_id"].drop_nulls().to_list())
    }
    programmes = Programme.objects.in_bulk(frame["programme_id"].drop_nulls().unique().to_list())
    raw = []
    for r in frame.iter_rows(named=True):
        line = lines.get(r["line_id"])
        programme = programmes.get(r["programme_id"])
        label = line.label if line else (programme.name if programme else "")
        raw.append(
            {
                "key": r["line_id"] or f"p{r['programme_id']}",
                "label": label,
                "planned": _dec(r["planned"]),
                "tracked": _dec(r["tracked"]),
                "executed": _dec(r["executed"]),
                "pending": _dec(r["pending"]),
                "recipients": r["recipients"],
                "programme_code": programme.code if programme else "",
                "illustrative": bool(r["illustrative"]),
                "line_id": r["line_id"],
                "source": line.source if line else "",
            }
        )
    raw.sort(key=lambda r: (r["planned"] is None, -(r["planned"] or 0), r["label"]))
    total = _total_row("", frame, municipality.population)
    rows = [_shown(r, pattern.line(municipality.pk, year, r["key"])) for r in raw]
    total_row = _shown({"key": "total"} | total, pattern.place(municipality.pk, year))
    return Table(rows=rows, total=total_row, years=budget_years_of(municipality))


def region_budgets(*, region: Region, year: int, shown_small: bool) -> Table:
    """Each municipality of a region with a budget or payments that year: totals planned and
    executed, execution and spending per inhabitant; the region's total."""
    municipalities = {m.pk: m for m in region.municipalities.all()}
    frame = budget_frame(municipality_ids=list(municipalities), years=[year])
    pattern = SHOWN if shown_small else suppression_pattern(frame)
    by_place = (
        frame.group_by("municipality_id")
        .agg(
            pl.col("planned").sum().alias("planned"),
            pl.col("planned").is_not_null().any().alias("has_plan"),
            pl.col("tracked").sum().alias("tracked"),
            pl.col("tracked").is_not_null().any().alias("has_tracked"),
            pl.col("executed").sum(),
            pl.col("pending").sum(),
            pl.col("recipients").sum().alias("recipients"),
            pl.col("recipients").is_not_null().any().alias("has_recipients"),
            pl.col("illustrative").any(),
        )
        .to_dicts()
    )
    raw = []
    for r in by_place:
        m = municipalities[r["municipality_id"]]
        raw.append(
            {
                "key": m.code,
                "label": m.name,
                "planned": _dec(r["planned"]) if r["has_plan"] else None,
                "tracked": _dec(r["tracked"]) if r["has_tracked"] else None,
                "executed": _dec(r["executed"]),
                "pending": _dec(r["pending"]),
                "recipients": int(r["recipients"]) if r["has_recipients"] else None,
                "population": m.population,
                "illustrative": bool(r["illustrative"]),
            }
        )
    raw.sort(key=lambda r: r["label"])
    population = sum(r["population"] for r in raw) or None
    total = _total_row(region.name, frame, population)
    ids = {m.code: m.pk for m in municipalities.values()}
    rows = [_shown(r, pattern.place(ids[r["key"]], year)) for r in raw]
    return Table(rows=rows, total=_shown({"key": "total"} | total, pattern.region(year)))


def budget_over_years(*, municipality: Municipality, shown_small: bool) -> Table:
    """A municipality's social budget year by year: planned, executed, execution, per capita
    (the one population figure the place data holds, for every year)."""
    frame, pattern = _frame_and_pattern(municipality, None, shown_small)
    by_year = (
        frame.group_by("year")
        .agg(
            pl.col("planned").sum().alias("planned"),
            pl.col("planned").is_not_null().any().alias("has_plan"),
            pl.col("tracked").sum().alias("tracked"),
            pl.col("tracked").is_not_null().any().alias("has_tracked"),
            pl.col("executed").sum(),
            pl.col("pending").sum(),
            pl.col("recipients").sum().alias("recipients"),
            pl.col("recipients").is_not_null().any().alias("has_recipients"),
            pl.col("illustrative").any(),
        )
        .sort("year")
        .to_dicts()
    )
    raw = [
        {
            "key": r["year"],
            "label": str(r["year"]),
            "planned": _dec(r["planned"]) if r["has_plan"] else None,
            "tracked": _dec(r["tracked"]) if r["has_tracked"] else None,
            "executed": _dec(r["executed"]),
            "pending": _dec(r["pending"]),
            "recipients": int(r["recipients"]) if r["has_recipients"] else None,
            "population": municipality.population,
            "illustrative": bool(r["illustrative"]),
        }
        for r in by_year
    ]
    # Each year as the municipality's total on its page that year; the sum over the years
    # (no count of its own) is not shown beside a year hidden, or it would give that year back.
    rows = [_shown(r, pattern.place(municipality.pk, r["key"])) for r in raw]
    total = _total_row("", frame, None) | {"key": "total", "recipients": None}
    if any(r.recipients.hidden for r in rows):
        total |= {"executed": None, "pending": None}
    return Table(rows=rows, total=Row(**total))


def budget_years_of(municipality: Municipality | None = None) -> list[int]:
    """The years with a planned budget (a municipality's, or any), latest first."""
    qs = BudgetLine.objects.all()
    if municipality is not None:
        qs = qs.filter(municipality=municipality)
    return list(qs.values_list("year", flat=True).distinct().order_by("-year"))


def municipalities_with_budgets(year: int | None = None):
    """The municipalities with a planned budget (that year), by region, for the index."""
    qs = BudgetLine.objects.all()
    if year is not None:
        qs = qs.filter(year=year)
    ids = qs.values_list("municipality_id", flat=True).distinct()
    return Municipality.objects.filter(pk__in=ids).select_related("region").by_name()
