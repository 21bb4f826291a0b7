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

The suppression does not depend on the request: were it computed over whatever the filters
leave, two requests would subtract (a region's total less the cells of one municipality named
alone, the municipality's total less one programme, March to April less March). So for the
suppressed, each month's figures are suppressed once, over the whole country (`Pattern`): the
cube of municipality × programme (grievances: × category × status) with every margin (each
municipality's total, each region's and the country's per programme and in all), all their sums
given to `hidden` together, each count column on its own (recipients, households; an amount goes
with its recipients). Every view (the country, a region, one municipality, one programme) only
looks its cells up in that pattern, and grievances and cases are shown for one month (the
range's last) rather than summed over the range. The staff who see small cells read the range's
sums for their area, unsuppressed.
"""

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import product
from threading import Lock

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


# -- Suppression fixed for the whole country, per month ---------------------------------------

ALL = None  # a dimension's margin: every member added up


@dataclass
class Pattern:
    """A month's cube over the whole country, suppressed once: `values[key][field]` and
    `hidden[key]` (the fields suppressed) for every key (area, *members), where the area is
    (MUNICIPALITY, id), (REGION, id) or (COUNTRY, 0) and each member a dimension's value or ALL."""

    dims: list[list]
    values: dict[tuple, dict]
    hidden: dict[tuple, set[str]]

    def cell(self, key: tuple | None, name: str):
        """(value, suppressed) of `name` at `key`; a key the cube does not hold (no area of
        the pattern, a programme not paid that month) is suppressed."""
        if key is None or key not in self.values:
            return 0, True
        return self.values[key].get(name, 0), name in self.hidden[key]


def geography() -> dict[int, int]:
    """Every municipality's region (the pattern's areas: the whole country, whatever is shown)."""
    return dict(Municipality.objects.order_by("pk").values_list("pk", "region_id"))


def build_pattern(
    cells: Iterable[tuple[tuple, dict]],
    *,
    dims: list[list],
    counts: dict[str, list[str]],
    regions: dict[int, int],
) -> Pattern:
    """The `Pattern` of `cells` ((municipality id, *members), {field: number}): every area and
    margin summed, then each count column of `counts` (with the fields that go with it)
    suppressed by `hidden` over all the sums at once."""
    fields = [f for name, extra in counts.items() for f in (name, *extra)]
    areas = [(MUNICIPALITY, m) for m in sorted(regions)]
    region_ids = sorted(set(regions.values()))
    areas += [(REGION, r) for r in region_ids] + [(COUNTRY, 0)]
    members = [[*d, ALL] for d in dims]
    keys = [(area, *combo) for area in areas for combo in product(*members)]
    index = {key: i for i, key in enumerate(keys)}
    totals = [dict.fromkeys(fields, 0) for _ in keys]
    for (municipality, *parts), figures in cells:
        if municipality not in regions:
            continue
        covering = [
            (MUNICIPALITY, municipality),
            (REGION, regions[municipality]),
            (COUNTRY, 0),
        ]
        for area, combo in product(covering, product(*[(p, ALL) for p in parts])):
            here = totals[index[(area, *combo)]]
            for f in fields:
                here[f] += figures.get(f) or 0
    children = {(COUNTRY, 0): [(REGION, r) for r in region_ids]}
    for m, r in sorted(regions.items()):
        children.setdefault((REGION, r), []).append((MUNICIPALITY, m))
    sums: list[tuple[int, list[int]]] = []
    for key in keys:
        area, *combo = key
        if area in children:
            sums.append((index[key], [index[(c, *combo)] for c in children[area]]))
        for d, member in enumerate(combo):
            if member is ALL and dims[d]:
                sums.append(
                    (
                        index[key],
                        [index[(area, *combo[:d], m, *combo[d + 1 :])] for m in dims[d]],
                    )
                )
    hide = {
        name: hidden(np.array([t[name] for t in totals], dtype=np.int64), sums) for name in counts
    }
    return Pattern(
        dims=dims,
        values=dict(zip(keys, totals, strict=True)),
        hidden={
            key: {f for name, extra in counts.items() if hide[name][i] for f in (name, *extra)}
            for i, key in enumerate(keys)
        },
    )


_PATTERNS: OrderedDict = OrderedDict()
_PATTERNS_LOCK = Lock()
PATTERNS_KEPT = 256


def _cached(kind: str, month: date | None, refreshed, build) -> Pattern:
    """The pattern `kind` of `month`, made once per refresh of the tables (its id and time
    name the cache key: a refresh makes every pattern anew) and kept in the process."""
    if refreshed is None:
        return build()
    key = (kind, month, refreshed.pk, refreshed.finished_at)
    with _PATTERNS_LOCK:
        found = _PATTERNS.get(key)
        if found is not None:
            _PATTERNS.move_to_end(key)
            return found
    found = build()
    with _PATTERNS_LOCK:
        _PATTERNS[key] = found
        while len(_PATTERNS) > PATTERNS_KEPT:
            _PATTERNS.popitem(last=False)
    return found


def benefit_pattern(month: date, regions: dict[int, int], refreshed=None) -> Pattern:
    """Recipients (with the amount) and households by municipality × programme in `month`."""

    def build():
        rows = list(
            BenefitMonth.objects.filter(month=month)
            .order_by()
            .values_list("municipality_id", "programme_id")
            .annotate(r=Sum("recipients"), h=Sum("households"), a=Sum("amount"))
        )
        return build_pattern(
            (
                ((m, p), {"recipients": r, "households": h, "amount": _money(a)})
                for m, p, r, h, a in rows
            ),
            dims=[sorted({p for _m, p, *_rest in rows})],
            counts={"recipients": ["amount"], "households": []},
            regions=regions,
        )

    return _cached("benefits", month, refreshed, build)


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def coverage_pattern(regions: dict[int, int], refreshed=None) -> Pattern:
    """The registry's coverage (and the open cases) by municipality, on the refresh's day."""
    names = ["people", "households", "assessed", "scored", "open_cases"]

    def build():
        rows = RegistryCoverage.objects.order_by().values_list("municipality_id", *names)
        return build_pattern(
            (((m,), dict(zip(names, figures, strict=True))) for m, *figures in rows),
            dims=[],
            counts={name: [] for name in names},
            regions=regions,
        )

    return _cached("coverage", None, refreshed, build)


def grievance_pattern(month: date, regions: dict[int, int], refreshed=None) -> Pattern:
    """Grievances filed in `month` by municipality × category × status."""

    def build():
        rows = (
            GrievanceMonth.objects.filter(month=month)
            .order_by()
            .values_list("municipality_id", "category", "status")
            .annotate(n=Sum("grievances"))
        )
        return build_pattern(
            (((m, c, s), {"grievances": n}) for m, c, s, n in rows),
            dims=[[c.value for c in Category], [s.value for s in Status]],
            counts={"grievances": []},
            regions=regions,
        )

    return _cached("grievances", month, refreshed, build)


def caseload_pattern(month: date, regions: dict[int, int], refreshed=None) -> Pattern:
    """Social work cases opened and closed in `month` by municipality."""

    def build():
        rows = (
            CaseloadMonth.objects.filter(month=month)
            .order_by()
            .values_list("municipality_id")
            .annotate(o=Sum("opened"), c=Sum("closed"))
        )
        return build_pattern(
            (((m,), {"opened": o, "closed": c}) for m, o, c in rows),
            dims=[],
            counts={"opened": [], "closed": []},
            regions=regions,
        )

    return _cached("caseload", month, refreshed, build)


def area_key(municipalities: Iterable[int], regions: dict[int, int]) -> tuple | None:
    """The pattern's area that is exactly `municipalities`: the country, a region or one
    municipality; None for any other set (its total is no cell of the pattern: suppressed)."""
    chosen = set(municipalities)
    if not chosen:
        return None
    if chosen == set(regions):
        return (COUNTRY, 0)
    if len(chosen) == 1:
        return (MUNICIPALITY, next(iter(chosen)))
    owners = {regions.get(m) for m in chosen}
    if len(owners) == 1:
        region = owners.pop()
        if chosen == {m for m, r in regions.items() if r == region}:
            return (REGION, region)
    return None


def _fixed_row(base: dict, key: tuple | None, fields: dict[str, tuple]) -> dict:
    """`base` with each field of `fields` (field: (pattern, members, the pattern's field)) read
    at `key` in its pattern, and the row's suppressed fields."""
    row = dict(base)
    row["hidden"] = set()
    for name, (pattern, members, source) in fields.items():
        value, suppressed = pattern.cell(None if key is None else (key, *members), source)
        row[name] = value
        if suppressed:
            row["hidden"].add(name)
    return row


def _fixed_area_rows(
    places: dict[int, dict],
    regions: dict[int, int],
    fields: dict[str, tuple],
    total_label: str,
) -> list[dict]:
    """The rows of `_area_rows` (the total, each region followed by its municipalities), every
    figure read in the patterns of `fields` (see `_fixed_row`): a region's row is the region's
    cell when all its municipalities are shown (one municipality's when only it is)."""
    rows = [
        _fixed_row(
            {"level": COUNTRY, "name": total_label, "code": ""}, area_key(places, regions), fields
        )
    ]
    shown: dict[int, list[int]] = {}
    for pk, place in places.items():
        shown.setdefault(place["region"], []).append(pk)
    for municipalities in shown.values():
        first = places[municipalities[0]]
        rows.append(
            _fixed_row(
                {"level": REGION, "name": first["region_name"], "code": ""},
                area_key(municipalities, regions),
                fields,
            )
        )
        for pk in municipalities:
            place = places[pk]
            rows.append(
                _fixed_row(
                    {
                        "level": MUNICIPALITY,
                        "name": place["name"],
                        "code": place["code"],
                        "municipality_id": pk,
                    },
                    (MUNICIPALITY, pk),
                    fields,
                )
            )
    return rows


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
    refreshed = refreshed or AggregateRefresh.objects.first()
    # The suppressed read every cell in the country's patterns (see the module).
    regions = geography() if suppress else {}
    here_key = area_key(places, regions) if suppress else None

    # Registry coverage, on the day of the last refresh.
    coverage = (
        {}
        if suppress
        else {
            c["municipality_id"]: c
            for c in _here(RegistryCoverage.objects.all(), places, everywhere).values(
                "municipality_id", "people", "households", "assessed", "scored", "open_cases"
            )
        }
    )
    if suppress:
        covered = coverage_pattern(regions, refreshed)
        rows = _fixed_area_rows(
            places,
            regions,
            {name: (covered, (), name) for name in ("people", "households", "assessed", "scored")},
            total_label,
        )
    else:
        rows = _area_rows(
            places,
            coverage,
            counts={"people": [], "households": [], "assessed": [], "scored": []},
            suppress=False,
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
    month_rows = (
        []
        if suppress
        else benefits.filter(month=filters.last).values_list(
            "municipality_id", "programme_id", "recipients", "households", "amount"
        )
    )
    for municipality_id, programme_id, recipients, households, amount in month_rows:
        for sums, key in ((by_place, municipality_id), (by_programme_id, programme_id)):
            here = sums.setdefault(key, {"recipients": 0, "households": 0, "amount": 0})
            here["recipients"] += recipients
            here["households"] += households
            here["amount"] += amount
    if suppress:
        paid = benefit_pattern(filters.last, regions, refreshed)
        chosen = (filters.programme,) if filters.programme is not None else (ALL,)
        rows = _fixed_area_rows(
            places,
            regions,
            {name: (paid, chosen, name) for name in ("recipients", "households", "amount")},
            total_label,
        )
    else:
        rows = _area_rows(
            places,
            by_place,
            counts={"recipients": ["amount", "households"]},
            suppress=False,
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
        _fixed_programme_rows(paid, here_key, filters.programme, names, programme_names)
        if suppress
        else _flat_rows(by_programme, {"recipients": ["amount", "households"]}, False, total=True),
        chart=("name", "amount"),
    )
    per_month = {} if suppress else {r["month"]: r for r in _summed(benefits, "month")}
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
        [
            _fixed_row(
                {"level": "month", "name": f"{month:%Y-%m}"},
                here_key,
                {
                    name: (
                        benefit_pattern(month, regions, refreshed),
                        chosen,
                        name,
                    )
                    for name in ("recipients", "households", "amount")
                },
            )
            for month in filters.months()
        ]
        if suppress
        else _flat_rows(series, {"recipients": ["amount", "households"]}, False, total=False),
        chart=("name", "amount"),
    )

    # Grievances filed in the range: by category and status, and by area.
    grievances = _here(
        GrievanceMonth.objects.filter(month__gte=filters.first, month__lte=filters.last),
        places,
        everywhere,
    ).order_by()
    # One read for both tables: per municipality, category and status.
    cells = (
        []
        if suppress
        else list(
            grievances.values_list("municipality_id", "category", "status").annotate(
                n=Sum("grievances")
            )
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
    if suppress:
        filed_then = grievance_pattern(filters.last, regions, refreshed)
        tables["grievances_kind"] = _grievance_kinds(
            kinds, False, pattern=filed_then, key=here_key, month=month_text
        )
        rows = _fixed_area_rows(
            places,
            regions,
            {
                "grievances": (filed_then, (ALL, ALL), "grievances"),
                "resolved": (filed_then, (ALL, Status.RESOLVED.value), "grievances"),
            },
            total_label,
        )
    else:
        tables["grievances_kind"] = _grievance_kinds(kinds, False)
        rows = _area_rows(
            places,
            filed,
            counts={"grievances": [], "resolved": []},
            suppress=False,
            total_label=total_label,
        )
    _with_rates(rows, places)
    tables["grievances_area"] = Table(
        "grievances_area",
        _("Grievances by area, %(month)s") % {"month": month_text}
        if suppress
        else _("Grievances by area"),
        _(
            "Grievances and appeals filed in the month (the range's last: with small cells "
            "suppressed, months are not added up), and those resolved since."
        )
        if suppress
        else _(
            "Grievances and appeals filed in the months of the range, and those resolved since."
        ),
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
    cases = (
        {}
        if suppress
        else {
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
    )
    for pk, here in coverage.items():
        cases.setdefault(pk, {})["open_cases"] = here["open_cases"]
    if suppress:
        moved = caseload_pattern(filters.last, regions, refreshed)
        rows = _fixed_area_rows(
            places,
            regions,
            {
                "open_cases": (covered, (), "open_cases"),
                "opened": (moved, (), "opened"),
                "closed": (moved, (), "closed"),
            },
            total_label,
        )
    else:
        rows = _area_rows(
            places,
            cases,
            counts={"open_cases": [], "opened": [], "closed": []},
            suppress=False,
            total_label=total_label,
        )
    tables["caseload"] = Table(
        "caseload",
        _("Caseload of social work, %(month)s") % {"month": month_text}
        if suppress
        else _("Caseload of social work"),
        _(
            "Social work cases open on the day of the last refresh, and cases opened and "
            "closed in the month (the range's last: with small cells suppressed, months are "
            "not added up)."
        )
        if suppress
        else _(
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
        refreshed=refreshed,
    )


def _fixed_programme_rows(
    pattern: Pattern,
    key: tuple | None,
    programme: int | None,
    codes: dict[int, str],
    names: dict[int, str],
) -> list[dict]:
    """The benefits by programme of the area `key`, read in the month's pattern: the total
    (all programmes, or the one chosen) and each programme paid that month."""
    fields = ("recipients", "households", "amount")
    chosen = [programme] if programme is not None else pattern.dims[0]
    rows = [
        _fixed_row(
            {"level": COUNTRY, "name": _("Total")},
            key,
            {f: (pattern, (programme if programme is not None else ALL,), f) for f in fields},
        )
    ]
    for pk in chosen:
        rows.append(
            _fixed_row(
                {"level": "programme", "name": names.get(pk, ""), "code": codes.get(pk, "")},
                key,
                {f: (pattern, (pk,), f) for f in fields},
            )
        )
    return rows


def _grievance_kinds(
    counts: dict[tuple[str, str], int],
    suppress: bool,
    *,
    pattern: Pattern | None = None,
    key: tuple | None = None,
    month: str = "",
) -> Table:
    """Categories by status (`counts` per (category, status)), with each category's and each
    status's total and the grand total: every total is a sum of the cells beside it, so
    secondary suppression runs over both. With a `pattern` (the suppressed), every cell is the
    month's, read in it for the area `key`."""
    if pattern is not None:
        statuses = [s.value for s in Status]
        rows = []
        for category, label, level in [
            *[(c.value, str(c.label), "category") for c in Category],
            (ALL, _("Total"), COUNTRY),
        ]:
            rows.append(
                _fixed_row(
                    {"level": level, "name": label, "code": category or ""},
                    key,
                    {
                        **{s: (pattern, (category, s), "grievances") for s in statuses},
                        "total": (pattern, (category, ALL), "grievances"),
                    },
                )
            )
        return Table(
            "grievances_kind",
            _("Grievances by kind and outcome, %(month)s") % {"month": month},
            _(
                "Grievances and appeals filed in the month (the range's last: with small cells "
                "suppressed, months are not added up), by category and where they are now."
            ),
            [
                Column("name", _("Category"), "text"),
                *[Column(s.value, str(s.label)) for s in Status],
                Column("total", _("Total")),
            ],
            rows,
            chart=("name", "total"),
        )
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
