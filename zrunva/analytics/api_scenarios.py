"""Reform scenarios over the API: list, create with their changes, simulate, read the results
and compare, with the screens' services and permissions (SIMULATION_RUN), and regions under ten
households suppressed for those who may not see small cells."""

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from ninja import Field, Query, Router, Schema

from zrunva.accounts import permissions
from zrunva.analytics import scenarios
from zrunva.analytics.models import Scenario
from zrunva.core.api import SIGNED_IN, Day, FlagIn, Id, JobOut, decimal_of, responses
from zrunva.core.trail import access_log, search_log
from zrunva.programmes.models import Programme

router = Router(tags=["analytics"])


class ScenarioChangeIn(Schema):
    programme: str = Field(max_length=60, description='The programme\'s code, e.g. "tsa".')
    parameters: dict[str, str | int | float] = Field(
        default_factory=dict,
        description="Parameter code → the scenario's value (a number, or a number as text).",
    )
    criteria: str = Field("", max_length=5000, description="Replaced criteria; empty: as in force.")
    formula: str = Field("", max_length=5000, description="Replaced formula; empty: as in force.")


class ScenarioIn(Schema):
    name: str = Field(max_length=200)
    description: str = Field("", max_length=5000)
    on: Day
    shared: FlagIn = False
    poverty_share: decimal_of(Scenario._meta.get_field("poverty_share")) | None = None
    poverty_line: decimal_of(Scenario._meta.get_field("poverty_line")) | None = None
    budget_cap: decimal_of(Scenario._meta.get_field("budget_cap")) | None = None
    changes: list[ScenarioChangeIn] = Field(default_factory=list, max_length=50)


class ScenarioChangeOut(Schema):
    programme: str
    parameters: dict[str, str]
    criteria: str
    formula: str


class ScenarioOut(Schema):
    id: int
    name: str
    description: str
    on: date
    owner: str
    shared: bool
    poverty_share: str
    poverty_line: str | None
    budget_cap: str | None
    changes: list[ScenarioChangeOut]
    updated_at: datetime


class SimulationOut(JobOut):
    scenario: int
    results: dict[str, Any] | None = Field(
        None,
        description="Once done: poverty line, national outcomes (before benefits, in force, "
        "scenario, capped), winners and losers, by programme, and by region (a region under ten "
        "households, and each programme or band of fewer than ten households or beneficiaries, "
        'is {"suppressed": true} for readers without small cells, as is one more where a total '
        "would give it away).",
    )


class ScenarioCompareRow(Schema):
    scenario: int
    name: str
    simulation: int
    national: dict[str, Any]


class ScenarioCompareOut(Schema):
    baseline: dict[str, Any]
    scenarios: list[ScenarioCompareRow]


def _scenario_out(s: Scenario) -> dict:
    return {
        "id": s.pk,
        "name": s.name,
        "description": s.description,
        "on": s.on,
        "owner": s.owner.username,
        "shared": s.shared,
        "poverty_share": f"{s.poverty_share:.2f}",
        "poverty_line": f"{s.poverty_line:.2f}" if s.poverty_line is not None else None,
        "budget_cap": f"{s.budget_cap:.2f}" if s.budget_cap is not None else None,
        "changes": [
            {
                "programme": c.programme.code,
                "parameters": c.parameters,
                "criteria": c.criteria,
                "formula": c.formula,
            }
            for c in s.changes.all()
        ],
        "updated_at": s.updated_at,
    }


def _results(run, actor) -> dict | None:
    if run.status != "done":
        return None
    summary = scenarios.visible_summary(actor=actor, summary=run.summary)
    summary["regions"] = [
        {"region_id": row.region_id, "name": row.name, **(row.data or {"suppressed": True})}
        for row in scenarios.region_rows(actor=actor, summary=run.summary)
    ]
    return summary


def _simulation_out(run, actor) -> dict:
    return {
        **{f: getattr(run, f) for f in ("id", "status", "stage", "progress", "error")},
        "summary": {k: run.summary[k] for k in ("timings", "seconds") if k in run.summary},
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "scenario": run.scenario_id,
        "results": _results(run, actor),
    }


@router.get(
    "/analytics/scenarios",
    response=responses({200: list[ScenarioOut]}, *SIGNED_IN),
    summary="The scenarios you own and those shared with you",
)
def scenario_list(request):
    found = [_scenario_out(s) for s in scenarios.scenario_list(actor=request.user)]
    search_log(actor=request.user, model=Scenario, terms={"api": "scenarios"}, shown=len(found))
    return found


@router.post(
    "/analytics/scenarios",
    response=responses({201: ScenarioOut}, 400, *SIGNED_IN, 422),
    summary="Create a scenario with its changes (checked as the programme editor checks rules)",
)
def scenario_create(request, payload: ScenarioIn):
    data = payload.dict()
    changes = data.pop("changes")
    data = {k: v for k, v in data.items() if v is not None}
    with transaction.atomic():
        scenario = scenarios.scenario_create(actor=request.user, **data)
        for index, change in enumerate(changes):
            programme = Programme.objects.filter(code=change["programme"]).first()
            if programme is None:
                raise ValidationError(
                    {f"changes.{index}.programme": "No programme with this code."}
                )
            try:
                scenarios.scenario_change_set(
                    actor=request.user,
                    scenario=scenario,
                    programme=programme,
                    parameters={k: str(v) for k, v in change["parameters"].items()},
                    criteria=change["criteria"],
                    formula=change["formula"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    raise ValidationError(
                        {f"changes.{index}.{k}": v for k, v in error.message_dict.items()}
                    ) from error
                raise ValidationError({f"changes.{index}": error.messages}) from error
    return 201, _scenario_out(scenario)


class ScenarioCompareQuery(Schema):
    scenario: list[Id] = Field(min_length=1, max_length=scenarios.COMPARED_AT_MOST)


@router.get(
    "/analytics/scenarios/compare",
    response=responses({200: ScenarioCompareOut}, 400, *SIGNED_IN, 404, 422),
    summary="Up to four scenarios side by side with the rules in force, each from its latest "
    "simulation; scenarios of different dates or poverty lines are refused (400)",
)
def scenario_compare(request, query: Query[ScenarioCompareQuery]):
    permissions.require(request.user, permissions.SIMULATION_RUN)
    found = []
    for pk in dict.fromkeys(query.scenario):
        scenario = scenarios.scenario_get(actor=request.user, pk=pk)
        run = scenarios.latest_done(scenario)
        if run is None:
            raise ValidationError({"scenario": f"Not simulated yet: {scenario.name}."})
        found.append((scenario, run))
    scenarios.comparable([run for _s, run in found])
    rows, baseline = [], None
    for scenario, run in found:
        access_log(actor=request.user, instance=run, purpose="compare")
        national = scenarios.visible_summary(actor=request.user, summary=run.summary)["national"]
        baseline = baseline or {k: national[k] for k in ("before_benefits", "baseline")}
        keep = ("scenario", "scenario_bands", "capped", "capped_bands", "households", "people")
        rows.append(
            {
                "scenario": scenario.pk,
                "name": scenario.name,
                "simulation": run.pk,
                "national": {k: national[k] for k in keep if k in national},
            }
        )
    return {"baseline": baseline, "scenarios": rows}


@router.get(
    "/analytics/scenarios/{scenario_id}",
    response=responses({200: ScenarioOut}, *SIGNED_IN, 404, 422),
    summary="One scenario",
)
def scenario_detail(request, scenario_id: Id):
    scenario = scenarios.scenario_get(actor=request.user, pk=scenario_id)
    access_log(actor=request.user, instance=scenario, purpose="scenario")
    return _scenario_out(scenario)


@router.post(
    "/analytics/scenarios/{scenario_id}/simulations",
    response=responses({202: SimulationOut}, 400, *SIGNED_IN, 404, 422),
    summary="Simulate a scenario on the background worker; follow it at /analytics/simulations/{id}",
)
def scenario_run(request, scenario_id: Id):
    scenario = scenarios.scenario_get(actor=request.user, pk=scenario_id)
    run = scenarios.simulation_start(actor=request.user, scenario=scenario)
    return 202, _simulation_out(run, request.user)


@router.get(
    "/analytics/simulations/{simulation_id}",
    response=responses({200: SimulationOut}, *SIGNED_IN, 404, 422),
    summary="A simulation's progress and, once done, its results",
)
def simulation_detail(request, simulation_id: Id):
    run = scenarios.run_get(actor=request.user, pk=simulation_id)
    access_log(actor=request.user, instance=run, purpose="simulation result")
    return _simulation_out(run, request.user)
