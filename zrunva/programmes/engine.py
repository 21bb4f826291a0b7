"""Eligibility: every programme's rules over the registry's columns, to decisions.

One path for all: a run over the whole registry, a municipality's run, and one household's
explanation (stored or given as data) all build the same attribute frames and decide from the
rules' values with the same codes (`_decisions`); `decide` for many households, `explain` for one.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from zrunva.core.frames import Grouping
from zrunva.core.money import AMOUNT, tetri
from zrunva.programmes import attributes, expressions
from zrunva.programmes.choices import DecisionReason, DecisionStatus, ProgrammeLevel
from zrunva.programmes.expressions import Evaluator, Rule, Type
from zrunva.programmes.validators import LARGEST_AMOUNT
from zrunva.registry.columns import RegistryFrames, ages_on

ADULT_AGE = 18

# Status and reason as enums: millions of rows hold a few codes each.
STATUS = pl.Enum(DecisionStatus.values)
REASON = pl.Enum(DecisionReason.values)
DECISION_SCHEMA: dict[str, pl.DataType] = {
    "programme_id": pl.Int64,
    "household_id": pl.Int64,
    "person_id": pl.Int64,
    "status": STATUS,
    "reason": REASON,
    "amount": AMOUNT,  # exact from here on: `core.money`
    "missing": pl.List(pl.String),  # null when nothing is missing
}


def attribute_frames(
    registry: RegistryFrames, scores: pl.DataFrame, *, on: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The attributes of the rule catalogue (`attributes.py`) for every household and current
    member: the registry's columns on `on` and each household's latest rating score (`scores`:
    `household_id`, `rating_score`; households never assessed get none, so rules reading the
    score decide "needs data"). Row for row the registry's frames, so `registry.members` holds
    for them too."""
    age = pl.lit(ages_on(registry.people["birth_date"], on))
    people = registry.people.select(
        "id",
        "household_id",
        age=age,
        is_child=age < ADULT_AGE,
        sex=pl.col("sex"),
        disability_degree=pl.col("disability_degree"),
        is_idp=pl.col("is_idp"),
        pension_kind=pl.col("pension_kind"),
        monthly_income=pl.col("income"),
    )
    hh, members = registry.households, registry.members
    score = Grouping.of(scores["household_id"], hh["id"]).gather(scores["rating_score"])
    households = hh.select(
        "id",
        "municipality",
        "is_highland",
        "monthly_utility_spending",
        "agricultural_land_ha",
        "cattle",
        "cars",
        size=pl.lit(pl.Series(members.count())),
        is_idp_household=pl.lit(pl.Series(members.count(people["is_idp"]) > 0)),
        rating_score=pl.lit(score.cast(pl.Float64)),
    )
    return households, people


@dataclass
class Compiled:
    """A programme ready to evaluate on a date: its checked rules and the parameter values they
    read then (`versions`: code → the ParameterValue in force, for explanations)."""

    id: int
    code: str
    level: str
    municipality: str | None  # code; None for a state programme
    criteria: Rule
    formula: Rule
    params: dict[str, Any]
    versions: dict[str, Any] = field(default_factory=dict)
    programme: Any = None
    # What is worked out from the rules and parameters alone (their sentences in a language,
    # their Polars expressions), kept with them: compiled programmes are kept per process while
    # the rules stand (`eligibility.RULES`).
    memo: dict = field(default_factory=dict, compare=False, repr=False)


def compile_rules(
    *,
    id: int,
    code: str,
    level: str,
    criteria: str,
    formula: str,
    params: Mapping[str, Any],
    municipality: str | None = None,
    versions: Mapping[str, Any] | None = None,
    programme=None,
) -> Compiled:
    """Parse and check a programme's two rules against the catalogue and the parameters given
    (raises `ExpressionError` naming the position, as on save)."""
    schema = attributes.schema(params)
    return Compiled(
        id=id,
        code=code,
        level=level,
        municipality=municipality,
        criteria=expressions.validate(criteria, schema, level=level, result=Type.BOOLEAN),
        formula=expressions.validate(formula, schema, level=level, result=Type.NUMBER),
        params=dict(params),
        versions=dict(versions or {}),
        programme=programme,
    )


def _population(
    households: pl.DataFrame, people: pl.DataFrame, compiled: Compiled
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A municipal programme is evaluated for its municipality's households only."""
    households = households.filter(pl.col("municipality") == compiled.municipality)
    return households, people.filter(pl.col("household_id").is_in(households["id"].implode()))


def _missing(
    households: pl.DataFrame, people: pl.DataFrame, compiled: Compiled, undecided: pl.DataFrame
) -> pl.DataFrame:
    """For the undecided rows only (few): the attributes each lacks, from the criteria if those
    could not be decided, else from the formula. Columns: the row key, `missing`."""
    person = compiled.level == ProgrammeLevel.PERSON
    key = "person_id" if person else "household_id"
    ids = undecided[key].implode()
    if person:
        people = people.filter(pl.col("id").is_in(ids))
        households = households.filter(pl.col("id").is_in(people["household_id"].implode()))
        rows = people.select(pl.col("id").alias(key))
    else:
        households = households.filter(pl.col("id").is_in(ids))
        people = people.filter(pl.col("household_id").is_in(ids))
        rows = households.select(pl.col("id").alias(key))
    evaluator = Evaluator(households, people, compiled.criteria.schema)
    found = rows.with_columns(
        criteria=evaluator.missing(compiled.criteria), formula=evaluator.missing(compiled.formula)
    )
    return undecided.join(found, on=key, how="left").select(
        key,
        missing=pl.when(pl.col("criteria_null"))
        .then(pl.col("criteria"))
        .otherwise(pl.col("formula")),
    )


def _evaluate(households, people, compiled: Compiled, evaluator: Evaluator | None):
    """The programme's population and its two rules' values per beneficiary, as a plan."""
    if compiled.municipality is not None:
        households, people = _population(households, people, compiled)
        evaluator = Evaluator(households, people, compiled.criteria.schema)
    elif evaluator is None:
        evaluator = Evaluator(households, people, compiled.criteria.schema)
    rules = {"criteria": compiled.criteria, "formula": compiled.formula}
    if compiled.level == ProgrammeLevel.PERSON:
        values = evaluator.people(rules, compiled.params, lazy=True)
    else:
        values = evaluator.households(rules, compiled.params, lazy=True)
    return households, people, _beneficiaries(values, compiled)


def _beneficiaries(values: pl.LazyFrame, compiled: Compiled) -> pl.LazyFrame:
    """The evaluator's rule values keyed by beneficiary, as `_decisions` reads them."""
    if compiled.level == ProgrammeLevel.PERSON:
        return values.rename({"id": "person_id"})
    return values.select(
        household_id="id",
        person_id=pl.lit(None, dtype=pl.Int64),
        criteria="criteria",
        formula="formula",
    )


def _decisions(values: pl.LazyFrame, programme_id: pl.Expr) -> pl.LazyFrame:
    criteria, formula = pl.col("criteria"), pl.col("formula")
    unknown = criteria.is_null() | (criteria & formula.is_null())
    # An amount no decision can hold (infinite, NaN, or beyond the amount column) is this
    # beneficiary's error for this programme alone: never stored, never paid, and the run
    # goes on for everyone else.
    out_of_range = (
        criteria.fill_null(False)
        & formula.is_not_null()
        & (~formula.is_finite() | (formula.abs() > float(LARGEST_AMOUNT)))
    )
    # A benefit pays something: criteria met with nothing to pay is not an award.
    amount = tetri(formula)
    awarded = criteria & (amount > 0) & ~out_of_range
    return values.select(
        programme_id=programme_id,
        household_id="household_id",
        person_id="person_id",
        status=pl.when(unknown)
        .then(pl.lit(DecisionStatus.NEEDS_DATA.value, dtype=STATUS))
        .when(out_of_range)
        .then(pl.lit(DecisionStatus.ERROR.value, dtype=STATUS))
        .when(awarded)
        .then(pl.lit(DecisionStatus.ELIGIBLE.value, dtype=STATUS))
        .otherwise(pl.lit(DecisionStatus.NOT_ELIGIBLE.value, dtype=STATUS)),
        reason=pl.when(unknown)
        .then(pl.lit(DecisionReason.MISSING_DATA.value, dtype=REASON))
        .when(out_of_range)
        .then(pl.lit(DecisionReason.AMOUNT_OUT_OF_RANGE.value, dtype=REASON))
        .when(awarded)
        .then(pl.lit(DecisionReason.CRITERIA_MET.value, dtype=REASON))
        .when(criteria)
        .then(pl.lit(DecisionReason.NO_AMOUNT.value, dtype=REASON))
        .otherwise(pl.lit(DecisionReason.CRITERIA_NOT_MET.value, dtype=REASON)),
        amount=pl.when(awarded).then(amount),
        criteria_null=criteria.is_null(),
        unknown=unknown,
    )


def _with_missing(decided: pl.DataFrame, households, people, compiled: Compiled) -> pl.DataFrame:
    """The attributes each undecided beneficiary lacks (null for everyone else)."""
    if not decided["unknown"].any():
        return decided.select(
            *list(DECISION_SCHEMA)[:-1], missing=pl.lit(None, dtype=pl.List(pl.String))
        )
    key = "person_id" if compiled.level == ProgrammeLevel.PERSON else "household_id"
    undecided = decided.filter(pl.col("unknown")).select(key, "criteria_null")
    found = _missing(households, people, compiled, undecided)
    decided = decided.join(found, on=key, how="left", maintain_order="left")
    return decided.select(list(DECISION_SCHEMA))


def decide(
    households: pl.DataFrame,
    people: pl.DataFrame,
    programmes: Iterable[Compiled],
    members: Grouping | None = None,
) -> pl.DataFrame:
    """Every programme's decision for every beneficiary: one row per household (household
    programmes) or current member (person programmes), with status, reason code, amount (GEL a
    month, to the tetri; null unless eligible) and, when data is missing, the attributes.
    `members`, if known (`RegistryFrames.members`), saves finding each person's household."""
    programmes = list(programmes)
    if not programmes:
        return pl.DataFrame(schema=DECISION_SCHEMA)
    if (households["size"] == 0).any():
        # A household with no current member is nobody's to pay; its frame rows go, so the
        # members' household rows must be found again.
        households, members = households.filter(pl.col("size") > 0), None
    # One evaluator for every state programme: the members' household rows are found once.
    shared = Evaluator(households, people, programmes[0].criteria.schema, members)
    evaluated = [_evaluate(households, people, c, shared) for c in programmes]
    # All programmes in one go: Polars runs the plans side by side.
    decided = pl.collect_all(
        [
            _decisions(values, pl.lit(c.id, dtype=pl.Int64))
            for (_h, _p, values), c in zip(evaluated, programmes, strict=True)
        ]
    )
    parts = [
        _with_missing(frame, h, p, c)
        for frame, (h, p, _v), c in zip(decided, evaluated, programmes, strict=True)
    ]
    return pl.concat(parts, how="vertical")


# -- One household, explained ---------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A single change of one attribute that would make the criteria hold."""

    attribute: attributes.Attribute
    current: Any
    needed: Any


def _records(households: pl.DataFrame, people: pl.DataFrame) -> tuple[dict, list[dict]]:
    household = households.row(0, named=True)
    members = people.filter(pl.col("household_id") == household["id"]).to_dicts()
    return household, members


def _boundary(op: str, value: float, step: float, attribute_left: bool) -> float | None:
    """The value nearest `value` that satisfies `attribute op value` (mirrored if the
    attribute is on the right)."""
    if not attribute_left:
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
    return {
        "<": value - step,
        "<=": value,
        ">": value + step,
        ">=": value,
        "==": value,
    }.get(op)


def _step(*values) -> float:
    """Whole units for whole-number quantities (scores, ages, counts), else one tetri."""
    return 1.0 if all(float(v).is_integer() for v in values) else 0.01


def _catalogue_entry(scope: str, name: str) -> attributes.Attribute:
    return attributes.ATTRIBUTES[f"{'household' if scope == 'household' else 'person'}.{name}"]


def _catalogue(attr: expressions.Node) -> attributes.Attribute:
    return _catalogue_entry(attr.op, attr.value)


def nearest_changes(
    compiled: Compiled,
    household: dict,
    members: list[dict],
    explanation: expressions.Explanation,
    member: int | None = None,
) -> list[Change]:
    """Each single change to one of the beneficiary's own attributes (a household attribute for
    a household programme; the person's or their household's for a person programme) that
    would make the criteria hold, from the thresholds the criteria compare against and the other
    values of yes/no and text attributes; per-member aggregations are not varied."""
    rule = compiled.criteria
    candidates: dict[tuple[str, str], list[Any]] = {}

    def add(scope: str, name: str, value: Any):
        if _catalogue_entry(scope, name).fixed:
            return
        candidates.setdefault((scope, name), [])
        if value not in candidates[(scope, name)]:
            candidates[(scope, name)].append(value)

    def at(exp: expressions.Explanation) -> Any:
        return exp.value[member] if exp.per_member and member is not None else exp.value

    def reads(node: expressions.Node, attr: expressions.Node) -> bool:
        return (
            node.kind == "attr"
            and (node.op, node.value) == (attr.op, attr.value)
            or any(reads(arg, attr) for arg in node.args)
        )

    def walk(node: expressions.Node, exp: expressions.Explanation):
        if node.kind == "agg":
            return
        if node.kind == "binary" and node.op in expressions.COMPARISONS:
            for side, other, left in ((0, 1, True), (1, 0, False)):
                attr, bound = node.args[side], exp.children[other]
                if attr.kind != "attr" or reads(node.args[other], attr):
                    continue
                if attr.type == Type.NUMBER and (limit := at(bound)) is not None:
                    current = at(exp.children[side])
                    step = _step(limit, current if current is not None else limit)
                    if (value := _boundary(node.op, float(limit), step, left)) is not None:
                        add(attr.op, attr.value, value)
                elif attr.type == Type.TEXT:
                    # A closed set is tried in its own order (the degrees ascend), so the
                    # nearest value comes first; else the value compared with.
                    for value in _catalogue(attr).values or [at(bound)]:
                        if value is not None:
                            add(attr.op, attr.value, value)
        if node.kind == "attr" and node.type == Type.BOOLEAN:
            add(node.op, node.value, True)
            add(node.op, node.value, False)
        for child, child_exp in zip(node.args, exp.children, strict=True):
            walk(child, child_exp)

    walk(rule.node, explanation)
    changes = []
    for (scope, name), values in candidates.items():
        person_scope = scope in ("person", "member")
        if person_scope and member is None:
            continue
        record = members[member] if person_scope else household
        current = record.get(name)
        for value in values:
            if value == current:
                continue
            changed_household, changed_members = household, members
            if person_scope:
                changed_members = [dict(m) for m in members]
                changed_members[member][name] = value
            else:
                changed_household = {**household, name: value}
            result = expressions.evaluate_one(
                rule, changed_household, changed_members, compiled.params
            )
            if result[member] if member is not None else result:
                changes.append(Change(_catalogue_entry(scope, name), current, value))
                break
    return changes


@dataclass
class Result:
    """One programme's decision for one beneficiary, with the why."""

    compiled: Compiled
    status: str
    reason: str
    amount: float | None
    missing: list[str]
    criteria: expressions.Explanation
    formula: expressions.Explanation
    member: int | None = None  # index into the members, for a person programme
    person_id: int | None = None
    changes: list[Change] = field(default_factory=list)


def _member_view(exp: expressions.Explanation, member: int) -> expressions.Explanation:
    """The tree with each per-member value narrowed to one member's."""
    value = exp.value[member] if exp.per_member else exp.value
    return expressions.Explanation(
        exp.text, exp.kind, value, False, [_member_view(c, member) for c in exp.children]
    )


def _explainable(compiled: Compiled) -> expressions.Explainable:
    """The programme's rules compiled for explaining, once per compiled programme: kept with
    the compiled programmes (`eligibility.RULES`), they serve every answer of the screener."""
    if "explainable" not in compiled.memo:
        rules = {"criteria": compiled.criteria, "formula": compiled.formula}
        prefix = f"{compiled.id}:"  # one programme's aggregations apart from another's
        compiled.memo["explainable"] = expressions.explainable(rules, compiled.params, prefix)
    return compiled.memo["explainable"]


def explain(
    households: pl.DataFrame,
    people: pl.DataFrame,
    programmes: Iterable[Compiled],
    *,
    changes: bool = True,
) -> list[Result]:
    """Every programme for the one household in the frames: the decision, made as `decide`
    makes it (the same frames, rule values and codes), and the value of every part of each rule,
    per member for person programmes, all from one evaluation. `changes=False` skips the
    nearest changes (the screener shows none)."""
    household, members = _records(households, people)
    # One household: a municipal programme's population is all of it or none, so every
    # programme is evaluated on the same frames, in one go.
    programmes = [
        c
        for c in programmes
        if c.municipality is None or c.municipality == household["municipality"]
    ]
    if not programmes or household["size"] == 0:  # nobody's to pay, as in `decide`
        return []
    by_id = {c.id: c for c in programmes}
    if len(by_id) < len(programmes):  # their decisions are told apart by programme id
        raise ValueError("A programme is given twice")
    evaluator = Evaluator(households, people, programmes[0].criteria.schema)
    explained = evaluator.explained([_explainable(c) for c in programmes])
    rules_of = {
        c.id: (r["criteria"], r["formula"]) for c, r in zip(programmes, explained, strict=True)
    }
    # The rules' values are their trees' roots: the decisions are made from them in one small
    # frame, by the codes `decide` uses.
    person_ids = people["id"].to_list()
    rows = []
    for c, rules in zip(programmes, explained, strict=True):
        crit, form = rules["criteria"][0].value, rules["formula"][0].value
        if c.level == ProgrammeLevel.PERSON:
            rows.extend(zip([c.id] * len(person_ids), person_ids, crit, form, strict=True))
        else:
            rows.append((c.id, None, crit, form))
    values = pl.DataFrame(
        rows,
        schema={
            "programme_id": pl.Int64,
            "person_id": pl.Int64,
            "criteria": pl.Boolean,
            "formula": pl.Float64,
        },
        orient="row",
    ).with_columns(household_id=pl.lit(household["id"], dtype=pl.Int64))
    decided = _decisions(values.lazy(), pl.col("programme_id")).collect().to_dicts()
    index = {m["id"]: i for i, m in enumerate(members)}
    results = []
    for row in decided:
        compiled = by_id[row["programme_id"]]
        (crit, crit_missing), (form, form_missing) = rules_of[compiled.id]
        i = index[row["person_id"]] if compiled.level == ProgrammeLevel.PERSON else None
        # What an undecided beneficiary lacks, as `_missing` says it: the criteria's attributes
        # if they could not be decided, else the formula's.
        missing = []
        if row["unknown"]:
            missing = crit_missing if row["criteria_null"] else form_missing
            missing = missing[i] if i is not None else missing
        result = Result(
            compiled,
            row["status"],
            row["reason"],
            row["amount"],
            missing,
            crit if i is None else _member_view(crit, i),
            form if i is None else _member_view(form, i),
            member=i,
            person_id=row["person_id"],
        )
        if changes and result.status == DecisionStatus.NOT_ELIGIBLE:
            result.changes = nearest_changes(compiled, household, members, crit, i)
        results.append(result)
    return results
