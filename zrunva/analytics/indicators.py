"""The monitoring indicators (issue 18, item 1) as tables: read from the dashboards' tables
(`models.aggregates`) only, limited to the reader's area, and with small cells suppressed for
whoever may not read the people behind them (analysts and the public).

One function, `dashboard(scope=, suppress=, filters=)`, gives every table of the staff
dashboard, the public page, the monthly report and the indicators API, so all four show the
same figures with the same cells suppressed.

Suppression: every count of people, households, recipients, grievances or cases under
`SMALL_CELL` (10; zero included) is suppressed, and so is every figure computed from it (the
amount paid to those recipients, a rate); then, where a table shows a total beside its parts (a
region beside its municipalities, the country beside its regions, a category's total beside
its statuses), one more part is suppressed whenever a total would give a suppressed one back
(`questionnaires.suppression.hidden`, secondary suppression). A suppressed cell is written as
"suppressed" on the page and in the files, and is absent (null) in the API.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

import numpy as np
from django.db.models import Sum
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from zrunva.analytics.aggregates import month_start, next_month
from zrunva.analytics.models import (
    AggregateRefresh,
    BenefitMonth,
    CaseloadMonth,
    GrievanceMonth,
    RegistryCoverage,
)
from zrunva.geo.models import Municipality
from zrunva.grievances.choices import Category, Status
from zrunva.programmes.models import Programme
from zrunva.questionnaires.suppression import SMALL_CELL, hidden  # noqa: F401 (SMALL_CELL: for views)

COUNTRY, REGION, MUNICIPALITY = "country", "region", "municipality"


@lru_cache(maxsize=8)
def _symbols(locale: str) -> tuple[str, str]:
    from babel.numbers import get_decimal_symbol, get_group_symbol

    return get_group_symbol(locale), get_decimal_symbol(locale)


def _grouped(value, places: int) -> str:
    """`value` grouped with the active language's CLDR symbols, as `core.numbers` writes it
    (`1 234,5` / `1,234.5`), without Babel's pattern parsing for each of the page's hundreds
    of cells (a test holds the two together)."""
    group, decimal = _symbols((get_language() or "ka").split("-")[0])
    text = f"{value:,.{places}f}"
    return text.replace(",", "\x00").replace(".", decimal).replace("\x00", group)


def cell_text(value, kind: str, suppressed: bool = False) -> str:
    """A figure as people read it (`core.numbers`' formats); a suppressed one says so; no
    figure is a dash."""
    if suppressed:
        return _("suppressed")
    if value is None or value == "":
        return "—"
    if kind == "count":
        return _grouped(int(value), 0)
    if kind == "money":
        return _grouped(Decimal(value).quantize(Decimal("0.01")), 2)
    if kind in ("percent", "rate"):
        figure = round(Decimal(str(value)), 1)
        return _grouped(figure, 0 if figure == figure.to_integral_value() else 1)
    return str(value)


@dataclass(frozen=True)
class Filters:
    """The months from `first` to `last` (first days), a region and a programme (ids; None:
    all). Breakdowns of benefits are for the month `last`; grievances and cases opened count
    over the whole range."""

    first: date
    last: date
    region: int | None = None
    programme: int | None = None

    def months(self) -> list[date]:
        out, month = [], month_start(self.first)
        while month <= self.last:
            out.append(month)
            month = next_month(month)
        return out


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    kind: str = "count"  # count, money, percent, rate or text


@dataclass
class Table:
    key: str
    title: str
    note: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    # The chart beside the table: the field of its bars' labels and of their values.
    chart: tuple[str, str] | None = None

    def cell(self, row: dict, name: str):
        """The figure of `row`'s `name`, or None when it is suppressed."""
        return None if name in row["hidden"] else row.get(name)


@dataclass
class Dashboard:
    filters: Filters
    suppressed: bool
    national: bool
    tables: dict[str, Table]
    places: dict[int, dict]  # municipality id -> code, name, region id, population
    refreshed: AggregateRefresh | None

    def table(self, key: str) -> Table:
        return self.tables[key]


def _places(scope: frozenset[int] | None, region: int | None) -> dict[int, dict]:
    municipalities = (
        Municipality.objects.select_related("region")
        .only(
            "pk",
            "code",
            "name_ka",
            "name_en",
            "population",
            "region_id",
            "region__name_ka",
            "region__name_en",
        )
        .order_by("region__name_en", "name_en")
    )
    if scope is not None:
        municipalities = municipalities.filter(pk__in=scope)
    if region is not None:
        municipalities = municipalities.filter(region_id=region)
    return {
        m.pk: {
            "code": m.code,
            "name": m.name,
            "region": m.region_id,
            "region_name": m.region.name,
            "population": m.population,
        }
        for m in municipalities
    }


def suppress_counts(
    counts: dict[str, list[int]], sums: list[tuple[int, list[int]]]
) -> dict[str, np.ndarray]:
    """For each count column (its values in one order of cells), which cells to hide: small
    ones and those a total would give back (`hidden`)."""
    return {name: hidden(np.array(values, dtype=np.int64), sums) for name, values in counts.items()}


def _area_rows(
    places: dict[int, dict],
    values: dict[int, dict],
    *,
    counts: dict[str, list[str]],
    suppress: bool,
    total_label: str,
) -> list[dict]:
    """Rows for the total, each region and each municipality of `places` (in that order: the
    total, then each region followed by its municipalities), summing `values` (municipality id
    -> {field: number}). `counts` names each count field and the fields that go with it (an
    amount with its recipients): suppressed together."""
    fields = [f for name, extra in counts.items() for f in (name, *extra)]
    zero = dict.fromkeys(fields, 0)
    rows = [{"level": COUNTRY, "name": total_label, "code": "", **zero}]
    sums: list[tuple[int, list[int]]] = [(0, [])]
    regions: dict[int, int] = {}
    for pk, place in places.items():
        if place["region"] not in regions:
            regions[place["region"]] = len(rows)
            sums[0][1].append(len(rows))
            sums.append((len(rows), []))
            rows.append({"level": REGION, "name": place["region_name"], "code": "", **zero})
        region_index = regions[place["region"]]
        here = values.get(pk, {})
        row = {
            "level": MUNICIPALITY,
            "name": place["name"],
            "code": place["code"],
            "municipality_id": pk,
            **{f: here.get(f, 0) or 0 for f in fields},
        }
        next(s for s in sums if s[0] == region_index)[1].append(len(rows))
        rows.append(row)
        for f in fields:
            rows[region_index][f] += row[f]
            rows[0][f] += row[f]
    masks = (
        suppress_counts({name: [r[name] for r in rows] for name in counts}, sums)
        if suppress
        else {}
    )
    for index, row in enumerate(rows):
        row["hidden"] = {
            f
            for name, extra in counts.items()
            if name in masks and masks[name][index]
            for f in (name, *extra)
        }
    return rows


def _flat_rows(
    rows: list[dict], counts: dict[str, list[str]], suppress: bool, total: bool
) -> list[dict]:
    """`rows` (each a part) with a total row first if `total`, suppressed as `_area_rows`."""
    fields = [f for name, extra in counts.items() for f in (name, *extra)]
    sums = []
    if total:
        head = {
            "level": COUNTRY,
            "name": _("Total"),
            **{f: sum(r[f] for r in rows) for f in fields},
        }
        rows = [head, *rows]
        sums = [(0, list(range(1, len(rows))))]
    masks = (
        suppress_counts({name: [r[name] for r in rows] for name in counts}, sums)
        if suppress and rows
        else {}
    )
    for index, row in enumerate(rows):
        row["hidden"] = {
            f
            for name, extra in counts.items()
            if name in masks and masks[name][index]
            for f in (name, *extra)
        }
    return rows


def _here(qs, places: dict[int, dict], everywhere: bool):
    """`qs` limited to the municipalities of `places` (no condition when they are all)."""
    return qs if everywhere else qs.filter(municipality_id__in=list(places))


def _benefits(filters: Filters, places: dict[int, dict], everywhere: bool):
    qs = _here(
        BenefitMonth.objects.filter(month__gte=filters.first, month__lte=filters.last),
        places,
        everywhere,
    )
    if filters.programme is not None:
        qs = qs.filter(programme_id=filters.programme)
    return qs.order_by()


def _summed(qs, key: str) -> list[dict]:
    """Recipients, households and amount of `qs` summed per `key`."""
    return [
        {key: r[key], "recipients": r["n"], "households": r["h"], "amount": r["a"]}
        for r in qs.values(key)
        .annotate(n=Sum("recipients"), h=Sum("households"), a=Sum("amount"))
        .order_by(key)
    ]


def _with_rates(rows: list[dict], places: dict[int, dict]) -> None:
    """Per-inhabitant figures from Geostat's population (public figures): registry coverage
    (people per 100 inhabitants), recipients per 1,000, GEL per inhabitant."""
    population_of = {COUNTRY: 0}
    regions: dict[str, int] = {}
    for place in places.values():
        population_of[COUNTRY] += place["population"]
        regions[place["region_name"]] = regions.get(place["region_name"], 0) + place["population"]
    for row in rows:
        if row["level"] == MUNICIPALITY:
            population = places[row["municipality_id"]]["population"]
        elif row["level"] == REGION:
            population = regions.get(row["name"], 0)
        else:
            population = population_of[COUNTRY]
        row["population"] = population
        for name, (numerator, per, places_) in _RATES.items():
            if numerator in row:
                row[name] = (
                    round(row[numerator] * per / population, places_) if population else None
                )
                if numerator in row["hidden"]:
                    row["hidden"].add(name)


# rate field: (count field, per how many inhabitants, decimal places)
_RATES = {
    "people_per_100": ("people", 100, 1),
    "recipients_per_1000": ("recipients", 1000, 1),
    "grievances_per_10000": ("grievances", 10000, 1),
}


def dashboard(
    *,
    scope: frozenset[int] | None,
    suppress: bool,
    filters: Filters,
    refreshed: AggregateRefresh | None = None,
) -> Dashboard:
    """Every indicator table for the municipalities of `scope` (None: the whole country) and
    the filters; cells under ten people suppressed if `suppress` (see the module)."""
    places = _places(scope, filters.region)
    national = scope is None and filters.region is None
    # Every municipality: the tables' rows need no condition on the municipality.
    everywhere = national
    total_label = _("Georgia") if national else _("All municipalities shown")
    tables: dict[str, Table] = {}

    # Registry coverage, on the day of the last refresh.
    coverage = {
        c["municipality_id"]: c
        for c in _here(RegistryCoverage.objects.all(), places, everywhere).values(
            "municipality_id", "people", "households", "assessed", "scored", "open_cases"
        )
    }
    rows = _area_rows(
        places,
        coverage,
        counts={"people": [], "households": [], "assessed": [], "scored": []},
        suppress=suppress,
        total_label=total_label,
    )
    _with_rates(rows, places)
    for row in rows:
        row["scored_share"] = (
            round(100 * row["scored"] / row["households"], 1) if row["households"] else None
        )
        if "scored" in row["hidden"] or "households" in row["hidden"]:
            row["hidden"].add("scored_share")
    tables["coverage"] = Table(
        "coverage",
        _("Registry coverage"),
        _(
            "People and households in the registry on the day of the last refresh; households "
            "assessed (ever) and with a current rating score (re-assessment not yet due); people "
            "registered per 100 inhabitants (Geostat's population on 1 January 2024)."
        ),
        [
            Column("name", _("Area"), "text"),
            Column("people", _("People registered")),
            Column("households", _("Households registered")),
            Column("assessed", _("Households assessed")),
            Column("scored", _("With a current score")),
            Column("scored_share", _("Households with a current score, %"), "percent"),
            Column("people_per_100", _("People registered per 100 inhabitants"), "rate"),
        ],
        rows,
        chart=("name", "people"),
    )

    # Benefits in the month shown (the last of the range), by area and by programme.
    benefits = _benefits(filters, places, everywhere)
    # The month's rows are one per municipality and programme: read once, summed both ways.
    by_place: dict[int, dict] = {}
    by_programme_id: dict[int, dict] = {}
    for municipality_id, programme_id, recipients, households, amount in benefits.filter(
        month=filters.last
    ).values_list("municipality_id", "programme_id", "recipients", "households", "amount"):
        for sums, key in ((by_place, municipality_id), (by_programme_id, programme_id)):
            here = sums.setdefault(key, {"recipients": 0, "households": 0, "amount": 0})
            here["recipients"] += recipients
            here["households"] += households
            here["amount"] += amount
    rows = _area_rows(
        places,
        by_place,
        counts={"recipients": ["amount", "households"]},
        suppress=suppress,
        total_label=total_label,
    )
    _with_rates(rows, places)
    month_text = f"{filters.last:%Y-%m}"
    tables["benefits_area"] = Table(
        "benefits_area",
        _("Recipients and amounts by area, %(month)s") % {"month": month_text},
        _(
            "Beneficiaries (a person, or a household for a programme that pays the household) "
            "and the amount, from the payments due or paid where the programme has a payroll for "
            "the month, otherwise from the enrolments in force; a beneficiary of two programmes "
            "counts in each."
        ),
        [
            Column("name", _("Area"), "text"),
            Column("recipients", _("Recipients")),
            Column("households", _("Households")),
            Column("amount", _("Amount, GEL"), "money"),
            Column("recipients_per_1000", _("Recipients per 1,000 inhabitants"), "rate"),
        ],
        rows,
        chart=("name", "recipients"),
    )
    programmes = Programme.objects.only("pk", "code", "name_ka", "name_en")
    names = {p.pk: p.code for p in programmes}
    programme_names = {p.pk: p.name for p in programmes}
    by_programme = [
        {
            "level": "programme",
            "name": programme_names.get(programme_id, ""),
            "code": names.get(programme_id, ""),
            "recipients": r["recipients"],
            "households": r["households"],
            "amount": r["amount"],
        }
        for programme_id, r in sorted(by_programme_id.items())
    ]
    tables["benefits_programme"] = Table(
        "benefits_programme",
        _("Recipients and amounts by programme, %(month)s") % {"month": month_text},
        _("The same figures by programme, for the areas shown."),
        [
            Column("name", _("Programme"), "text"),
            Column("recipients", _("Recipients")),
            Column("households", _("Households")),
            Column("amount", _("Amount, GEL"), "money"),
        ],
        _flat_rows(by_programme, {"recipients": ["amount", "households"]}, suppress, total=True),
        chart=("name", "amount"),
    )
    per_month = {r["month"]: r for r in _summed(benefits, "month")}
    series = [
        {
            "level": "month",
            "name": f"{month:%Y-%m}",
            "recipients": per_month.get(month, {}).get("recipients") or 0,
            "households": per_month.get(month, {}).get("households") or 0,
            "amount": per_month.get(month, {}).get("amount") or Decimal("0.00"),
        }
        for month in filters.months()
    ]
    tables["benefits_month"] = Table(
        "benefits_month",
        _("Recipients and amounts by month"),
        _("Every month of the range, for the areas and programme shown."),
        [
            Column("name", _("Month"), "text"),
            Column("recipients", _("Recipients")),
            Column("households", _("Households")),
            Column("amount", _("Amount, GEL"), "money"),
        ],
        _flat_rows(series, {"recipients": ["amount", "households"]}, suppress, total=False),
        chart=("name", "amount"),
    )

    # Grievances filed in the range: by category and status, and by area.
    grievances = _here(
        GrievanceMonth.objects.filter(month__gte=filters.first, month__lte=filters.last),
        places,
        everywhere,
    ).order_by()
    # One read for both tables: per municipality, category and status.
    cells = list(
        grievances.values_list("municipality_id", "category", "status").annotate(
            n=Sum("grievances")
        )
    )
    kinds: dict[tuple[str, str], int] = {}
    filed: dict[int, dict] = {}
    for municipality_id, category, status, n in cells:
        kinds[category, status] = kinds.get((category, status), 0) + n
        here = filed.setdefault(municipality_id, {"grievances": 0, "resolved": 0})
        here["grievances"] += n
        if status == Status.RESOLVED:
            here["resolved"] += n
    tables["grievances_kind"] = _grievance_kinds(kinds, suppress)
    rows = _area_rows(
        places,
        filed,
        counts={"grievances": [], "resolved": []},
        suppress=suppress,
        total_label=total_label,
    )
    _with_rates(rows, places)
    tables["grievances_area"] = Table(
        "grievances_area",
        _("Grievances by area"),
        _("Grievances and appeals filed in the months of the range, and those resolved since."),
        [
            Column("name", _("Area"), "text"),
            Column("grievances", _("Filed")),
            Column("resolved", _("Resolved")),
            Column("grievances_per_10000", _("Filed per 10,000 inhabitants"), "rate"),
        ],
        rows,
        chart=("name", "grievances"),
    )

    # Caseload of social work.
    cases = {
        r["municipality_id"]: r
        for r in _here(
            CaseloadMonth.objects.filter(month__gte=filters.first, month__lte=filters.last),
            places,
            everywhere,
        )
        .order_by()
        .values("municipality_id")
        .annotate(opened=Sum("opened"), closed=Sum("closed"))
    }
    for pk, here in coverage.items():
        cases.setdefault(pk, {})["open_cases"] = here["open_cases"]
    rows = _area_rows(
        places,
        cases,
        counts={"open_cases": [], "opened": [], "closed": []},
        suppress=suppress,
        total_label=total_label,
    )
    tables["caseload"] = Table(
        "caseload",
        _("Caseload of social work"),
        _(
            "Social work cases open on the day of the last refresh, and cases opened and "
            "closed in the months of the range."
        ),
        [
            Column("name", _("Area"), "text"),
            Column("open_cases", _("Open now")),
            Column("opened", _("Opened")),
            Column("closed", _("Closed")),
        ],
        rows,
        chart=("name", "open_cases"),
    )
    return Dashboard(
        filters=filters,
        suppressed=suppress,
        national=national,
        tables=tables,
        places=places,
        refreshed=refreshed or AggregateRefresh.objects.first(),
    )


def _grievance_kinds(counts: dict[tuple[str, str], int], suppress: bool) -> Table:
    """Categories by status (`counts` per (category, status)), with each category's and each
    status's total and the grand total: every total is a sum of the cells beside it, so
    secondary suppression runs over both."""
    statuses = list(Status)
    rows = [
        {
            "level": "category",
            "name": str(category.label),
            "code": category.value,
            **{s.value: counts.get((category.value, s.value), 0) for s in statuses},
        }
        for category in Category
    ]
    for row in rows:
        row["total"] = sum(row[s.value] for s in statuses)
    total = {"level": COUNTRY, "name": _("Total"), "code": ""}
    for name in [s.value for s in statuses] + ["total"]:
        total[name] = sum(r[name] for r in rows)
    rows.append(total)
    # One flat list of cells (row by row, the statuses then the total), and its sums.
    names = [s.value for s in statuses] + ["total"]
    width = len(names)
    flat = [row[name] for row in rows for name in names]
    sums = []
    for r in range(len(rows)):
        sums.append((r * width + width - 1, [r * width + c for c in range(width - 1)]))
    last = len(rows) - 1
    for c in range(width):
        sums.append((last * width + c, [r * width + c for r in range(last)]))
    mask = hidden(np.array(flat, dtype=np.int64), sums) if suppress else np.zeros(len(flat), bool)
    for r, row in enumerate(rows):
        row["hidden"] = {names[c] for c in range(width) if mask[r * width + c]}
    return Table(
        "grievances_kind",
        _("Grievances by kind and outcome"),
        _(
            "Grievances and appeals filed in the months of the range, by category and where they are now."
        ),
        [
            Column("name", _("Category"), "text"),
            *[Column(s.value, str(s.label)) for s in statuses],
            Column("total", _("Total")),
        ],
        rows,
        chart=("name", "total"),
    )


# -- The map's indicators -------------------------------------------------------------------

MAP_INDICATORS = {
    # key: (label, table, field of the figure)
    "people_per_100": (
        gettext_lazy("People registered per 100 inhabitants"),
        "coverage",
        "people_per_100",
    ),
    "scored_share": (
        gettext_lazy("Households with a current score, %"),
        "coverage",
        "scored_share",
    ),
    "recipients_per_1000": (
        gettext_lazy("Recipients per 1,000 inhabitants"),
        "benefits_area",
        "recipients_per_1000",
    ),
    "grievances_per_10000": (
        gettext_lazy("Grievances per 10,000 inhabitants"),
        "grievances_area",
        "grievances_per_10000",
    ),
    "open_cases": (gettext_lazy("Open social work cases"), "caseload", "open_cases"),
}
SHADES = 5


def shade_classes(
    values: Iterable[float | None],
) -> tuple[list[int | None], list[tuple[int, float, float]]]:
    """Each value's shade, 1 to SHADES, by equal intervals between the smallest and the
    largest value shown (None for no value), and the legend: (shade, from, to) for each shade.
    One value alone (or all alike) takes the middle shade."""
    values = list(values)
    shown = [v for v in values if v is not None]
    if not shown:
        return [None] * len(values), []
    low, high = min(shown), max(shown)
    if high == low:
        middle = (SHADES + 1) // 2
        return [None if v is None else middle for v in values], [(middle, low, high)]
    step = (high - low) / SHADES
    legend = [(i + 1, low + i * step, low + (i + 1) * step) for i in range(SHADES)]
    shades = [None if v is None else min(SHADES, int((v - low) / step) + 1) for v in values]
    return shades, legend
