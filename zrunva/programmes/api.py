"""Eligibility over the API: one household explained (stored, or given as data and never saved)
and runs over the registry, with the same selectors, services and permissions as the screens."""

import math
from datetime import date
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from zrunva.accounts import permissions
from zrunva.core.api import (
    SIGNED_IN,
    Day,
    FlagIn,
    Id,
    JobOut,
    LifeDay,
    MoneyOut,
    PageNumber,
    count_in,
    responses,
    slug,
)
from zrunva.core.pagination import paginate
from zrunva.core.trail import scoped_get, search_log
from zrunva.geo.models import Municipality
from zrunva.programmes import attributes, eligibility, engine, runs
from zrunva.programmes.models import DecisionChange
from zrunva.registry import selectors as registry
from zrunva.registry.choices import DisabilityDegree, PensionKind, Sex

router = Router(tags=["eligibility"])


class ExplanationOut(Schema):
    text: str
    value: Any
    children: list["ExplanationOut"]


class ParameterOut(Schema):
    code: str
    value: float = Field(description="The value used on the date (a formula's result).")
    formula: str = Field("", description="The formula the value came from, if any.")
    valid_from: date
    source: str
    illustrative: bool


class ChangeOut(Schema):
    attribute: str
    current: Any
    needed: Any


class ResultOut(Schema):
    programme: str
    person_id: int | None = Field(None, description="For a person programme: the member.")
    member: int | None = Field(None, description="The member's index in the input, for data.")
    status: str = Field(
        description="eligible, not_eligible, needs_data, error (the formula gives an amount that "
        "cannot be paid or stored) or not_in_force (the programme is not in force on the date: "
        "nothing is evaluated)"
    )
    reason: str
    amount: MoneyOut | None = Field(None, description="GEL a month, if eligible.")
    missing: list[str]
    criteria: ExplanationOut | None
    formula: ExplanationOut | None
    parameters: list[ParameterOut]
    nearest_changes: list[ChangeOut]


def _finite(value):
    """JSON has no infinity or NaN: a rule part that gives one reads as unknown."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _tree(node) -> dict:
    return {
        "text": node.text,
        "value": _finite(node.value),
        "children": [_tree(c) for c in node.children],
    }


def _result(result: engine.Result) -> dict:
    compiled = result.compiled
    if compiled.criteria is None:  # not in force on the date: nothing was evaluated
        return {
            "programme": compiled.code,
            "status": result.status,
            "reason": result.reason,
            "missing": [],
            "criteria": None,
            "formula": None,
            "parameters": [],
            "nearest_changes": [],
        }
    codes = sorted(
        eligibility.expressions.dependencies(compiled.criteria)
        | eligibility.expressions.dependencies(compiled.formula)
    )
    return {
        "programme": compiled.code,
        "person_id": result.person_id,
        "member": result.member,
        "status": result.status,
        "reason": result.reason,
        "amount": result.amount,
        "missing": result.missing,
        "criteria": _tree(result.criteria),
        "formula": _tree(result.formula) if result.status == "eligible" else None,
        "parameters": [
            {
                "code": code,
                "value": float(compiled.params[code]),
                "formula": v.formula,
                "valid_from": v.valid_from,
                "source": v.source,
                "illustrative": v.illustrative,
            }
            for code in codes
            if (v := compiled.versions.get(code)) is not None
        ],
        "nearest_changes": [
            {"attribute": c.attribute.reference, "current": c.current, "needed": c.needed}
            for c in result.changes
        ],
    }


@router.get(
    "/households/{household_id}/eligibility",
    response=responses({200: list[ResultOut]}, *SIGNED_IN, 404, 422),
    summary="Every programme for a stored household on a date, explained",
)
def household_eligibility(request, household_id: Id, on: Day | None = None):
    permissions.require(request.user, permissions.REGISTRY_VIEW)
    household = registry.household_get(actor=request.user, pk=household_id, purpose="eligibility")
    results = eligibility.household_explanation(household=household, on=on or timezone.localdate())
    if not permissions.sees_health(request.user):
        results = [r for r in results if not eligibility.reads_health(r.compiled)]
    return [_result(r) for r in results]


def _most(reference: str):
    """An attribute's published upper bound (the catalogue's), as the schema's `le`."""
    high = attributes.ATTRIBUTES[reference].bounds.high
    return int(high) if float(high).is_integer() else high


class DataMemberIn(Schema):
    birth_date: LifeDay
    sex: Sex | None = None
    disability_degree: DisabilityDegree | None = None
    is_idp: FlagIn | None = None
    pension_kind: PensionKind | None = None
    income: float | None = Field(
        None,
        strict=True,
        ge=0,
        le=_most("person.monthly_income"),
        allow_inf_nan=False,
        description="Monthly income, GEL.",
    )


class HouseholdDataIn(Schema):
    on: Day | None = None
    municipality: str | None = Field(
        None, max_length=60, description='A municipality code, e.g. "kutaisi".'
    )
    is_highland: FlagIn | None = None
    rating_score: float | None = Field(
        None, strict=True, ge=0, le=_most("household.rating_score"), allow_inf_nan=False
    )
    monthly_utility_spending: float | None = Field(
        None, strict=True, ge=0, le=_most("household.monthly_utility_spending"), allow_inf_nan=False
    )
    agricultural_land_ha: float | None = Field(
        None, strict=True, ge=0, le=_most("household.agricultural_land_ha"), allow_inf_nan=False
    )
    cattle: count_in(_most("household.cattle")) | None = None
    cars: count_in(_most("household.cars")) | None = None
    members: list[DataMemberIn] = Field(max_length=30)


@router.post(
    "/eligibility/explain",
    response=responses({200: list[ResultOut]}, 400, *SIGNED_IN, 422),
    summary="Every programme for a household given as data; nothing is saved",
)
def data_eligibility(request, payload: HouseholdDataIn):
    permissions.require(request.user, permissions.PROGRAMMES_VIEW)
    data = payload.dict()
    members = data.pop("members")
    on, score = data.pop("on") or timezone.localdate(), data.pop("rating_score")
    results = eligibility.data_explanation(
        household=data, members=members, on=on, rating_score=score
    )
    return [_result(r) for r in results]


class RunIn(Schema):
    on: Day
    municipality: slug(40, "A municipality code; none: the country.") | None = None


class RunOut(JobOut):
    on: date
    municipality: str | None

    @staticmethod
    def resolve_municipality(run) -> str | None:
        return run.municipality.code if run.municipality else None


class DecisionChangeOut(Schema):
    programme: str
    household_id: int
    person_id: int | None
    old_status: str
    old_amount: MoneyOut | None
    new_status: str
    new_amount: MoneyOut | None

    @staticmethod
    def resolve_programme(change) -> str:
        return change.programme.code


@router.post(
    "/eligibility/runs",
    response=responses({202: RunOut}, 400, *SIGNED_IN, 422),
    summary="Start an eligibility run",
)
def run_create(request, payload: RunIn):
    municipality = None
    if payload.municipality:
        municipality = Municipality.objects.filter(code=payload.municipality).first()
        if municipality is None:
            raise ValidationError({"municipality": _("Unknown municipality code.")})
    run = runs.run_start(actor=request.user, on=payload.on, municipality=municipality)
    return 202, run


@router.get(
    "/eligibility/runs/{run_id}",
    response=responses({200: RunOut}, *SIGNED_IN, 404, 422),
    summary="A run's status and totals",
)
def run_detail(request, run_id: Id):
    return scoped_get(runs.run_list(actor=request.user), actor=request.user, pk=run_id)


@router.get(
    "/eligibility/runs/{run_id}/changes",
    response=responses({200: list[DecisionChangeOut]}, *SIGNED_IN, 404, 422),
    summary="What a run changed in the caller's area: gained, lost, increased or decreased",
)
def run_changes(request, run_id: Id, kind: Literal[runs.CHANGE_KINDS] = "", page: PageNumber = 1):
    run = scoped_get(runs.run_list(actor=request.user), actor=request.user, pk=run_id)
    qs = runs.run_changes(actor=request.user, run=run, kind=kind)
    items = paginate(qs, number=page, size=settings.REGISTRY_PAGE_SIZE).items
    search_log(
        actor=request.user,
        model=DecisionChange,
        terms={"run": run.pk, "kind": kind, "page": page},
        shown=len(items),
    )
    return items
