"""Reads for eligibility: the programmes in force on a date, compiled, and one household's
decisions with their explanation (a stored household, or one given as data and never saved)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from zrunva.accounts.permissions import HEALTH_FIELDS
from zrunva.assessment.selectors import latest_scores
from zrunva.core.kept import Kept
from zrunva.core.validators import FIRST_LIFE_DAY, day_in_range
from zrunva.geo.models import Municipality
from zrunva.programmes import engine, expressions
from zrunva.programmes.choices import DecisionReason, DecisionStatus
from zrunva.programmes.models import Programme
from zrunva.programmes.selectors import parameter_versions, resolved
from zrunva.registry.columns import (
    HOUSEHOLD_COLUMNS,
    PERSON_COLUMNS,
    RegistryFrames,
    registry_frames,
)


def check_date(on: date, field: str = "on") -> None:
    """Evaluation dates from Georgia's independence to 2100 (`core.validators.day_in_range`),
    the error named by `field`."""
    try:
        day_in_range(on)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error


def programmes_in_force(*, on: date, municipality_id: int | None = None) -> list[Programme]:
    """Active programmes valid on `on`: the state's, and the municipalities' own (only the one
    given, or all of them when None: a national run evaluates every council's programme for
    its own households)."""
    qs = Programme.objects.filter(is_active=True, valid_from__lte=on).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=on)
    )
    if municipality_id is not None:
        qs = qs.filter(Q(municipality__isnull=True) | Q(municipality_id=municipality_id))
    return list(qs.select_related("municipality").order_by("municipality_id", "code"))


def programmes_not_in_force(*, on: date, municipality_id: int | None) -> list[Programme]:
    """Active programmes of the state (and of the municipality given) that are not in force on
    `on`: not started yet, or ended."""
    qs = Programme.objects.filter(is_active=True).filter(
        Q(valid_from__gt=on) | Q(valid_until__lt=on)
    )
    place = Q(municipality__isnull=True)
    if municipality_id is not None:
        place |= Q(municipality_id=municipality_id)
    return list(qs.filter(place).select_related("municipality").order_by("code"))


def _with_not_in_force(
    results: list[engine.Result],
    *,
    on: date,
    municipality_id: int | None,
    absent: list[Programme] | None = None,
) -> list[engine.Result]:
    """The results, then every programme of the place that is not in force on the date (read
    here unless given), said so rather than left out (a household asked about before a
    programme existed learns that)."""
    if absent is None:
        absent = programmes_not_in_force(on=on, municipality_id=municipality_id)
    return results + [
        engine.Result(
            engine.Compiled(
                id=programme.pk,
                code=programme.code,
                level=programme.level,
                municipality=programme.municipality.code if programme.municipality else None,
                criteria=None,
                formula=None,
                params={},
                programme=programme,
            ),
            DecisionStatus.NOT_IN_FORCE,
            DecisionReason.NOT_IN_FORCE,
            None,
            [],
            None,
            None,
        )
        for programme in absent
    ]


def compiled_programmes(
    *, on: date, municipality_id: int | None = None, skipped: list[dict] | None = None
) -> list[engine.Compiled]:
    """The programmes in force, with their rules checked and their parameters' values on `on`.
    A rule that no longer checks (a parameter without a value on the date) is refused with the
    programme and position named, rather than deciding anything on a guess. Given `skipped`, a
    municipality's programme that cannot be evaluated is left out and noted there instead (code,
    municipality, why): one council's programme never stops a run over other places."""
    versions = parameter_versions(on=on)
    values: dict[int | None, dict] = {}  # worked out once per place, not once per programme
    compiled = []
    for programme in programmes_in_force(on=on, municipality_id=municipality_id):
        own = dict(versions[None])
        if programme.municipality_id is not None:
            own |= versions[programme.municipality_id]
        if programme.municipality_id not in values:
            values[programme.municipality_id] = resolved(own)
        params = values[programme.municipality_id]
        try:
            compiled.append(
                engine.compile_rules(
                    id=programme.pk,
                    code=programme.code,
                    level=programme.level,
                    criteria=programme.criteria,
                    formula=programme.formula,
                    params=params,
                    municipality=programme.municipality.code if programme.municipality else None,
                    versions=own,
                    programme=programme,
                )
            )
        except expressions.ExpressionError as error:
            if skipped is not None and programme.municipality_id is not None:
                skipped.append(
                    {
                        "code": programme.code,
                        "municipality": programme.municipality.code,
                        "error": str(error),
                    }
                )
                continue
            raise ValidationError(
                _("Programme %(code)s cannot be evaluated on %(date)s: %(error)s"),
                params={"code": programme.code, "date": on.isoformat(), "error": error},
            ) from error
    return compiled


def household_explanation(
    *, household, on: date, programme_id: int | None = None
) -> list[engine.Result]:
    """Every programme (or the one given) for a stored household on a date, explained. The
    caller has read the household through the registry's selectors, which check scope and
    audit the read."""
    check_date(on)
    registry = registry_frames(on=on, household_ids=[household.pk])
    if registry.households.is_empty():
        raise ValidationError(_("The household is closed; closed households are not evaluated."))
    scores = latest_scores(on=on, household_ids=[household.pk])
    households, people = engine.attribute_frames(registry, scores, on=on)
    programmes = compiled_programmes(on=on, municipality_id=household.municipality_id)
    if programme_id is not None:
        programmes = [p for p in programmes if p.id == programme_id]
    results = engine.explain(households, people, programmes)
    results = _with_not_in_force(results, on=on, municipality_id=household.municipality_id)
    return [r for r in results if programme_id is None or r.compiled.id == programme_id]


def data_frames(household: Mapping, members: Iterable[Mapping], *, on: date) -> RegistryFrames:
    """A household given as data, in the registry's columns: `household` with `municipality`
    (a code) and optionally `is_highland` and the asset fields; each member with `birth_date`
    and optionally `sex`, `disability_degree`, `is_idp`, `pension_kind`, `income`. What is not
    given is null, so a rule that reads it decides "needs data"."""
    check_date(on)
    code = household.get("municipality")
    municipality = Municipality.objects.filter(code=code).first() if code else None
    if code and municipality is None:
        raise ValidationError({"municipality": _("Unknown municipality code.")})
    hh = {name: household.get(name) for name in HOUSEHOLD_COLUMNS}
    hh |= {"id": 0, "municipality_id": municipality.pk if municipality else None}
    members = list(members)
    if not members:
        raise ValidationError(
            {"members": _("Give at least one member: the programmes' rules read the members.")}
        )
    rows = []
    for index, member in enumerate(members):
        if not isinstance(member.get("birth_date"), date):
            raise ValidationError({f"members.{index}.birth_date": _("Give the birth date.")})
        if member["birth_date"] < FIRST_LIFE_DAY:
            raise ValidationError(
                {
                    f"members.{index}.birth_date": _("Give a birth date from %(first)s on.")
                    % {"first": FIRST_LIFE_DAY.isoformat()}
                }
            )
        if member["birth_date"] > on:
            raise ValidationError(
                {f"members.{index}.birth_date": _("The birth date is after the evaluation date.")}
            )
        row = {name: member.get(name) for name in PERSON_COLUMNS}
        rows.append(row | {"id": index + 1, "household_id": 0})
    return RegistryFrames(
        pl.DataFrame([hh], schema=HOUSEHOLD_COLUMNS, strict=False),
        pl.DataFrame(rows, schema=PERSON_COLUMNS, strict=False),
    )


def data_explanation(
    *,
    household: Mapping,
    members: Iterable[Mapping],
    on: date,
    rating_score: float | None,
    changes: bool = True,
) -> list[engine.Result]:
    """Every programme for a household given as data and never saved (the public rights
    screener, policy simulation): the same frames and rules as for a stored household. Without
    `changes`, refusals come without the nearest changes that would qualify."""
    registry = data_frames(household, members, on=on)
    scores = pl.DataFrame(
        {"household_id": [0], "rating_score": [rating_score]},
        schema={"household_id": pl.Int64, "rating_score": pl.Float64},
    )
    households, people = engine.attribute_frames(registry, scores, on=on)
    municipality_id = registry.households["municipality_id"][0]
    programmes, absent = place_programmes(on=on, municipality_id=municipality_id)
    results = engine.explain(households, people, programmes, changes=changes)
    return _with_not_in_force(results, on=on, municipality_id=municipality_id, absent=absent)


# The programmes of a place, compiled, read once per process and version of the rules
# (connected in apps.py): the screener decides one household given as data at a time, and
# reading and compiling them took a tenth of its answer.
RULES = Kept("programmes-rules", size=256)


def place_programmes(
    *, on: date, municipality_id: int | None
) -> tuple[list[engine.Compiled], list[Programme]]:
    """For a household given as data: the programmes in force in the place on `on`, compiled
    (a council's that cannot be evaluated left out), and those not in force. With no place
    given, the state's only: no council's can stop them. Shared: not to be changed."""

    def read():
        compiled = compiled_programmes(on=on, municipality_id=municipality_id, skipped=[])
        if municipality_id is None:
            compiled = [p for p in compiled if p.municipality is None]
        return compiled, programmes_not_in_force(on=on, municipality_id=municipality_id)

    return RULES.get((on, municipality_id), read)


def rules_read_health(*texts: str) -> bool:
    """Whether any of these rule texts reads a special-category (health) attribute."""
    health = {f"{level}.{name}" for level in ("person", "member") for name in HEALTH_FIELDS}
    return any(
        f"{node.op}.{node.value}" in health
        for text in texts
        for node in expressions.walk(expressions.parse(text))
        if node.kind == "attr"
    )


def reads_health(compiled: engine.Compiled) -> bool:
    """Whether a programme's rules read special-category (health) attributes: its decisions
    then say something about a person's health."""
    if compiled.criteria is None:  # not in force on the date: its stored rules
        return rules_read_health(compiled.programme.criteria, compiled.programme.formula)
    return rules_read_health(compiled.criteria.text, compiled.formula.text)


def health_programme_ids() -> list[int]:
    return [
        pk
        for pk, criteria, formula in Programme.objects.values_list("pk", "criteria", "formula")
        if rules_read_health(criteria, formula)
    ]


@dataclass
class Group:
    """One programme's results for a household: one, or one per member."""

    compiled: engine.Compiled
    results: list[tuple[object, engine.Result]]  # (person or None, result)

    @property
    def eligible(self) -> list[engine.Result]:
        return [r for _person, r in self.results if r.status == DecisionStatus.ELIGIBLE]

    @property
    def total(self) -> float:
        return round(sum(r.amount or 0 for r in self.eligible), 2)


def group_results(results: Iterable[engine.Result], people: Mapping[int, object]) -> list[Group]:
    groups: dict[int, Group] = {}
    for result in results:
        group = groups.setdefault(result.compiled.id, Group(result.compiled, []))
        group.results.append((people.get(result.person_id), result))
    return list(groups.values())
