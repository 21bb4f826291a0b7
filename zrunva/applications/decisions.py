"""What a decision on an application rests on: the decision a run stored for the month, or the
programme decided for the applicant's household on the day, explained and flattened into the
reasons the officer sees, the record keeps and the letter gives."""

import json
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from zrunva.assessment.selectors import latest_assessment
from zrunva.geo.choices import OfficeAgency
from zrunva.geo.models import Office
from zrunva.programmes import engine, expressions, sentences
from zrunva.programmes.choices import DecisionStatus, ProgrammeLevel
from zrunva.programmes.eligibility import household_explanation
from zrunva.programmes.models import Decision
from zrunva.programmes.selectors import in_force, of_beneficiary
from zrunva.programmes.services import rule_set
from zrunva.registry.models import Membership


def _plain(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _number(value):
    return float(value) if isinstance(value, Decimal) else value


def _conditions(node: expressions.Explanation) -> list[expressions.Explanation]:
    """The yes/no conditions the criteria combine: and, or and not are unfolded (every part of
    theirs is yes/no); a comparison or an aggregation is a condition."""
    logical = (
        node.kind in ("binary", "unary")
        and node.children
        and all(isinstance(c.value, bool) or c.value is None for c in node.children)
        and any(c.kind in ("binary", "unary", "call", "agg") for c in node.children)
    )
    if logical:
        return [leaf for child in node.children for leaf in _conditions(child)]
    return [node]


def _values(node: expressions.Explanation, seen: dict) -> dict:
    """The attributes and parameters a rule read, with their values."""
    if node.kind in ("attr", "param"):
        seen.setdefault(node.text, node.value)
    for child in node.children:
        _values(child, seen)
    return seen


def _applicant_person(application) -> int | None:
    """The applicant's person id, for a programme that pays a person: the current member of the
    application's household with the applicant's personal number."""
    if application.programme.level != ProgrammeLevel.PERSON:
        return None
    person_id = (
        Membership.objects.filter(
            household_id=application.household_id,
            end_date__isnull=True,
            person__personal_number=application.personal_number,
        )
        .values_list("person_id", flat=True)
        .first()
    )
    if person_id is None:
        raise ValidationError(
            {
                "household": _(
                    "The applicant is not a member of the household registered for this "
                    "application."
                )
            }
        )
    return person_id


def _applicant_result(application, *, on: date, person_id: int | None) -> engine.Result:
    """The applicant's programme alone, for their household on `on`, explained."""
    results = household_explanation(
        household=application.household, on=on, programme_id=application.programme_id
    )
    own = [r for r in results if r.status != DecisionStatus.NOT_IN_FORCE]
    if not own:
        raise ValidationError(
            {"status": _("The programme does not apply to this household on this date.")}
        )
    for result in own:
        if result.person_id == person_id:
            return result
    raise ValidationError(
        {
            "household": _(
                "The applicant is not a member of the household registered for this application."
            )
        }
    )


def run_decision(application, *, on: date, person_id: int | None) -> Decision | None:
    """The decision a run stored for the applicant for the month of `on`, if it can be
    trusted today: made by a run that started after the household's data last changed (its
    members, their data and incomes: `Household.updated_at`) and after its latest assessment
    was recorded. Whether the rules and parameters are still the same is checked by the
    caller, against the rule set the decision was made under."""
    month = on.replace(day=1)
    rows = of_beneficiary(
        Decision.objects.filter(programme_id=application.programme_id, run__isnull=False),
        household_id=application.household_id,
        person_id=person_id,
    )
    stored = in_force(rows, month).select_related("run").first()
    if stored is None or stored.household_id != application.household_id:
        return None
    started = stored.run.started_at
    household = application.household
    if started is None or household.updated_at >= started:
        return None
    assessed = latest_assessment(household).values_list("created_at", flat=True).first()
    if assessed is not None and assessed >= started:
        return None
    return stored


def decision_basis(application, *, on: date) -> tuple[dict, engine.Result | None]:
    """The applicant's decision for the application's programme, and what it rests on: status,
    amount, the conditions with their values, the values read, the parameter versions with
    their legal sources, what is missing, and the nearest change that would qualify.
    JSON-ready, to be stored with the decision.

    The decision a run stored for this month is the answer when it can be trusted
    (`run_decision`) and the rules it was made under are those in force; it is explained as
    of the run's date, so the explanation and the decision agree. Otherwise the applicant's
    programme alone is decided as of `on`, and the caller stores that (`source` "application")
    as the beneficiary's decision for the month: the second value, None when the run's
    decision stands."""
    person_id = _applicant_person(application)
    stored = run_decision(application, on=on, person_id=person_id)
    result = None
    if stored is not None:
        result = _applicant_result(application, on=stored.run.on, person_id=person_id)
        same = (
            rule_set(result.compiled).pk == stored.rules_id
            and result.status == stored.status
            and result.amount == stored.amount
        )
        if not same:
            stored = result = None
    if result is None:
        result = _applicant_result(application, on=on, person_id=person_id)
    versions = result.compiled.versions
    values = _values(result.formula, _values(result.criteria, {}))
    read = {text.removeprefix("param.") for text in values if text.startswith("param.")}
    basis = _plain(
        {
            "on": on,
            "source": "run" if stored else "application",
            "run": stored.run_id if stored else None,
            "decision": stored.pk if stored else None,
            "status": result.status,
            "reason": result.reason,
            "amount": None if result.amount is None else f"{result.amount:.2f}",
            "person_id": result.person_id,
            "conditions": [
                {"text": c.text, "value": c.value} for c in _conditions(result.criteria)
            ],
            "values": [{"text": text, "value": value} for text, value in values.items()],
            "parameters": [
                {
                    "code": code,
                    "value": _number(result.compiled.params.get(code)),
                    "valid_from": version.valid_from,
                    "source": version.source,
                    "illustrative": version.illustrative,
                }
                for code, version in sorted(versions.items())
                if code in read
            ],
            "missing": list(result.missing),
            "changes": [
                {
                    "attribute": c.attribute.reference,
                    "label_ka": c.attribute.label_ka,
                    "label_en": c.attribute.label_en,
                    "current": c.current,
                    "needed": c.needed,
                }
                for c in result.changes
            ],
            "legal_basis": application.programme.legal_basis,
            # The same decision in language-free facts, said in sentences in the reader's
            # language wherever it is shown (`programmes.sentences`): letter, pages, portal.
            "statements": sentences.facts(result),
        }
    )
    return basis, (None if stored else result)


def decision_officer(application):
    """The officer who took the application's latest decision (None: none recorded)."""
    from zrunva.applications.choices import Status

    event = (
        application.events.filter(to_status__in=(Status.DECIDED, Status.REJECTED))
        .exclude(actor=None)
        .select_related("actor__office")
        .order_by("-at", "-id")
        .first()
    )
    return event.actor if event else None


def deciding_office(application, officer=None) -> Office | None:
    """The office that decided: the officer's own, else the Social Service Agency's office
    serving the application's municipality (the agency that processes state programmes)."""
    if officer is not None and officer.office_id:
        return officer.office
    return (
        Office.objects.filter(agency=OfficeAgency.SSA, municipalities=application.municipality_id)
        .order_by("code")
        .first()
    )
