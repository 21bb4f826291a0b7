"""Reform simulation: the programmes in force (the baseline) and a scenario's changed versions,
decided over the registry by the engine officers' decisions come from (`programmes.engine`),
and what the change does to households: cost, recipients, winners and losers, coverage of the
poorest, poverty and inequality, nationally and by region, and a variant within a budget that
pays the poorest first.

Everything here works on frames (`simulate`), so the benchmark runs it without a database; the
job (`simulation_execute`) reads the registry and the rules, and stores the outputs.

Method, as the result page states it:
- welfare before benefits is the household's members' monthly income (the registry's income
  sources) per person; welfare under a set of rules adds that household's benefits under them;
- measures count people: a household's per-person welfare counts once per member;
- the poorest decile is the tenth of people with the lowest welfare before benefits;
- the poverty line is a share (60% by default, illustrative) of the median welfare per person
  under the rules in force, or a fixed amount the scenario sets;
- winners and losers compare each household's monthly benefits under the scenario with those
  under the rules in force: a gain over 50 GEL, a gain up to 50 GEL, no change, a loss;
- the budget-capped variant pays the changed programmes to households from the poorest (by
  welfare before benefits) as long as the annual cost so far stays within the cap; those
  after get nothing from the changed programmes, and the others' benefits as in force.
"""

import io
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import polars as pl
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zrunva.analytics import inequality
from zrunva.core.frames import Grouping
from zrunva.programmes import attributes, engine, expressions
from zrunva.programmes.validators import LARGEST_AMOUNT, LARGEST_NUMBER

# A gain above this (GEL a month) is a large gain in the winners and losers bands.
LARGE_GAIN_TETRI = 50_00
BANDS = ("gain_over_50", "gain_up_to_50", "no_change", "loss")
VARIANTS = ("baseline", "scenario", "capped")
OLDEST_AGE = 120

# -- Bounds of a changed parameter, by its unit --------------------------------------------


def parameter_range(unit: str) -> tuple[Decimal, Decimal]:
    """The values a scenario may give a parameter of this unit: amounts in GEL from 0 to the
    largest amount a decision holds, ages from 0 to 120, scores within the rating score's
    published bounds, shares from 0 to 1; any other figure within a parameter's bound."""
    unit = (unit or "").strip().lower()
    if unit.startswith("gel"):
        return Decimal(0), LARGEST_AMOUNT
    if unit == "years":
        return Decimal(0), Decimal(OLDEST_AGE)
    if unit == "score":
        bounds = attributes.ATTRIBUTES["household.rating_score"].bounds
        return Decimal(int(bounds.low)), Decimal(int(bounds.high))
    if unit == "share":
        return Decimal(0), Decimal(1)
    return Decimal(-LARGEST_NUMBER), Decimal(LARGEST_NUMBER)


def check_parameter(code: str, value: Any, unit: str) -> Decimal:
    """A parameter's value as the scenario gives it, or a ValidationError naming the field
    `parameters.<code>` and the range it must lie in."""
    field = f"parameters.{code}"
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Give a number.")}) from None
    if not number.is_finite():
        raise ValidationError({field: _("Give a number.")})
    low, high = parameter_range(unit)
    if number < low or number > high:
        if unit and unit.lower().startswith("gel") and number < 0:
            message = _("An amount cannot be negative.")
        elif unit == "years" and number > OLDEST_AGE:
            message = _("An age limit cannot be over %(limit)s years.") % {"limit": OLDEST_AGE}
        else:
            message = _("Give a value from %(low)s to %(high)s.") % {
                "low": f"{low.normalize():,f}",
                "high": f"{high.normalize():,f}",
            }
        raise ValidationError({field: message})
    return number.quantize(Decimal("0.0001"))


def parameters_read(*texts: str) -> list[str]:
    """The parameter codes these rules read, in the order they first appear."""
    found: list[str] = []
    for text in texts:
        try:
            tree = expressions.parse(text)
        except expressions.ExpressionError:
            continue
        for node in expressions.walk(tree):
            if node.kind == "param" and node.value not in found:
                found.append(node.value)
    return found


# -- The scenario's programmes ----------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A programme as a scenario changes it (unsaved or from `ScenarioChange`)."""

    programme_id: int
    parameters: Mapping[str, Decimal]
    criteria: str = ""
    formula: str = ""


def changed_programmes(
    baseline: Iterable[engine.Compiled], changes: Iterable[Change]
) -> list[engine.Compiled]:
    """Each changed programme compiled with the same engine: its parameter values on the date
    with the scenario's in their place, and its rules or the scenario's. A programme the
    scenario changes that is not in force on the date is refused, named."""
    by_id = {c.id: c for c in baseline}
    compiled = []
    for change in changes:
        base = by_id.get(change.programme_id)
        if base is None:
            raise ValidationError(
                _("A programme this scenario changes is not in force on its date.")
            )
        params = dict(base.params) | {k: Decimal(v) for k, v in change.parameters.items()}
        compiled.append(
            engine.compile_rules(
                id=base.id,
                code=base.code,
                level=base.level,
                criteria=change.criteria or base.criteria.text,
                formula=change.formula or base.formula.text,
                params=params,
                municipality=base.municipality,
                versions=base.versions,
                programme=base.programme,
            )
        )
    return compiled


# -- The computation, on frames ---------------------------------------------------------------


def _per_programme(
    decisions: pl.DataFrame,
    ids: np.ndarray,
    programme_ids: list[int],
    people_households: np.ndarray | None = None,
    members: Grouping | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per programme (rows, in `programme_ids`' order) and household (columns, aligned with
    `ids`, ascending): the monthly amounts paid, in tetri, a person programme's members added
    up; and per programme, how many beneficiaries are paid (an award always pays something).
    The decisions come as `engine.decide` gives them, each programme's rows together and, for a
    state programme, in the frames' order: those rows are placed by position, the others (a
    municipality's programme) looked up."""
    width = len(ids)
    out = np.zeros((len(programme_ids), width), dtype=np.int64)
    counts = np.zeros(len(programme_ids), dtype=np.int64)
    if decisions.is_empty():
        return out, counts
    # `decide` gives an amount only to an award (null otherwise), and a Decimal(12, 2) is held
    # as whole tetri: read as they are, no arithmetic on decimals.
    tetri = decisions["amount"].to_physical().cast(pl.Int64).fill_null(0).to_numpy()
    household = decisions["household_id"].to_numpy()
    runs = decisions["programme_id"].rle()
    lengths, programme = runs.struct.field("len").to_numpy(), runs.struct.field("value").to_numpy()
    ends = np.cumsum(lengths)
    starts = ends - lengths
    index = {pid: i for i, pid in enumerate(programme_ids)}
    for pid, start, end in zip(programme, starts, ends, strict=True):
        row = index[int(pid)]
        part = tetri[start:end]
        counts[row] += int(np.count_nonzero(part))
        own = household[start:end]
        if end - start == width and np.array_equal(own, ids):
            out[row] += part
            continue
        if (
            members is not None
            and people_households is not None
            and end - start == len(people_households)
            and np.array_equal(own, people_households)
        ):
            places = members.rows
        else:
            places = np.searchsorted(ids, own)
        out[row] += np.bincount(places, weights=part, minlength=width).astype(np.int64)
    return out, counts


def money(tetri: int | float) -> str:
    """Tetri as exact GEL text with two places (JSON has no decimals)."""
    return f"{Decimal(int(tetri)) / 100:.2f}"


def _figure(value: float) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 6)


@dataclass
class Columns:
    """The per-household arrays the measures read, sorted by region so that each region is a
    slice of them (views, not copies)."""

    size: np.ndarray
    decile: np.ndarray  # by welfare before benefits, of people
    benefits: dict[str, np.ndarray]  # variant → tetri a month
    welfare: dict[str, np.ndarray]  # "before" and each variant → GEL a month per person
    # "before" and each variant → the Gini nationally (None) and of each region's slice
    ginis: dict[str, dict] = field(default_factory=dict)


def _outcome(cols: Columns, part: slice, variant: str, line: float) -> dict:
    size, benefit = cols.size[part], cols.benefits[variant][part]
    welfare = cols.welfare[variant][part]
    paid = benefit > 0
    poorest = cols.decile[part] == 1
    poorest_people = size[poorest].sum()
    return {
        "cost_month": money(benefit.sum()),
        "cost_year": money(benefit.sum() * 12),
        "recipient_households": int(paid.sum()),
        "recipient_people": int(size[paid].sum()),
        "poorest_decile_coverage": _figure(
            size[poorest & paid].sum() / poorest_people if poorest_people else np.nan
        ),
        "headcount": _figure(inequality.headcount(welfare, line, size)),
        "poverty_gap": _figure(inequality.poverty_gap(welfare, line, size)),
        "gini": _figure(cols.ginis[variant][part.start]),
    }


def _bands(cols: Columns, part: slice, variant: str) -> dict:
    difference = cols.benefits[variant][part] - cols.benefits["baseline"][part]
    size = cols.size[part]
    masks = {
        "gain_over_50": difference > LARGE_GAIN_TETRI,
        "gain_up_to_50": (difference > 0) & (difference <= LARGE_GAIN_TETRI),
        "no_change": difference == 0,
        "loss": difference < 0,
    }
    return {
        band: {"households": int(m.sum()), "people": int(size[m].sum())}
        for band, m in masks.items()
    }


def _area(cols: Columns, part: slice, line: float, capped: bool) -> dict:
    size = cols.size[part]
    pre = cols.welfare["before"][part]
    row = {
        "households": len(size),
        "people": int(size.sum()),
        "before_benefits": {
            "headcount": _figure(inequality.headcount(pre, line, size)),
            "poverty_gap": _figure(inequality.poverty_gap(pre, line, size)),
            "gini": _figure(cols.ginis["before"][part.start]),
        },
    }
    for variant in VARIANTS if capped else VARIANTS[:2]:
        row[variant] = _outcome(cols, part, variant, line)
        if variant != "baseline":
            row[f"{variant}_bands"] = _bands(cols, part, variant)
    return row


@dataclass
class Simulation:
    summary: dict
    households: pl.DataFrame  # one row a household: the stored per-household results


def simulate(
    households: pl.DataFrame,
    people: pl.DataFrame,
    baseline: list[engine.Compiled],
    changed: list[engine.Compiled],
    *,
    regions: Mapping[str, int],
    members: Grouping | None = None,
    poverty_share: Decimal = Decimal("0.60"),
    poverty_line: Decimal | None = None,
    budget_cap: Decimal | None = None,
) -> Simulation:
    """The scenario against the baseline over the attribute frames (`engine.attribute_frames`):
    every output of the module's docstring. `changed`: the scenario's versions of some of the
    baseline's programmes (same ids); `regions`: municipality code → region id."""
    if (households["size"] == 0).any():  # nobody's to pay, nobody's welfare
        households, members = households.filter(pl.col("size") > 0), None
    before = engine.decide(households, people, baseline, members)
    changed_ids = [c.id for c in changed]
    after_changed = engine.decide(households, people, changed, members)
    ids = households["id"]
    order = None if ids.is_sorted() else ids.arg_sort().to_numpy()
    sorted_ids = ids.to_numpy() if order is None else ids.to_numpy()[order]
    people_households = people["household_id"].to_numpy()
    all_ids = [c.id for c in baseline]
    before_by, before_counts = _per_programme(
        before, sorted_ids, all_ids, people_households, members if order is None else None
    )
    after_by, after_counts = _per_programme(
        after_changed,
        sorted_ids,
        changed_ids,
        people_households,
        members if order is None else None,
    )
    if order is not None:  # back to the frame's order
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        before_by, after_by = before_by[:, back], after_by[:, back]
    changed_rows = [all_ids.index(i) for i in changed_ids]
    grouping = members if members is not None else Grouping.of(ids, people["household_id"])
    return measure(
        ids=ids,
        municipality=households["municipality"],
        size=households["size"].to_numpy().astype(np.int64),
        income=np.asarray(grouping.sum(people["monthly_income"]), dtype=np.float64),
        base=before_by.sum(axis=0),
        base_changed=before_by[changed_rows].sum(axis=0),
        scen_changed=after_by.sum(axis=0),
        programmes=[(c.id, c.code) for c in baseline],
        changed_ids=changed_ids,
        before_totals={
            p: (int(before_counts[i]), int(before_by[i].sum())) for i, p in enumerate(all_ids)
        },
        after_totals={
            p: (int(after_counts[i]), int(after_by[i].sum())) for i, p in enumerate(changed_ids)
        },
        regions=regions,
        poverty_share=poverty_share,
        poverty_line=poverty_line,
        budget_cap=budget_cap,
    )


def measure(
    *,
    ids: pl.Series,
    municipality: pl.Series,
    size: np.ndarray,
    income: np.ndarray,
    base: np.ndarray,
    base_changed: np.ndarray,
    scen_changed: np.ndarray,
    programmes: list[tuple[int, str]],
    changed_ids: list[int],
    before_totals: dict[int, tuple[int, int]],
    after_totals: dict[int, tuple[int, int]],
    regions: Mapping[str, int],
    poverty_share: Decimal = Decimal("0.60"),
    poverty_line: Decimal | None = None,
    budget_cap: Decimal | None = None,
) -> Simulation:
    """Every output from the per-household arrays (aligned with `ids`; benefits in tetri a
    month: `base` all under the rules in force, `base_changed` and `scen_changed` those of the
    changed programmes before and after) and the per-programme totals."""
    scen = base - base_changed + scen_changed
    pre = income / size
    poorest_first = np.argsort(pre, kind="stable")
    decile = inequality.deciles(pre, size, order=poorest_first)
    benefits = {"baseline": base, "scenario": scen}
    if budget_cap is not None:
        order = poorest_first
        within = np.cumsum(scen_changed[order] * 12) <= int(Decimal(budget_cap) * 100)
        paid = np.zeros(len(ids), dtype=bool)
        paid[order] = within
        benefits["capped"] = base - base_changed + np.where(paid, scen_changed, 0)
    welfare = {"before": pre} | {v: (income + b / 100) / size for v, b in benefits.items()}
    region = (
        municipality.replace_strict(dict(regions), default=None, return_dtype=pl.Int64)
        .fill_null(0)
        .to_numpy()
    )
    # Regions as small codes (sorted by radix), and sorted by region once: each region's
    # measures read a slice.
    places = np.unique(region)
    code = np.searchsorted(places, region).astype(np.int16)
    by_place = np.argsort(code, kind="stable")
    starts = np.searchsorted(code[by_place], np.arange(len(places)))
    ends = np.r_[starts[1:], len(region)][: len(starts)]  # none when there are no households

    def ginis(kind: str) -> tuple[dict, np.ndarray]:
        """The welfare measure sorted once: the national Gini (key None) and, partitioned by
        region (a stable sort of small integers), each region's (key: its slice's start)."""
        o = poorest_first if kind == "before" else np.argsort(welfare[kind])
        w, n = welfare[kind], size
        found = {None: inequality.gini(w[o], n[o], presorted=True)}
        by_region = o[np.argsort(code[o], kind="stable")]
        w, n = w[by_region], n[by_region]
        for start, end in zip(starts, ends, strict=True):
            found[int(start)] = inequality.gini(w[start:end], n[start:end], presorted=True)
        return found, o

    # NumPy sorts without the GIL: the measures' sorts run side by side.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        sorted_measures = dict(zip(welfare, pool.map(ginis, welfare), strict=True))
    if poverty_line is not None:
        line, rule = float(poverty_line), "fixed"
    else:
        o = sorted_measures["baseline"][1]
        median = inequality.median(welfare["baseline"][o], size[o], presorted=True)
        line, rule = float(poverty_share) * median, "share"
    cols = Columns(
        size=size[by_place],
        decile=decile[by_place],
        benefits={v: b[by_place] for v, b in benefits.items()},
        welfare={v: w[by_place] for v, w in welfare.items()},
        ginis={kind: found for kind, (found, _order) in sorted_measures.items()},
    )
    capped = budget_cap is not None
    by_region = [
        {"region_id": int(r), **_area(cols, slice(start, end), line, capped)}
        for r, start, end in zip(places, starts, ends, strict=True)
    ]
    rows = []
    for pid, code in programmes:
        n, t = before_totals.get(pid, (0, 0))
        row = {
            "id": pid,
            "code": code,
            "changed": pid in changed_ids,
            "baseline": {"recipients": n, "cost_month": money(t)},
        }
        n2, t2 = after_totals.get(pid, (0, 0)) if pid in changed_ids else (n, t)
        row["scenario"] = {"recipients": n2, "cost_month": money(t2)}
        rows.append(row)
    summary = {
        "poverty_line": round(line, 2),
        "poverty_line_rule": rule,
        "poverty_share": str(poverty_share),
        "budget_cap": money(int(Decimal(budget_cap) * 100)) if capped else None,
        "national": _area(cols, slice(None), line, capped),
        "regions": by_region,
        "programmes": rows,
    }
    frame = pl.DataFrame(
        {
            "household_id": ids,
            "municipality": municipality,
            "region_id": pl.Series(region, dtype=pl.Int64),
            "size": pl.Series(size, dtype=pl.Int32),
            "welfare_before": pl.Series(pre, dtype=pl.Float64),
            "decile": pl.Series(decile, dtype=pl.Int8),
            "baseline": pl.Series(base, dtype=pl.Int64),
            "scenario": pl.Series(scen, dtype=pl.Int64),
            **({"capped": pl.Series(benefits["capped"], dtype=pl.Int64)} if capped else {}),
        }
    )
    return Simulation(summary, frame)


def to_parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=False)
    return buffer.getvalue()


def from_parquet(blob: bytes) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(bytes(blob)))


def on_date_check(on: date) -> None:
    from zrunva.programmes.eligibility import check_date

    check_date(on)
