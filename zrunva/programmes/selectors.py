import math
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.audit.subject_access import Section, Subject
from zrunva.programmes import expressions
from zrunva.programmes.models import (
    Decision,
    DecisionChange,
    Parameter,
    ParameterValue,
    Programme,
)


def of_beneficiary(qs: QuerySet, *, household_id: int, person_id: int | None) -> QuerySet:
    """Rows (decisions, enrolments) of one beneficiary: the person's for a programme that pays
    a person, else the household's own (no person)."""
    if person_id is not None:
        return qs.filter(person_id=person_id)
    return qs.filter(household_id=household_id, person__isnull=True)


def in_force(qs: QuerySet[Decision], month: date) -> QuerySet[Decision]:
    """The decisions whose months cover `month` (the first day of a month)."""
    return qs.filter(period__lte=month).filter(Q(until__isnull=True) | Q(until__gte=month))


def parameters_on(*, on: date, municipality_id: int | None = None) -> dict[str, Decimal]:
    """Each parameter's value on a date: the latest value from that date or before, or what its
    formula gives from the other parameters' values then. State parameters always; a
    municipality's own only when its id is given. A parameter with no value yet on the date (or
    whose formula reads one) is absent, so a rule that needs it reports "no value on this
    date"."""
    versions = parameter_versions(on=on)
    own = dict(versions[None])
    if municipality_id is not None:
        own |= versions[municipality_id]
    return resolved(own)


def parameter_versions(*, on: date) -> dict[int | None, dict[str, ParameterValue]]:
    """Per municipality id (None: the state's): code → the value in force on `on`."""
    values = (
        ParameterValue.objects.filter(valid_from__lte=on)
        .select_related("parameter")
        .order_by("parameter__code", "-valid_from")
    )
    found: dict[int | None, dict[str, ParameterValue]] = defaultdict(dict)
    for value in values:
        own = found[value.parameter.municipality_id]
        own.setdefault(value.parameter.code, value)
    return found


def resolved(versions: dict[str, ParameterValue]) -> dict[str, Decimal]:
    """The values of these versions: their own, or what their formulas give."""
    values = {code: v.value for code, v in versions.items() if not v.formula}
    formulas = {code: v.formula for code, v in versions.items() if v.formula}
    return values | derived_values(formulas, values)


def derived_values(formulas: dict[str, str], values: dict[str, Decimal]) -> dict[str, Decimal]:
    """The values of parameters defined by formulas over others (`values`), each worked out
    after those it reads; one that reads a parameter with no value is left out."""
    known = dict(values)
    schema = expressions.Schema(params=dict.fromkeys([*values, *formulas], expressions.Type.NUMBER))
    derived = {}
    for code in expressions.check_cycles(formulas):
        if not expressions.dependencies(formulas[code]) <= set(known):
            continue
        rule = expressions.validate(
            formulas[code],
            schema,
            level=expressions.Level.HOUSEHOLD,
            result=expressions.Type.NUMBER,
        )
        result = expressions.evaluate_one(rule, {}, [], known)
        # Infinity or NaN (from a formula stored before its bounds were checked) is no value.
        if result is not None and math.isfinite(result):
            derived[code] = known[code] = Decimal(str(round(result, 4)))
    return derived


def parameter_bounds(
    *, municipality_id: int | None = None, formulas: dict[str, str] | None = None
) -> dict[str, expressions.Interval]:
    """Per parameter a programme (or a parameter's formula) of this place may read: the
    smallest and largest value it has on any date, its formulas' values worked out from the
    others' bounds (`formulas`: code → a formula to count in too, as one being saved).
    A parameter with a formula that cannot be bounded is left out: nothing is known of it."""
    codes = parameter_codes(municipality_id=municipality_id)
    plain: dict[str, expressions.Interval] = {}
    definitions: dict[str, list[str]] = defaultdict(list)
    for code, value, formula in ParameterValue.objects.filter(
        parameter__code__in=codes
    ).values_list("parameter__code", "value", "formula"):
        if formula:
            definitions[code].append(formula)
        else:
            point = expressions.Interval(float(value), float(value), value == value.to_integral())
            plain[code] = plain[code].hull(point) if code in plain else point
    for code, formula in (formulas or {}).items():
        definitions[code].append(formula)
    schema = expressions.Schema(params=dict.fromkeys(codes, expressions.Type.NUMBER))
    found = dict(plain)
    joined = {
        code: " + ".join(f"({text})" for text in texts) for code, texts in definitions.items()
    }
    for code in expressions.check_cycles(joined):  # each after those it reads
        interval = plain.get(code)
        for text in definitions[code]:
            try:
                rule = expressions.validate(text, schema, result=expressions.Type.NUMBER)
            except expressions.ExpressionError:
                part = None
            else:
                part = expressions.bounds(rule, {}, found)
            if part is None:
                interval = None
                break
            interval = interval.hull(part) if interval else part
        if interval is None:
            found.pop(code, None)
        else:
            found[code] = interval
    return found


def parameter_history(*, code: str) -> QuerySet[ParameterValue]:
    return ParameterValue.objects.filter(parameter__code=code).order_by("valid_from")


def parameter_codes(*, municipality_id: int | None = None) -> set[str]:
    """The parameters a programme may read: the state's, and its municipality's own if it has
    one; whether they have a value on a given date is `parameters_on`'s question."""
    parameters = Parameter.objects.filter(municipality__isnull=True)
    if municipality_id is not None:
        parameters = parameters | Parameter.objects.filter(municipality_id=municipality_id)
    return set(parameters.values_list("code", flat=True))


def _own_or_state(qs: QuerySet, actor) -> QuerySet:
    scope = permissions.municipality_scope(actor)
    if scope is None:
        return qs
    return qs.filter(Q(municipality__isnull=True) | Q(municipality_id__in=scope))


def programme_list(*, actor) -> QuerySet[Programme]:
    """The state's programmes and those of the municipalities in the actor's area (all for
    national staff)."""
    permissions.require(actor, permissions.PROGRAMMES_VIEW)
    return _own_or_state(Programme.objects.select_related("municipality"), actor).order_by(
        "municipality__name_en", "code"
    )


def parameter_list(*, actor) -> QuerySet[Parameter]:
    permissions.require(actor, permissions.PROGRAMMES_VIEW)
    return _own_or_state(Parameter.objects.select_related("municipality"), actor).order_by(
        "municipality__name_en", "code"
    )


def subject_access_decisions(subject: Subject) -> Section:
    """Subject access: the eligibility decisions about the person (person-level programmes) and
    about their households (household-level ones), and what each run changed in them. Other
    members' own decisions are theirs, not this person's."""
    if subject.person is None:
        return Section()  # runs decide on the registry's people and households only
    about = Q(person=subject.person) | Q(
        household_id__in=sorted(subject.household_ids), person__isnull=True
    )
    section = Section()
    decisions = Decision.objects.filter(about).select_related("programme")
    for decision in decisions.order_by("period", "programme_id", "id"):
        section.add(
            decision,
            programme_code=decision.programme.code,
            labels={"programme_code": _("Programme code")},
        )
    changes = DecisionChange.objects.filter(about).select_related("programme", "run")
    for change in changes.order_by("run_id", "programme_id", "id"):
        section.add(
            change,
            programme_code=change.programme.code,
            run_on=str(change.run.on),
            labels={"programme_code": _("Programme code"), "run_on": _("Run date")},
        )
    return section


# -- The decisions in force about a person or a household (panels on their pages) ------------


def _decisions_shown(qs: QuerySet[Decision], *, actor, month: date) -> QuerySet[Decision]:
    """`qs` in force in `month`, for staff who see the registry; a health programme's decisions
    only with health access (a decision on the disability package says there is a disability)."""
    permissions.require(actor, permissions.REGISTRY_VIEW)
    qs = permissions.health_programmes_hidden(in_force(qs, month), actor)
    # The application's number names the basis of a decision no run made.
    return qs.select_related("programme", "person", "run", "application").order_by(
        "programme__code", "person_id", "id"
    )


def person_decisions(*, actor, person, household_id: int | None, month: date) -> QuerySet[Decision]:
    """The decisions in force in `month` about the person: their own (programmes that pay a
    person) and their current household's (`household_id`; programmes that pay the household).
    The person was read, in the actor's area, by the registry's selector."""
    about = Q(person_id=person.pk)
    if household_id is not None:
        about |= Q(household_id=household_id, person__isnull=True)
    return _decisions_shown(Decision.objects.filter(about), actor=actor, month=month)


def household_decisions(*, actor, household, month: date) -> QuerySet[Decision]:
    """The decisions in force in `month` about the household and each of its members (a
    decision about a person names their household)."""
    return _decisions_shown(
        Decision.objects.filter(household_id=household.pk), actor=actor, month=month
    )
