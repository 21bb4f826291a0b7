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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
from zrunva.programmes.choices import DecisionStatus
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


def _household_tetri(decisions: pl.DataFrame, ids: pl.Series) -> np.ndarray:
    """Each household's monthly benefits (every eligible decision, its members' included) in
    tetri, aligned with `ids`."""
    paid = decisions.filter(pl.col("status") == DecisionStatus.ELIGIBLE.value).select(
        "household_id", tetri=(pl.col("amount") * 100).cast(pl.Int64)
    )
    totals = paid.group_by("household_id").agg(pl.col("tetri").sum())
    aligned = pl.DataFrame({"household_id": ids}).join(
        totals, on="household_id", how="left", maintain_order="left"
    )
    return aligned["tetri"].fill_null(0).to_numpy()


def _programme_totals(decisions: pl.DataFrame) -> dict[int, tuple[int, int]]:
    """Per programme: (beneficiaries paid, monthly tetri)."""
    rows = (
        decisions.filter(pl.col("status") == DecisionStatus.ELIGIBLE.value)
        .group_by("programme_id")
        .agg(n=pl.len(), tetri=(pl.col("amount") * 100).cast(pl.Int64).sum())
        .rows()
    )
    return {p: (n, t) for p, n, t in rows}


def money(tetri: int | float) -> str:
    """Tetri as exact GEL text with two places (JSON has no decimals)."""
    return f"{Decimal(int(tetri)) / 100:.2f}"


def _figure(value: float) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 6)


@dataclass
class Columns:
    """The per-household arrays the measures read (one row a household with members)."""

    size: np.ndarray
    income: np.ndarray  # GEL a month, the members' together
    decile: np.ndarray  # by welfare before benefits, of people
    benefits: dict[str, np.ndarray]  # variant → tetri a month


def _outcome(cols: Columns, mask: np.ndarray, variant: str, line: float) -> dict:
    size, benefit = cols.size[mask], cols.benefits[variant][mask]
    welfare = (cols.income[mask] + benefit / 100) / size
    paid = benefit > 0
    poorest = cols.decile[mask] == 1
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
        "gini": _figure(inequality.gini(welfare, size)),
    }


def _bands(cols: Columns, mask: np.ndarray, variant: str) -> dict:
    difference = cols.benefits[variant][mask] - cols.benefits["baseline"][mask]
    size = cols.size[mask]
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


def _area(cols: Columns, mask: np.ndarray, line: float, capped: bool) -> dict:
    size = cols.size[mask]
    pre = cols.income[mask] / size
    row = {
        "households": int(mask.sum()),
        "people": int(size.sum()),
        "before_benefits": {
            "headcount": _figure(inequality.headcount(pre, line, size)),
            "poverty_gap": _figure(inequality.poverty_gap(pre, line, size)),
            "gini": _figure(inequality.gini(pre, size)),
        },
    }
    for variant in VARIANTS if capped else VARIANTS[:2]:
        row[variant] = _outcome(cols, mask, variant, line)
        if variant != "baseline":
            row[f"{variant}_bands"] = _bands(cols, mask, variant)
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
    was_changed = pl.col("programme_id").is_in(changed_ids)
    ids = households["id"]
    base = _household_tetri(before, ids)
    base_changed = _household_tetri(before.filter(was_changed), ids)
    scen_changed = _household_tetri(after_changed, ids)
    scen = base - base_changed + scen_changed

    size = households["size"].to_numpy().astype(np.int64)
    grouping = members if members is not None else Grouping.of(ids, people["household_id"])
    income = np.asarray(grouping.sum(people["monthly_income"]), dtype=np.float64)
    pre = income / size
    decile = inequality.deciles(pre, size)
    benefits = {"baseline": base, "scenario": scen}
    if budget_cap is not None:
        order = np.argsort(pre, kind="stable")
        within = np.cumsum(scen_changed[order] * 12) <= int(Decimal(budget_cap) * 100)
        paid = np.zeros(len(ids), dtype=bool)
        paid[order] = within
        benefits["capped"] = base - base_changed + np.where(paid, scen_changed, 0)
    cols = Columns(size=size, income=income, decile=decile, benefits=benefits)

    if poverty_line is not None:
        line, rule = float(poverty_line), "fixed"
    else:
        welfare = (income + base / 100) / size
        line, rule = float(poverty_share) * inequality.median(welfare, size), "share"
    region = (
        households["municipality"]
        .replace_strict(dict(regions), default=None, return_dtype=pl.Int64)
        .fill_null(0)
        .to_numpy()
    )
    capped = budget_cap is not None
    everyone = np.ones(len(ids), dtype=bool)
    by_region = [
        {"region_id": int(r), **_area(cols, region == r, line, capped)} for r in np.unique(region)
    ]
    before_totals, after_totals = _programme_totals(before), _programme_totals(after_changed)
    programmes = []
    for c in baseline:
        n, t = before_totals.get(c.id, (0, 0))
        row = {
            "id": c.id,
            "code": c.code,
            "changed": c.id in changed_ids,
            "baseline": {"recipients": n, "cost_month": money(t)},
        }
        n2, t2 = after_totals.get(c.id, (0, 0)) if c.id in changed_ids else (n, t)
        row["scenario"] = {"recipients": n2, "cost_month": money(t2)}
        programmes.append(row)
    summary = {
        "poverty_line": round(line, 2),
        "poverty_line_rule": rule,
        "poverty_share": str(poverty_share),
        "budget_cap": money(int(Decimal(budget_cap) * 100)) if capped else None,
        "national": _area(cols, everyone, line, capped),
        "regions": by_region,
        "programmes": programmes,
    }
    frame = pl.DataFrame(
        {
            "household_id": ids,
            "municipality": households["municipality"],
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
