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
analysts), with the secondary suppression of `questionnaires.suppression.hidden`."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import polars as pl
from django.db.models import Count, F, Q, Sum
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
    executed: Decimal
    pending: Decimal
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
        if not self.tracked:
            return None
        return (100 * self.executed / self.tracked).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def planned_per_capita(self) -> Decimal | None:
        if not self.population or self.planned is None:
            return None
        return (self.planned / self.population).quantize(TETRI, rounding=ROUND_HALF_UP)

    @property
    def executed_per_capita(self) -> Decimal | None:
        if not self.population or self.recipients.count is None:
            return None
        return (self.executed / self.population).quantize(TETRI, rounding=ROUND_HALF_UP)


@dataclass
class Table:
    rows: list[Row]
    total: Row
    years: list[int] = field(default_factory=list)


def _executed(*, municipality_ids=None, years=None) -> pl.DataFrame:
    """The payments of municipal programmes grouped by municipality, year and programme."""
    qs = Payment.objects.filter(programme__municipality__isnull=False)
    if municipality_ids is not None:
        qs = qs.filter(programme__municipality_id__in=list(municipality_ids))
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
        qs = qs.filter(municipality_id__in=list(municipality_ids))
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


def _suppressed(counts: list[int | None], shown_small: bool) -> list[Recipients]:
    """The counts and their total (the last), small ones hidden with the secondary
    suppression: the total is the sum of the others."""
    if shown_small:
        return [Recipients(c) for c in counts]
    present = [i for i, c in enumerate(counts) if c is not None]
    if not present:
        return [Recipients(c) for c in counts]
    values = np.array([counts[i] for i in present])
    total = len(present) - 1
    hide = hidden(values, [(total, list(range(total)))]) if total >= 0 else []
    flags = dict(zip(present, hide, strict=True))
    return [Recipients(c, bool(flags.get(i, False))) for i, c in enumerate(counts)]


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

    frame = budget_frame(municipality_ids=[municipality.pk], years=[year])
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
    shown = _suppressed([r["recipients"] for r in raw] + [total["recipients"]], shown_small)
    rows = [Row(**(r | {"recipients": s})) for r, s in zip(raw, shown, strict=False)]
    total_row = Row(key="total", **(total | {"recipients": shown[-1]}))
    return Table(rows=rows, total=total_row, years=budget_years_of(municipality))


def region_budgets(*, region: Region, year: int, shown_small: bool) -> Table:
    """Each municipality of a region with a budget or payments that year: totals planned and
    executed, execution and spending per inhabitant; the region's total."""
    municipalities = {m.pk: m for m in region.municipalities.all()}
    frame = budget_frame(municipality_ids=list(municipalities), years=[year])
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
    shown = _suppressed([r["recipients"] for r in raw] + [total["recipients"]], shown_small)
    rows = [Row(**(r | {"recipients": s})) for r, s in zip(raw, shown, strict=False)]
    return Table(rows=rows, total=Row(key="total", **(total | {"recipients": shown[-1]})))


def budget_over_years(*, municipality: Municipality, shown_small: bool) -> Table:
    """A municipality's social budget year by year: planned, executed, execution, per capita
    (the one population figure the place data holds, for every year)."""
    frame = budget_frame(municipality_ids=[municipality.pk])
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
    # Each year's recipients on their own (years are not parts of a sum that is shown).
    shown = [_suppressed([r["recipients"]], shown_small)[0] for r in raw]
    rows = [Row(**(r | {"recipients": s})) for r, s in zip(raw, shown, strict=True)]
    total = _total_row("", frame, None)
    return Table(rows=rows, total=Row(key="total", **(total | {"recipients": Recipients(None)})))


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
