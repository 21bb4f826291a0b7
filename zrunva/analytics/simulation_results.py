"""A simulation's outputs as tables: what the result page, the compare page, the XLSX and the
PDF show, from the run's summary as the reader may see it (`scenarios.visible_summary`: small
programmes, bands and regions suppressed for those who may not see small cells, shown as *)."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from zrunva.analytics import scenarios
from zrunva.core import numbers

SUPPRESSED = "*"

# (key in a variant's outcome, label, kind)
MEASURES = (
    ("cost_month", _("Cost a month, GEL"), "money"),
    ("cost_year", _("Cost a year, GEL"), "money"),
    ("recipient_households", _("Households receiving benefits"), "count"),
    ("recipient_people", _("People in them"), "count"),
    ("poorest_decile_coverage", _("Poorest tenth of people covered, %"), "percent"),
    ("headcount", _("People below the poverty line, %"), "percent"),
    ("poverty_gap", _("Poverty gap, %"), "percent"),
    ("gini", _("Gini coefficient of welfare per person"), "index"),
)
BAND_LABELS = {
    "gain_over_50": _("Gain over 50 GEL"),
    "gain_up_to_50": _("Gain up to 50 GEL"),
    "no_change": _("No change"),
    "loss": _("Loss"),
}


def value(raw, kind: str):
    """The exact value for a file: money as Decimal, shares as percentages."""
    if raw is None or raw == SUPPRESSED:
        return raw
    if kind == "money":
        return Decimal(raw)
    if kind == "percent":
        return round(float(raw) * 100, 1)
    if kind == "index":
        return round(float(raw), 3)
    return int(raw)


def text(raw, kind: str) -> str:
    """A figure as people read it in the active language; none is a dash."""
    if raw is None:
        return "—"
    if raw == SUPPRESSED:
        return SUPPRESSED
    if kind == "money":
        return numbers.money(Decimal(raw), currency=False)
    if kind == "count":
        return numbers.count(raw)
    return numbers.figure(value(raw, kind))


@dataclass
class Line:
    label: str
    kind: str
    values: list  # raw, one per column

    @property
    def texts(self) -> list[str]:
        return [text(v, self.kind) for v in self.values]


def overview(summary: dict) -> tuple[list[str], list[Line]]:
    """The national outcomes: before benefits (where a measure has one), under the rules in
    force, under the scenario and, with a budget, its capped variant."""
    national = summary["national"]
    columns = [_("Before benefits"), _("Rules in force"), _("Scenario")]
    variants = ["baseline", "scenario"]
    if national.get("capped"):
        columns.append(_("Scenario within the budget"))
        variants.append("capped")
    lines = []
    for key, label, kind in MEASURES:
        before = national["before_benefits"].get(key)
        lines.append(Line(str(label), kind, [before, *(national[v][key] for v in variants)]))
    return [str(c) for c in columns], lines


def _cell(found: dict) -> dict:
    if found.get("suppressed"):
        return {"households": SUPPRESSED, "people": SUPPRESSED, "suppressed": True}
    return {"suppressed": False, **found}


def bands(summary: dict, actor, variant: str = "scenario") -> list[dict]:
    found = scenarios.visible_summary(actor=actor, summary=summary)["national"]
    found = found.get(f"{variant}_bands") or {}
    return [
        {
            "band": key,
            "label": str(label),
            **_cell(found.get(key, {"households": 0, "people": 0})),
        }
        for key, label in BAND_LABELS.items()
    ]


@dataclass
class RegionLine:
    name: str
    suppressed: bool
    households: int | None = None
    baseline_cost: str | None = None
    scenario_cost: str | None = None
    difference: str | None = None
    gainers: int | None = None
    losers: int | None = None
    headcount_before: float | None = None
    headcount_after: float | None = None
    gini_before: float | None = None
    gini_after: float | None = None
    coverage_before: float | None = None
    coverage_after: float | None = None


def regions(summary: dict, actor) -> list[RegionLine]:
    out = []
    for row in scenarios.region_rows(actor=actor, summary=summary):
        data = row.data
        if data is None:
            out.append(RegionLine(row.name, True))
            continue
        b, s, bands_ = data["baseline"], data["scenario"], data["scenario_bands"]
        gains = [bands_[k] for k in ("gain_over_50", "gain_up_to_50")]
        out.append(
            RegionLine(
                row.name,
                False,
                households=data["households"],
                baseline_cost=b["cost_month"],
                scenario_cost=s["cost_month"],
                difference=f"{Decimal(s['cost_month']) - Decimal(b['cost_month']):.2f}",
                gainers=SUPPRESSED
                if any(g.get("suppressed") for g in gains)
                else sum(g["households"] for g in gains),
                losers=bands_["loss"].get("households", SUPPRESSED),
                headcount_before=b["headcount"],
                headcount_after=s["headcount"],
                gini_before=b["gini"],
                gini_after=s["gini"],
                coverage_before=b["poorest_decile_coverage"],
                coverage_after=s["poorest_decile_coverage"],
            )
        )
    return sorted(out, key=lambda r: r.name)


REGION_COLUMNS = (
    ("households", _("Households"), "count"),
    ("baseline_cost", _("Cost a month in force, GEL"), "money"),
    ("scenario_cost", _("Cost a month under the scenario, GEL"), "money"),
    ("difference", _("Difference, GEL"), "money"),
    ("gainers", _("Households gaining"), "count"),
    ("losers", _("Households losing"), "count"),
    ("coverage_before", _("Poorest tenth covered in force, %"), "percent"),
    ("coverage_after", _("Poorest tenth covered under the scenario, %"), "percent"),
    ("headcount_before", _("Below the poverty line in force, %"), "percent"),
    ("headcount_after", _("Below the poverty line under the scenario, %"), "percent"),
    ("gini_before", _("Gini in force"), "index"),
    ("gini_after", _("Gini under the scenario"), "index"),
)


def programmes(summary: dict, actor) -> list[dict]:
    """The programmes' beneficiaries and costs; a suppressed one has "suppressed" and its
    figures as *."""
    from zrunva.programmes.models import Programme

    rows = scenarios.visible_summary(actor=actor, summary=summary)["programmes"]
    names = {p.pk: p.name for p in Programme.objects.filter(pk__in=[r["id"] for r in rows])}
    out = []
    for row in rows:
        name = names.get(row["id"], row["code"])
        if row.get("suppressed"):
            hidden = {"recipients": SUPPRESSED, "cost_month": SUPPRESSED}
            out.append(
                {**row, "name": name, "baseline": hidden, "scenario": hidden}
                | {"difference": SUPPRESSED}
            )
            continue
        scen, base = Decimal(row["scenario"]["cost_month"]), Decimal(row["baseline"]["cost_month"])
        out.append({**row, "name": name, "suppressed": False, "difference": f"{scen - base:.2f}"})
    return out
