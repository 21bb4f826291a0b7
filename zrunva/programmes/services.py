import hashlib
import json
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core.trail import acting_as
from zrunva.programmes import attributes, expressions
from zrunva.programmes.eligibility import rules_read_health
from zrunva.programmes.models import Decision, Parameter, ParameterValue, Programme, RuleSet
from zrunva.programmes.selectors import (
    in_force,
    of_beneficiary,
    parameter_bounds,
    parameter_codes,
    parameters_on,
)
from zrunva.programmes.validators import LARGEST_AMOUNT, LARGEST_NUMBER


def _require_define(actor, municipality_id: int | None, state_refusal: str | None = None) -> None:
    """The state's parameters and programmes are defined by administrators (national scope),
    a municipality's by that municipality's officers."""
    permissions.require(actor, permissions.PROGRAMMES_DEFINE)
    if municipality_id is None:
        if permissions.municipality_scope(actor) is not None:
            raise PermissionDenied(
                state_refusal or _("Only administrators define the state's programmes.")
            )
    else:
        permissions.require_in_scope(actor, municipality_id)


def can_define(actor, municipality_id: int | None) -> bool:
    """Whether `_require_define` lets the actor define what belongs to this place; the screens
    show their buttons by it."""
    try:
        _require_define(actor, municipality_id)
    except PermissionDenied:
        return False
    return True


@transaction.atomic
def parameter_create(
    *,
    actor,
    code: str,
    name_ka: str,
    name_en: str,
    unit: str = "",
    municipality=None,
    description: str = "",
) -> Parameter:
    """A new parameter: a municipality's by its own officers, the state's by administrators.
    Its values come after, each from a date with its legal source (`parameter_value_set`)."""
    _require_define(
        actor,
        municipality.pk if municipality else None,
        state_refusal=_("Only administrators create the state's parameters."),
    )
    with acting_as(actor):
        parameter = Parameter(
            code=code,
            name_ka=name_ka,
            name_en=name_en,
            unit=unit,
            municipality=municipality,
            description=description,
        )
        parameter.full_clean()
        parameter.save()
    return parameter


def _formula_errors(parameter: Parameter, formula: str) -> str | None:
    """A parameter's formula must read only other parameters it may read (the state's and its
    municipality's) and give a number, and must not come back to itself through other
    parameters' formulas: the first fault, with where it is."""
    codes = parameter_codes(municipality_id=parameter.municipality_id)
    schema = expressions.Schema(params=dict.fromkeys(codes, expressions.Type.NUMBER))
    try:
        rule = expressions.validate(formula, schema, result=expressions.Type.NUMBER)
        expressions.check_numbers(rule, formula, LARGEST_NUMBER)
        # Every formula any of these parameters has on any date, with the new one in its place.
        definitions: dict[str, str] = {parameter.code: formula}
        others = ParameterValue.objects.filter(parameter__code__in=codes).exclude(formula="")
        for code, text in others.values_list("parameter__code", "formula"):
            if code != parameter.code:
                previous = definitions.get(code)
                definitions[code] = f"({previous}) + ({text})" if previous else text
        expressions.check_cycles(definitions)
        # Its value is a parameter's value: within the same bounds as one written by hand.
        found = parameter_bounds(municipality_id=parameter.municipality_id)
        found.pop(parameter.code, None)
        interval = expressions.bounds(rule, {}, found)
        if interval is not None and max(-interval.low, interval.high) > LARGEST_NUMBER:
            raise expressions.ExpressionError(
                _(
                    "This formula can give %(bound)s; a parameter's value must lie between "
                    "-%(limit)s and %(limit)s"
                )
                % {
                    "bound": _figure(max(-interval.low, interval.high)),
                    "limit": _figure(LARGEST_NUMBER),
                }
            )
    except expressions.ExpressionError as error:
        if getattr(error, "definition", parameter.code) not in (None, parameter.code):
            return _("%(error)s, in the formula of %(name)s") % {
                "error": error,
                "name": f"param.{error.definition}",
            }
        return str(error)
    return None


@transaction.atomic
def parameter_value_set(
    *,
    actor,
    parameter: Parameter,
    valid_from: date,
    value: Decimal | None = None,
    formula: str = "",
    source: str,
    source_ka: str = "",
    illustrative: bool = False,
) -> ParameterValue:
    """Give a parameter a new value from a date on, or a formula over other parameters that
    gives it. State parameters are changed by administrators, a municipality's own by that
    municipality's officers; every value names its legal source. A formula is refused with the
    position of its fault: an unknown parameter, a wrong type, or a circular definition."""
    _require_define(
        actor,
        parameter.municipality_id,
        state_refusal=_("Only administrators change the state's parameters."),
    )
    formula = (formula or "").strip()
    if (value is None) == (not formula):
        raise ValidationError({"value": _("Give either a value or a formula.")})
    if not source.strip():
        raise ValidationError({"source": _("Name the legal source of this value.")})
    if formula and (message := _formula_errors(parameter, formula)):
        raise ValidationError({"formula": message})
    with acting_as(actor):
        record = ParameterValue(
            parameter=parameter,
            valid_from=valid_from,
            value=value,
            formula=formula,
            source=source.strip(),
            source_ka=source_ka.strip(),
            illustrative=illustrative,
        )
        record.full_clean()
        record.save()
    return record


PROGRAMME_FIELDS = frozenset(
    f.name
    for f in Programme._meta.concrete_fields
    if f.editable and f.name not in {"id", "created_at", "updated_at"}
)
# What each rule of a programme must give.
PROGRAMME_RULES = {"criteria": expressions.Type.BOOLEAN, "formula": expressions.Type.NUMBER}


def _parameter_nodes(node: expressions.Node):
    if node.kind == "param":
        yield node
    for arg in node.args:
        yield from _parameter_nodes(arg)


def rule_check(
    text: str, *, level: str, field: str, municipality_id: int | None, on: date | None
) -> str | None:
    """The first fault of one rule of a programme (`field`: criteria or formula) at a level, as
    the save would report it, or None if it is valid: for checking while the officer types."""
    programme = Programme(level=level, municipality_id=municipality_id, **{field: text})
    return _rule_errors(programme, on, skip=set(PROGRAMME_RULES) - {field}).get(field)


def _figure(number: float) -> str:
    return f"{number:,.0f}" if number < 1e18 else f"{number:.2e}"


def _check_amount(rule: expressions.Rule, municipality_id: int | None) -> None:
    """A formula whose amount could be more than a decision can hold, for attributes within
    their published bounds and parameters within the values they have had, is refused. (What
    cannot be bounded, a division by a fraction near zero, is left to the run's guard.)"""
    interval = expressions.bounds(
        rule, attributes.attribute_bounds(), parameter_bounds(municipality_id=municipality_id)
    )
    if interval is not None and interval.high > LARGEST_AMOUNT:
        raise expressions.positioned_error(
            rule.text,
            rule.node.start,
            _(
                "The formula at %(at)s can give %(bound)s GEL a month, more than a decision can "
                "hold (%(limit)s); check its numbers"
            ),
            bound=_figure(interval.high),
            limit=f"{LARGEST_AMOUNT:,}",
        )


def _rule_errors(programme: Programme, on: date | None, skip: set[str]) -> dict[str, str]:
    """Check the programme's rules: syntax and types against the attribute catalogue at the
    programme's level, parameters that exist (the state's and its municipality's), and, given a
    date, that each parameter read has a value on it. The first fault of each rule, with where."""
    municipality_id = programme.municipality_id
    schema = attributes.schema(parameter_codes(municipality_id=municipality_id))
    values = parameters_on(on=on, municipality_id=municipality_id) if on else None
    errors = {}
    for field, result in PROGRAMME_RULES.items():
        if field in skip:
            continue
        text = getattr(programme, field)
        try:
            rule = expressions.validate(text, schema, level=programme.level, result=result)
            expressions.check_numbers(rule, text, LARGEST_NUMBER)
            if field == "formula":
                _check_amount(rule, municipality_id)
        except expressions.ExpressionError as error:
            errors[field] = str(error)
            continue
        if values is None:
            continue
        for node in sorted(_parameter_nodes(rule.node), key=lambda n: n.at):
            if node.value not in values:
                # The rule language's own position wording ("column 5", "line 2, column 3").
                error = expressions.positioned_error(
                    text,
                    node.at,
                    _('Parameter "%(name)s" at %(at)s has no value on %(date)s'),
                    name=f"param.{node.value}",
                    date=on.isoformat(),
                )
                errors[field] = str(error)
                break
    return errors


def _health_errors(actor, programme: Programme, skip: set[str]) -> dict[str, list[str]]:
    """Rules that read health data (special category) are written only by roles that may see
    it: a programme's decisions say what its rules read, so an officer without HEALTH_VIEW
    would learn each person's disability from their own programme's decisions (issue 9)."""
    if permissions.sees_health(actor):
        return {}
    return {
        field: [
            _(
                "This rule reads health data (disability); only roles with access to health "
                "data write such rules."
            )
        ]
        for field in PROGRAMME_RULES
        if field not in skip and rules_read_health(getattr(programme, field))
    }


@transaction.atomic
def programme_save(
    *, actor, programme: Programme | None, data: dict, on: date | None = None
) -> Programme:
    """Create a programme (`programme=None`) or change one with `data` (field name → value).

    The state's programmes are defined by administrators, a municipality's by its officers
    (moving a programme needs the right over both places). The criteria must be a yes/no rule
    and the formula a number rule, both valid at the programme's level; every parameter they
    read must exist for the programme and have a value on `on` (default: when the programme
    starts), so the rules can be evaluated from their first day.
    """
    permissions.require(actor, permissions.PROGRAMMES_DEFINE)
    with acting_as(actor):
        if programme is None:
            programme = Programme()
        else:
            programme = Programme.objects.select_for_update().get(pk=programme.pk)
            _require_define(actor, programme.municipality_id)
        unknown = set(data) - PROGRAMME_FIELDS
        if unknown:
            raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
        for name, value in data.items():
            setattr(programme, name, value)
        _require_define(actor, programme.municipality_id)
        for field in PROGRAMME_RULES:
            if isinstance(text := getattr(programme, field), str):
                setattr(programme, field, text.strip())
        errors: dict[str, list[str]] = {}
        try:
            programme.full_clean()
        except ValidationError as error:
            errors = dict(error.message_dict)
        if "level" not in errors:
            rule_errors = _rule_errors(programme, on or programme.valid_from, set(errors))
            errors.update({field: [message] for field, message in rule_errors.items()})
            errors.update(_health_errors(actor, programme, set(errors)))
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                programme.save()
        except IntegrityError as exc:
            raise ValidationError(_("This record conflicts with one already stored.")) from exc
    return programme


def _parameters_read(compiled) -> set[str]:
    """The parameters a programme's rules read, and those the derived ones among them read."""
    read = expressions.dependencies(compiled.programme.criteria) | expressions.dependencies(
        compiled.programme.formula
    )
    pending = list(read)
    while pending:
        version = compiled.versions.get(pending.pop())
        if version is not None and version.formula:
            more = expressions.dependencies(version.formula) - read
            read |= more
            pending.extend(more)
    return read


def rule_set(compiled) -> RuleSet:
    """The stored record of the rules a compiled programme decides by: its criteria, formula
    and the parameters they read, each with its value and the version it came from. Made once
    per distinct set, and shared by every decision made under it."""
    programme = compiled.programme
    parameters = {
        code: {
            "value": f"{compiled.params[code]}",
            "valid_from": version.valid_from.isoformat(),
            "formula": version.formula,
            "source": version.source,
            "illustrative": version.illustrative,
        }
        for code in sorted(_parameters_read(compiled))
        if (version := compiled.versions.get(code)) is not None and code in compiled.params
    }
    fields = {
        "criteria": programme.criteria,
        "formula": programme.formula,
        "parameters": parameters,
    }
    text = json.dumps({"programme": programme.pk, **fields}, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).hexdigest()
    found, _created = RuleSet.objects.get_or_create(
        digest=digest, defaults={"programme": programme, **fields}
    )
    return found


@transaction.atomic
def decision_record(*, result, household_id: int, on: date, application_id: int) -> Decision:
    """Store an application's decision (`result`, the applicant's `engine.Result` on `on`) as
    the beneficiary's decision for the month of `on`, the basis of their entitlement. It takes
    the place of a row of the same month, ends the one in force before it the month before,
    covers the months up to the beneficiary's next stored decision and carries the
    enrolment on. Serialised with runs by the programme's row, which they lock too."""
    compiled = result.compiled
    Programme.objects.select_for_update().get(pk=compiled.id)
    month = on.replace(day=1)
    rows = of_beneficiary(
        Decision.objects.select_for_update().filter(programme_id=compiled.id),
        household_id=household_id,
        person_id=result.person_id,
    )
    current = in_force(rows, month).first()
    later = rows.filter(period__gt=month).order_by("period").first()
    until = (
        current.until if current else (later.period - relativedelta(months=1) if later else None)
    )
    fields = {
        "status": result.status,
        "reason": result.reason,
        "amount": result.amount,
        "missing": list(result.missing),
        "run": None,
        "application_id": application_id,
        "rules": rule_set(compiled),
        "household_id": household_id,
    }
    # Written by id and month, so that only the month's partition is read (PostgreSQL).
    row = Decision.objects.filter(pk=current.pk, period=current.period) if current else None
    if current is not None and current.period == month:
        for name, value in fields.items():
            setattr(current, name, value)
        row.update(**fields)
        return current
    if current is not None:
        current.until = month - relativedelta(months=1)
        row.update(until=current.until)
    return Decision.objects.create(
        programme_id=compiled.id,
        person_id=result.person_id,
        period=month,
        until=until,
        enrolment_id=current.enrolment_id if current else None,
        **fields,
    )


def decisions_enrol(*, enrolment) -> int:
    """Link the beneficiary's decisions from the month the enrolment starts on (the one in force
    then and any later) to it: each run carries the link on to the next decision."""
    month = enrolment.starts.replace(day=1)
    rows = of_beneficiary(
        Decision.objects.filter(programme_id=enrolment.programme_id),
        household_id=enrolment.household_id,
        person_id=enrolment.person_id,
    )
    return rows.filter(Q(until__isnull=True) | Q(until__gte=month)).update(
        enrolment_id=enrolment.pk
    )
