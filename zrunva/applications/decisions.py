"""What a decision on an application rests on: the programme's eligibility explanation for the
applicant's household on the day of the decision, flattened into the reasons the officer sees,
the record keeps and the letter gives."""

import json
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from zrunva.programmes import engine, expressions
from zrunva.programmes.choices import DecisionStatus, ProgrammeLevel
from zrunva.programmes.eligibility import household_explanation
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


def _applicant_result(results: list[engine.Result], application) -> engine.Result:
    own = [
        r
        for r in results
        if r.compiled.id == application.programme_id and r.status != DecisionStatus.NOT_IN_FORCE
    ]
    if not own:
        raise ValidationError(
            {"status": _("The programme does not apply to this household on this date.")}
        )
    if application.programme.level != ProgrammeLevel.PERSON:
        return own[0]
    person_id = (
        Membership.objects.filter(
            household_id=application.household_id,
            end_date__isnull=True,
            person__personal_number=application.personal_number,
        )
        .values_list("person_id", flat=True)
        .first()
    )
    for result in own:
        if person_id is not None and result.person_id == person_id:
            return result
    raise ValidationError(
        {
            "household": _(
                "The applicant is not a member of the household registered for this application."
            )
        }
    )


def decision_basis(application, *, on: date) -> dict:
    """The applicant's decision for the application's programme, from the same rules and data
    as the household's eligibility page: status, amount, the conditions with their values, the
    values read, the parameter versions with their legal sources, what is missing, and the
    nearest change that would qualify. JSON-ready, to be stored with the decision."""
    results = household_explanation(household=application.household, on=on)
    result = _applicant_result(results, application)
    versions = result.compiled.versions
    values = _values(result.formula, _values(result.criteria, {}))
    read = {text.removeprefix("param.") for text in values if text.startswith("param.")}
    return _plain(
        {
            "on": on,
            "status": result.status,
            "reason": result.reason,
            "amount": None if result.amount is None else round(result.amount, 2),
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
                    "label_ka": c.attribute.label_ka,
                    "label_en": c.attribute.label_en,
                    "current": c.current,
                    "needed": c.needed,
                }
                for c in result.changes
            ],
            "legal_basis": application.programme.legal_basis,
        }
    )
