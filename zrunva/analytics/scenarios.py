"""Reform scenarios: who sees and edits them (reads), their changes and settings checked and
saved (writes), and their simulation as a batch job (`core.jobs`) with its outputs."""

import copy
import json
import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.analytics import simulation
from zrunva.analytics.models import Scenario, ScenarioChange, SimulationRun
from zrunva.assessment.selectors import latest_scores
from zrunva.core.jobs import JobContext, JobStatus, Progress, job_execute
from zrunva.core.trail import access_log, acting_as, bulk_run_log, scoped_get
from zrunva.geo.models import Municipality, Region
from zrunva.programmes import engine, expressions
from zrunva.programmes.eligibility import (
    check_date,
    compiled_programmes,
    health_programme_ids,
    reads_health,
    rules_read_health,
)
from zrunva.programmes.models import Parameter, Programme
from zrunva.programmes.selectors import parameter_codes
from zrunva.programmes.services import rule_check
from zrunva.questionnaires.suppression import SMALL_CELL, hidden
from zrunva.registry.columns import registry_frames
from zrunva.registry.models import Household

logger = logging.getLogger(__name__)

COMPARED_AT_MOST = 4
SCENARIO_FIELDS = (
    "name",
    "description",
    "on",
    "shared",
    "poverty_share",
    "poverty_line",
    "budget_cap",
)

# -- Reads ------------------------------------------------------------------------------------


def scenario_list(*, actor) -> QuerySet[Scenario]:
    """The scenarios the actor may see: their own, those shared with colleagues, and those
    shared with them by name."""
    permissions.require(actor, permissions.SIMULATION_RUN)
    visible = Q(owner=actor) | Q(shared=True) | Q(shared_with=actor)
    return (
        Scenario.objects.filter(visible)
        .distinct()
        .select_related("owner")
        .prefetch_related("changes__programme")
    )


def scenario_get(*, actor, pk: int) -> Scenario:
    """One scenario the actor may see; another's unshared scenario is a denied attempt (404)."""
    return scoped_get(scenario_list(actor=actor), actor=actor, pk=pk)


def can_edit(actor, scenario: Scenario) -> bool:
    return scenario.owner_id == actor.pk


def _require_owner(actor, scenario: Scenario) -> None:
    permissions.require(actor, permissions.SIMULATION_RUN)
    if not can_edit(actor, scenario):
        raise PermissionDenied(_("Only the scenario's owner changes it."))


def run_list(*, actor, scenario: Scenario | None = None) -> QuerySet[SimulationRun]:
    """Simulation runs of the scenarios the actor may see."""
    scenarios = scenario_list(actor=actor).values("pk")
    qs = SimulationRun.objects.filter(scenario__in=scenarios).defer("households")
    if scenario is not None:
        qs = qs.filter(scenario=scenario)
    return qs.select_related("scenario", "started_by")


def run_get(*, actor, pk: int) -> SimulationRun:
    return scoped_get(run_list(actor=actor), actor=actor, pk=pk)


def latest_done(scenario: Scenario) -> SimulationRun | None:
    return (
        SimulationRun.objects.filter(scenario=scenario, status=JobStatus.DONE)
        .defer("households")
        .order_by("-finished_at", "-id")
        .first()
    )


def programme_choices(*, on: date) -> list[engine.Compiled]:
    """The programmes a scenario may change on its date: those in force, compiled (their
    parameter values on the date), municipal ones that cannot be evaluated left out."""
    return compiled_programmes(on=on, skipped=[])


# -- Writes: the scenario and its changes ---------------------------------------------------


def _settings_check(fields: dict) -> None:
    if not str(fields.get("name") or "").strip():
        raise ValidationError({"name": _("Give the scenario a name.")})
    for name in ("name", "description"):
        if "\x00" in str(fields.get(name) or ""):
            raise ValidationError({name: _("Text may not contain the NUL character.")})
    if fields.get("on") is not None:
        check_date(fields["on"])
    share = fields.get("poverty_share")
    if share is not None and not (Decimal("0.01") <= Decimal(share) <= Decimal(2)):
        raise ValidationError(
            {"poverty_share": _("Give a share of the median from 0.01 to 2 (0.6 is 60%).")}
        )
    line = fields.get("poverty_line")
    if line is not None and not (Decimal("0.01") <= Decimal(line) <= Decimal("100000")):
        raise ValidationError(
            {"poverty_line": _("Give a poverty line from 0.01 to 100,000 GEL a month.")}
        )
    cap = fields.get("budget_cap")
    if cap is not None and Decimal(cap) < 0:
        raise ValidationError({"budget_cap": _("A budget cannot be negative.")})


@transaction.atomic
def scenario_create(*, actor, shared_with=(), **fields) -> Scenario:
    """A new scenario, the actor's own: on a date, with its poverty line and budget."""
    permissions.require(actor, permissions.SIMULATION_RUN)
    fields = {k: v for k, v in fields.items() if k in SCENARIO_FIELDS}
    _settings_check(fields)
    with acting_as(actor):
        scenario = Scenario(owner=actor, **fields)
        scenario.full_clean()
        scenario.save()
        scenario.shared_with.set(shared_with)
    return scenario


@transaction.atomic
def scenario_update(*, actor, scenario: Scenario, shared_with=None, **fields) -> Scenario:
    _require_owner(actor, scenario)
    fields = {k: v for k, v in fields.items() if k in SCENARIO_FIELDS}
    _settings_check({"name": scenario.name, **fields})
    with acting_as(actor):
        for name, value in fields.items():
            setattr(scenario, name, value)
        scenario.full_clean()
        scenario.save()
        if shared_with is not None:
            scenario.shared_with.set(shared_with)
    return scenario


@transaction.atomic
def scenario_delete(*, actor, scenario: Scenario) -> None:
    _require_owner(actor, scenario)
    with acting_as(actor):
        scenario.delete()


def change_check(
    *,
    actor,
    programme: Programme,
    on: date,
    parameters: dict[str, Any],
    criteria: str,
    formula: str,
) -> dict[str, Decimal]:
    """A programme's change checked as the programme editor checks its rules: each parameter a
    number within its unit's range (`simulation.parameter_range`) and one the programme may
    read; each replaced rule parsed and checked, its fault named with its position; rules that
    read health data only from those who may see it. Returns the parameters as numbers."""
    errors: dict[str, str] = {}
    criteria, formula = (criteria or "").strip(), (formula or "").strip()
    for name, text in (("criteria", criteria), ("formula", formula)):
        if "\x00" in text:
            raise ValidationError({name: _("Text may not contain the NUL character.")})
    if not parameters and not criteria and not formula:
        raise ValidationError(
            _("Change at least one parameter or rule of the programme, or leave it as it is.")
        )
    codes = parameter_codes(municipality_id=programme.municipality_id)
    units = dict(Parameter.objects.filter(code__in=list(parameters)).values_list("code", "unit"))
    values: dict[str, Decimal] = {}
    for code, value in parameters.items():
        if code not in codes:
            errors[f"parameters.{code}"] = _("This programme cannot read a parameter %(code)s.") % {
                "code": code
            }
            continue
        try:
            values[code] = simulation.check_parameter(code, value, units.get(code, ""))
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    for name, text in (("criteria", criteria), ("formula", formula)):
        if not text:
            continue
        message = rule_check(
            text,
            level=programme.level,
            field=name,
            municipality_id=programme.municipality_id,
            on=on,
        )
        if message:
            errors[name] = message
        elif rules_read_health(text) and not permissions.sees_health(actor):
            errors[name] = _(
                "This rule reads health data (disability, chronic illness), which your role "
                "may not see; change the programme's parameters instead."
            )
    # The whole programme compiled as the simulation will: parameters and rules together.
    baseline = compiled_programmes(on=on, municipality_id=programme.municipality_id, skipped=[])
    if not permissions.sees_health(actor) and _programme_reads_health(programme, baseline):
        # Its decisions say who is disabled or ill: changing it shows who gains or loses.
        message = _(
            "This programme's rules read health data (disability, chronic illness), which "
            "your role may not see: its parameters and rules cannot be changed in a scenario."
        )
        for code in values:
            errors[f"parameters.{code}"] = message
        for name, text in (("criteria", criteria), ("formula", formula)):
            if text:
                errors[name] = message
    if errors:
        raise ValidationError(errors)
    try:
        simulation.changed_programmes(
            baseline, [simulation.Change(programme.pk, values, criteria, formula)]
        )
    except expressions.ExpressionError as error:
        raise ValidationError({"formula" if formula else "criteria": str(error)}) from error
    return values


def _programme_reads_health(programme: Programme, baseline: list[engine.Compiled]) -> bool:
    """Whether the programme's rules read health data, on the date or as stored now."""
    compiled = next((c for c in baseline if c.id == programme.pk), None)
    return (compiled is not None and reads_health(compiled)) or rules_read_health(
        programme.criteria, programme.formula
    )


@transaction.atomic
def scenario_change_set(
    *,
    actor,
    scenario: Scenario,
    programme: Programme,
    parameters: dict[str, Any],
    criteria: str = "",
    formula: str = "",
) -> ScenarioChange:
    """The scenario's change of one programme (replacing any it had): parameter values and
    rules checked by `change_check`."""
    _require_owner(actor, scenario)
    values = change_check(
        actor=actor,
        programme=programme,
        on=scenario.on,
        parameters=parameters,
        criteria=criteria,
        formula=formula,
    )
    with acting_as(actor):
        change, _created = ScenarioChange.objects.update_or_create(
            scenario=scenario,
            programme=programme,
            defaults={
                "parameters": {k: f"{v.normalize():f}" for k, v in values.items()},
                "criteria": (criteria or "").strip(),
                "formula": (formula or "").strip(),
            },
        )
        scenario.save(update_fields=["updated_at"])
    return change


@transaction.atomic
def scenario_change_remove(*, actor, scenario: Scenario, programme_id: int) -> None:
    _require_owner(actor, scenario)
    with acting_as(actor):
        for change in scenario.changes.filter(programme_id=programme_id):
            change.delete()


# -- The simulation as a batch job -------------------------------------------------------------


def _changes(scenario: Scenario) -> list[dict]:
    """The scenario's changes as they stand, kept in the run's summary: a run's results stay
    with the changes they came from when the scenario is edited after."""
    return [
        {
            "programme_id": c.programme_id,
            "code": c.programme.code,
            "parameters": c.parameters,
            "criteria": c.criteria,
            "formula": c.formula,
        }
        for c in scenario.changes.select_related("programme").order_by("programme__code")
    ]


def _as_changes(rows: list[dict], ids: set[int] | None = None) -> list[simulation.Change]:
    return [
        simulation.Change(
            r["programme_id"],
            {k: Decimal(v) for k, v in r["parameters"].items()},
            r["criteria"],
            r["formula"],
        )
        for r in rows
        if ids is None or r["programme_id"] in ids
    ]


@transaction.atomic
def simulation_start(*, actor, scenario: Scenario, enqueue: bool = True) -> SimulationRun:
    """Queue a simulation of a scenario the actor may see (its owner's or shared). Its changes
    are compiled first, so a rule that cannot be evaluated on the date is refused here."""
    permissions.require(actor, permissions.SIMULATION_RUN)
    if not scenario_list(actor=actor).filter(pk=scenario.pk).exists():
        raise PermissionDenied(_("This scenario is not shared with you."))
    check_date(scenario.on)
    try:
        baseline = compiled_programmes(on=scenario.on, skipped=[])
        simulation.changed_programmes(baseline, _as_changes(_changes(scenario)))
    except expressions.ExpressionError as error:
        raise ValidationError(str(error)) from error
    run = SimulationRun.objects.create(scenario=scenario, started_by=actor)
    if enqueue:
        from zrunva.analytics.tasks_simulation import simulation_run

        transaction.on_commit(lambda: simulation_run.enqueue(run.pk))
    return run


def simulation_execute(*, run: SimulationRun, progress: Progress | None = None) -> SimulationRun:
    """Execute a queued, failed or interrupted simulation (`core.jobs.job_execute`): the
    registry and the rules on the scenario's date, the baseline and the scenario decided by the
    engine, every output measured; the outputs and the per-household results stored with the
    job marked done, in one transaction."""

    def work(job: JobContext) -> None:
        scenario = run.scenario
        on = scenario.on
        job.stage("reading", 5)
        registry = registry_frames(on=on)
        households, people = engine.attribute_frames(registry, latest_scores(on=on), on=on)
        if households.is_empty():
            raise ValueError(
                _("No household is in the registry on %(date)s: there is nothing to simulate.")
                % {"date": on.isoformat()}
            )
        skipped: list[dict] = []
        baseline = compiled_programmes(on=on, skipped=skipped)
        changes = _changes(scenario)
        changed = simulation.changed_programmes(baseline, _as_changes(changes))
        job.stage("deciding", 30)
        result = simulation.simulate(
            households,
            people,
            baseline,
            changed,
            regions=dict(Municipality.objects.values_list("code", "region_id")),
            members=registry.members,
            poverty_share=scenario.poverty_share,
            poverty_line=scenario.poverty_line,
            budget_cap=scenario.budget_cap,
        )
        job.stage("measuring", 90)
        with transaction.atomic():
            if job.finished_elsewhere():
                return
            SimulationRun.objects.filter(pk=run.pk).update(
                households=simulation.to_parquet(result.households)
            )
            health = sorted({c.id for c in [*baseline, *changed] if reads_health(c)})
            job.done(
                result.summary
                | {
                    "on": on.isoformat(),
                    "changes": changes,
                    "skipped": skipped,
                    "health_programmes": health,
                }
            )
            bulk_run_log(
                actor=run.started_by,
                model=SimulationRun,
                job=f"simulation_run #{run.pk}",
                counts={
                    "households": result.summary["national"]["households"],
                    "people": result.summary["national"]["people"],
                },
            )

    run = job_execute(run, work, progress=progress)
    logger.info("Simulation run %s done in %s s", run.pk, run.summary.get("seconds"))
    return run


# -- Outputs as the actor may see them -------------------------------------------------------


def region_names() -> dict[int, str]:
    return {r.pk: r.name for r in Region.objects.all()}


def _suppress(counts: list[int]) -> list[bool]:
    """Which cells to hide of `counts`, the first the total of the others: those under
    SMALL_CELL, then more until the total gives none of them away (`suppression.hidden`)."""
    return [bool(h) for h in hidden(counts, [(0, list(range(1, len(counts))))])]


SUPPRESSED_CELL = {"suppressed": True}


def visible_summary(*, actor, summary: dict) -> dict:
    """A run's summary as the actor may see it. For an actor who may not see small cells
    (analysts), every figure of fewer than ten households or beneficiaries is replaced by
    `{"suppressed": true}`, and one more wherever a total shown would give it away: the
    winners and losers bands (their total: the households), the programmes (their total: the
    cost), the regions (their total: the country) and each region's bands (their total: the
    country's band)."""
    out = copy.deepcopy(summary)
    if permissions.small_cells_shown(actor):
        return out
    national = out["national"]
    households = national["households"]
    variants = [v for v in ("scenario", "capped") if national.get(f"{v}_bands")]
    national_hidden: dict[str, dict[str, bool]] = {}
    for variant in variants:
        bands = national[f"{variant}_bands"]
        keys = list(bands)
        hide = _suppress([households, *(bands[k]["households"] for k in keys)])
        national_hidden[variant] = dict(zip(keys, hide[1:], strict=True))
        for key, h in national_hidden[variant].items():
            if h:
                bands[key] = dict(SUPPRESSED_CELL)
    rows = out.get("programmes", [])
    counts = [min(r["baseline"]["recipients"], r["scenario"]["recipients"]) for r in rows]
    hide = _suppress([sum(counts), *counts])
    out["programmes"] = [
        {k: r[k] for k in ("id", "code", "changed")} | SUPPRESSED_CELL if h else r
        for r, h in zip(rows, hide[1:], strict=True)
    ]
    regions = out.get("regions", [])
    hide = _suppress([households, *(r["households"] for r in regions)])
    regions = [
        {"region_id": r["region_id"], **SUPPRESSED_CELL} if h else r
        for r, h in zip(regions, hide[1:], strict=True)
    ]
    for variant in variants:
        for key, national_h in national_hidden[variant].items():
            total = 0 if national_h else national[f"{variant}_bands"][key]["households"]
            parts = [
                0 if r.get("suppressed") else r[f"{variant}_bands"][key]["households"]
                for r in regions
            ]
            for region, h in zip(regions, _suppress([total, *parts])[1:], strict=True):
                if h and not region.get("suppressed"):
                    region[f"{variant}_bands"][key] = dict(SUPPRESSED_CELL)
    out["regions"] = regions
    return out


@dataclass
class RegionRow:
    region_id: int
    name: str
    data: dict | None  # None: suppressed (fewer than SMALL_CELL households)


def region_rows(*, actor, summary: dict) -> list[RegionRow]:
    """The result's regions as `visible_summary` leaves them for the actor: a region of fewer
    than ten households, or one that would give such a region away, has no data."""
    names = region_names()
    return [
        RegionRow(
            r["region_id"], names.get(r["region_id"], "—"), None if r.get("suppressed") else r
        )
        for r in visible_summary(actor=actor, summary=summary).get("regions", [])
    ]


def small_cells_note(actor) -> str:
    if permissions.small_cells_shown(actor):
        return ""
    return _(
        "Figures of fewer than %(n)s households or beneficiaries are not shown (*), nor is one "
        "more where a total would give them away."
    ) % {"n": SMALL_CELL}


def per_household(run: SimulationRun) -> pl.DataFrame:
    blob = SimulationRun.objects.filter(pk=run.pk).values_list("households", flat=True).first()
    if not blob:
        raise Http404
    return simulation.from_parquet(blob)


def health_programmes(run: SimulationRun) -> set[int]:
    """The programmes of a run whose rules read health data, in force or as the scenario
    changed them (kept in the summary; worked out again for a run made before)."""
    stored = run.summary.get("health_programmes")
    found = set(stored or [])
    if stored is None:
        on = date.fromisoformat(run.summary["on"])
        found = {c.id for c in compiled_programmes(on=on, skipped=[]) if reads_health(c)}
        found |= set(health_programme_ids())
    for change in run.summary.get("changes", []):
        texts = [t for t in (change["criteria"], change["formula"]) if t]
        if texts and rules_read_health(*texts):
            found.add(change["programme_id"])
    return found


def changes_health(run: SimulationRun) -> bool:
    """Whether the run's scenario changes a programme whose rules read health data: then each
    household's difference says something about its members' health."""
    changed = {c["programme_id"] for c in run.summary.get("changes", [])}
    return bool(changed & health_programmes(run))


def extremes(run: SimulationRun, *, actor, limit: int = 20) -> dict[str, list[dict]] | None:
    """The households that lose most and gain most (pseudonymous: the household's number).
    For an actor who may not see health data: none (None) when the scenario changes a
    programme whose rules read it; otherwise without the benefits in force and under the
    scenario (they include such programmes), only the difference, which comes from the
    changed programmes alone."""
    sees = permissions.sees_health(actor)
    if not sees and changes_health(run):
        return None
    frame = per_household(run).with_columns(difference=pl.col("scenario") - pl.col("baseline"))
    columns = ["household_id", "region_id", "size", "difference"]
    if sees:
        columns[3:3] = ["baseline", "scenario"]
    losers = frame.filter(pl.col("difference") < 0).sort("difference").head(limit)
    gainers = frame.filter(pl.col("difference") > 0).sort("difference", descending=True).head(limit)
    return {
        "losers": losers.select(columns).to_dicts(),
        "gainers": gainers.select(columns).to_dicts(),
    }


def comparable(runs: list[SimulationRun]) -> None:
    """Runs compared side by side share one column of the rules in force: refused, with the
    reason, when their dates, poverty lines or baselines (the registry or rules changed
    between them) differ."""
    dates = sorted({r.summary["on"] for r in runs})
    if len(dates) > 1:
        raise ValidationError(
            {
                "scenario": _(
                    "These scenarios are on different dates (%(dates)s), each against the rules "
                    "in force on its own: compare scenarios of one date."
                )
                % {"dates": ", ".join(dates)}
            }
        )
    lines = sorted({float(r.summary["poverty_line"]) for r in runs})
    if len(lines) > 1:
        raise ValidationError(
            {
                "scenario": _(
                    "These scenarios have different poverty lines (%(lines)s GEL a month per "
                    "person): compare scenarios with the same poverty line."
                )
                % {"lines": ", ".join(f"{line:.2f}" for line in lines)}
            }
        )
    first = runs[0].summary["national"]
    for run in runs[1:]:
        national = run.summary["national"]
        if any(national[k] != first[k] for k in ("before_benefits", "baseline")):
            raise ValidationError(
                {
                    "scenario": _(
                        "The registry or the rules in force changed between these scenarios' "
                        "simulations: simulate them again to compare them."
                    )
                }
            )


@dataclass
class Pair:
    """One programme's decision for a beneficiary of the household, before and after."""

    code: str
    name: str
    person_index: int | None
    before: engine.Result | None
    after: engine.Result | None

    @property
    def difference(self) -> float:
        return (
            round((self.after.amount or 0) - (self.before.amount or 0), 2)
            if (self.after and self.before)
            else 0.0
        )


@dataclass
class HouseholdResult:
    household_id: int
    region: str
    size: int
    welfare_before: float
    decile: int
    baseline: Decimal
    scenario: Decimal
    pairs: list[Pair] = field(default_factory=list)
    hidden: int = 0  # programmes reading health data, not shown

    @property
    def difference(self) -> Decimal:
        return self.scenario - self.baseline

    @property
    def relevant(self) -> list[Pair]:
        """The decisions that pay under either set of rules, or that differ between them."""
        return [p for p in self.pairs if _matters(p)]

    @property
    def refused_under_both(self) -> list[Pair]:
        return [p for p in self.pairs if not _matters(p)]


def _matters(pair: Pair) -> bool:
    before, after = pair.before, pair.after
    if before is None or after is None:
        return True
    return (
        "eligible" in (before.status, after.status)
        or before.status != after.status
        or before.amount != after.amount
    )


def _amount(result: engine.Result | None) -> Decimal:
    if result is None or result.amount is None or result.status != "eligible":
        return Decimal("0.00")
    return Decimal(str(result.amount)).quantize(Decimal("0.01"))


def household_result(*, actor, run: SimulationRun, household_id: int) -> HouseholdResult:
    """One household's result of a simulation, with every programme's decision explained
    under the rules in force and under the scenario (the same explanation as the eligibility
    page). Pseudonymous: the household's number, its region and size, no names. Programmes
    whose rules read health data are left out for an actor who may not see it, and the totals
    are of the programmes shown. The open is audited."""
    permissions.require(actor, permissions.SIMULATION_RUN)
    row = per_household(run).filter(pl.col("household_id") == household_id)
    if row.is_empty():
        raise Http404
    household = Household.objects.filter(pk=household_id).first()
    if household is None:
        raise ValidationError(
            _("Household #%(number)s is no longer in the registry: there is nothing to explain.")
            % {"number": household_id}
        )
    scope = permissions.analytics_scope(actor)
    if scope is not None and household.municipality_id not in scope:
        raise Http404
    access_log(
        actor=actor, instance=household, purpose="simulation", detail={"simulation_run": run.pk}
    )
    row = row.row(0, named=True)
    on = date.fromisoformat(run.summary["on"])
    registry = registry_frames(on=on, household_ids=[household_id])
    if registry.households.is_empty():
        # Closed since the simulation: nothing to explain on the date any more.
        raise ValidationError(_("The household is closed; closed households are not evaluated."))
    scores = latest_scores(on=on, household_ids=[household_id])
    households, people = engine.attribute_frames(registry, scores, on=on)
    baseline = compiled_programmes(on=on, municipality_id=household.municipality_id, skipped=[])
    ids = {c.id for c in baseline}
    changed = {
        c.id: c
        for c in simulation.changed_programmes(
            baseline, _as_changes(run.summary.get("changes", []), ids)
        )
    }
    scenario = [changed.get(c.id, c) for c in baseline]
    before = engine.explain(households, people, baseline)
    after = engine.explain(households, people, scenario)
    sees = permissions.sees_health(actor)
    pairs: dict[tuple[int, int | None], Pair] = {}
    hidden_codes = set()
    for when, results in (("before", before), ("after", after)):
        for result in results:
            c = result.compiled
            if not sees and (reads_health(c) or reads_health(changed.get(c.id, c))):
                hidden_codes.add(c.code)
                continue
            pair = pairs.setdefault(
                (c.id, result.person_id),
                Pair(
                    c.code, c.programme.name if c.programme else c.code, result.member, None, None
                ),
            )
            setattr(pair, when, result)
    shown = list(pairs.values())
    names = region_names()
    return HouseholdResult(
        household_id=household_id,
        region=names.get(row["region_id"], "—"),
        size=row["size"],
        welfare_before=row["welfare_before"],
        decile=row["decile"],
        baseline=sum((_amount(p.before) for p in shown), Decimal("0.00")),
        scenario=sum((_amount(p.after) for p in shown), Decimal("0.00")),
        pairs=shown,
        hidden=len(hidden_codes),
    )


def summary_json(run: SimulationRun) -> str:
    return json.dumps(run.summary, ensure_ascii=False)
