"""The rule language: grammar, refusals with their exact messages, nulls, and bulk = single."""

import inspect
import re
import sys
from datetime import date

import numpy as np
import polars as pl
import pytest

from zrunva.programmes import expressions
from zrunva.programmes.expressions import (
    Evaluator,
    ExpressionError,
    Schema,
    check_cycles,
    dependencies,
    evaluate_one,
    explain,
    validate,
)

SCHEMA = Schema(
    household={
        "rating_score": "number",
        "size": "number",
        "region": "text",
        "has_gas": "boolean",
        "registered_on": "date",
    },
    person={"age": "number", "disability": "text", "is_idp": "boolean", "income": "number"},
    params={
        "tsa_threshold_1": "number",
        "child_benefit": "number",
        "pension_70": "number",
        "pension_under_70": "number",
        "scheme_start": "date",
        "region_name": "text",
    },
)
PARAMS = {
    "tsa_threshold_1": 65001,
    "child_benefit": 200,
    "pension_70": 495,
    "pension_under_70": 370,
    "scheme_start": date(2026, 1, 1),
    "region_name": "IM",
}
HOUSEHOLD = {
    "rating_score": 45000,
    "size": 3,
    "region": "IM",
    "has_gas": True,
    "registered_on": date(2025, 6, 1),
}
MEMBERS = [
    {"age": 40, "disability": "none", "is_idp": False, "income": 300},
    {"age": 12, "disability": "severe", "is_idp": True, "income": 0},
    {"age": 71, "disability": "none", "is_idp": False, "income": 450.5},
]


def one(text, household=HOUSEHOLD, members=MEMBERS, params=PARAMS, **kwargs):
    return evaluate_one(validate(text, SCHEMA, **kwargs), household, members, params)


def refusal(text, **kwargs) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        validate(text, SCHEMA, **kwargs)
    return caught.value


# -- Grammar --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("42", 42.0),
        ("2.75", 2.75),
        ("'IM'", "IM"),
        ('"ქუთაისი"', "ქუთაისი"),
        ("true", True),
        ("false", False),
        ('date("2026-01-01")', date(2026, 1, 1)),
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),  # left to right
        ("12 / 4 / 3", 1.0),
        ("-household.size + 1", -2.0),
        ("- -2", 2.0),
        ("household.size < 4", True),
        ("household.size <= 3", True),
        ("household.size > 3", False),
        ("household.size >= 3", True),
        ("household.size == 3", True),
        ("household.size != 3", False),
        ("household.region == 'IM'", True),
        ("household.region == param.region_name", True),
        ("household.has_gas == false", False),
        ("household.registered_on < param.scheme_start", True),
        ('household.registered_on >= date("2025-06-01")', True),
        ("true or false and false", True),  # and binds tighter than or
        ("not false and false", False),  # not binds tighter than and
        ("not household.size > 5", True),  # ...and looser than comparison
        ("if(household.has_gas, 1, 2)", 1.0),
        ("if(household.size > 5, 'big', 'small')", "small"),
        ("min(3, household.size, 7)", 3.0),
        ("max(3, 9.5, 7)", 9.5),
        ("abs(-4.5)", 4.5),
        ("round(2.5)", 3.0),  # half away from zero, not to even
        ("round(-2.5)", -3.0),
        ("round(10 / 3, 2)", 3.33),
        ("count(members)", 3.0),
        ("count(members, true)", 3.0),
        ("count(members, member.age < 16)", 1.0),
        ("count(members, person.age >= 18)", 2.0),  # person.* is each member in here
        ("sum(members, member.income)", 750.5),
        ("sum(members, if(member.age >= 18, 1, 0) * household.size)", 6.0),
        ("any(members, member.disability == 'severe')", True),
        ("all(members, member.is_idp)", False),
        ("all(members, member.age > 0)", True),
        ("household.rating_score < 57001\n  and count(members, member.age < 16) > 0", True),
    ],
)
def test_grammar(text, expected):
    assert one(text) == expected


def test_person_rule_gives_one_value_per_member():
    pension = "if(person.age >= 70, param.pension_70, param.pension_under_70)"
    assert one(pension, level="person") == [370.0, 370.0, 495.0]
    assert one("person.age * 0 + household.size", level="person") == [3.0, 3.0, 3.0]


def test_schema_refuses_an_unknown_type():
    with pytest.raises(ValueError, match="'money' is not a valid Type"):
        Schema(household={"income": "money"})


# -- Refusals with their exact message and position -----------------------------------------


@pytest.mark.parametrize(
    ("text", "kwargs", "message", "where"),
    [
        (
            "household.ratng_score < 5",
            {},
            'Unknown attribute "household.ratng_score" at column 11; '
            'did you mean "household.rating_score"?',
            (1, 11),
        ),
        (
            "count(members, member.agee < 16)",
            {},
            'Unknown attribute "member.agee" at column 23; did you mean "member.age"?',
            (1, 23),
        ),
        ("household.colour", {}, 'Unknown attribute "household.colour" at column 11', (1, 11)),
        (
            "household.size * param.child_benefitt",
            {},
            'Unknown parameter "param.child_benefitt" at column 24; '
            'did you mean "param.child_benefit"?',
            (1, 24),
        ),
        ("sqrt(4)", {}, 'Unknown function "sqrt" at column 1', (1, 1)),
        ("rnd(4)", {}, 'Unknown function "rnd" at column 1; did you mean "round"?', (1, 1)),
        ("rating_score > 1", {}, 'Unknown name "rating_score" at column 1', (1, 1)),
        ("abs(1, 2)", {}, 'Function "abs" at column 1 takes 1 argument, got 2', (1, 1)),
        ("if(true, 1)", {}, 'Function "if" at column 1 takes 3 arguments, got 2', (1, 1)),
        ("min()", {}, 'Function "min" at column 1 takes at least 1 argument, got 0', (1, 1)),
        ("sum(members)", {}, 'Function "sum" at column 1 takes 2 arguments, got 1', (1, 1)),
        (
            "household.size + true",
            {},
            '"true" at column 18 is a yes/no value, but "+" needs a number',
            (1, 18),
        ),
        (
            "if(household.size, 1, 2)",
            {},
            '"household.size" at column 4 is a number, but the condition of "if" needs a '
            "yes/no value",
            (1, 4),
        ),
        (
            "household.region == 3",
            {},
            '"==" at column 18 compares text with a number; both sides must be alike',
            (1, 18),
        ),
        (
            "household.region < 'B'",
            {},
            '"<" at column 18 compares numbers or dates, not text; use == or !=',
            (1, 18),
        ),
        (
            "if(true, 1, 'one')",
            {},
            'The two results of "if" at column 1 differ: a number and text',
            (1, 1),
        ),
        (
            "household.size and true",
            {},
            '"household.size" at column 1 is a number, but "and" needs a yes/no value',
            (1, 1),
        ),
        ("not 3", {}, '"3" at column 5 is a number, but "not" needs a yes/no value', (1, 5)),
        (
            "sum(members, member.is_idp)",
            {},
            '"member.is_idp" at column 14 is a yes/no value, but "sum" needs a number',
            (1, 14),
        ),
        (
            "round(1, household.size)",
            {},
            'The decimals of "round" at column 10 must be a whole number from 0 to 6',
            (1, 10),
        ),
        (
            "person.age > 60",
            {},
            '"person.age" at column 1 is a person attribute; in a household rule use it inside '
            "count, sum, any or all",
            (1, 1),
        ),
        (
            "member.age > 60",
            {"level": "person"},
            '"member.age" at column 1 can only be used inside count, sum, any or all',
            (1, 1),
        ),
        (
            "count(members, any(members, true))",
            {},
            '"any" at column 16 cannot be used inside another count, sum, any or all',
            (1, 16),
        ),
        (
            "count(members) > 2",
            {"level": "person"},
            '"count" at column 1 can only be used in a household rule',
            (1, 1),
        ),
        (
            "count(household.size)",
            {},
            'The first argument of "count" at column 7 must be "members"',
            (1, 7),
        ),
        (
            "members > 1",
            {},
            '"members" at column 1 can only be the first argument of count, sum, any or all',
            (1, 1),
        ),
        (
            "household.size",
            {"result": "boolean"},
            "The expression must give a yes/no value, but it gives a number",
            (1, 1),
        ),
        (
            "household.size > 1",
            {"result": "number"},
            "The expression must give a number, but it gives a yes/no value",
            (1, 1),
        ),
        (
            "1 < 2 < 3",
            {},
            'Comparisons cannot be chained at column 7; join them with "and"',
            (1, 7),
        ),
        (
            "household.size = 3",
            {},
            'Unexpected character "=" at column 16; use "==" to compare',
            (1, 16),
        ),
        ("true && false", {}, 'Unexpected character "&" at column 6; use "and"', (1, 6)),
        ("household.region == 'IM", {}, "Text starting at column 21 has no closing quote", (1, 21)),
        ("1 +", {}, "The expression ends too early at column 4", (1, 4)),
        ("(1 + 2", {}, 'Expected ")" at column 7', (1, 7)),
        ("max(1 2)", {}, 'Expected ")" at column 7, found "2"', (1, 7)),
        ("1 2", {}, 'Unexpected "2" at column 3', (1, 3)),
        ("   ", {}, "The expression is empty", (1, 1)),
        (
            'date("2026-02-30")',
            {},
            'Invalid date "2026-02-30" at column 6; write it as date("YYYY-MM-DD")',
            (1, 6),
        ),
        ("date(2026)", {}, 'Write a date as date("YYYY-MM-DD") at column 1', (1, 1)),
        (
            "household.size > 1 and\n    household.region == 1",
            {},
            '"==" at line 2, column 22 compares text with a number; both sides must be alike',
            (2, 22),
        ),
    ],
)
def test_refusal(text, kwargs, message, where):
    error = refusal(text, **kwargs)
    assert str(error) == message
    assert (error.position.line, error.position.column) == where
    # The offset highlights the same character in the text.
    line, column = where
    offset = error.position.offset
    assert text.splitlines()[line - 1][column - 1 : column] == text[offset : offset + 1]


# -- Safety ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('__import__("os")', 'Unknown function "__import__" at column 1'),
        ('__import__("os").system("ls")', 'Unknown function "__import__" at column 1'),
        ("household.__class__", 'Unknown attribute "household.__class__" at column 11'),
        ("household.size.__class__", 'Unexpected "." at column 15'),
        ("().__class__.__bases__", 'Unexpected ")" at column 2'),
        ("lambda: 1", 'Unknown name "lambda" at column 1'),
        ("[x for x in members]", 'Unexpected character "[" at column 1'),
        ("{1: 2}", 'Unexpected character "{" at column 1'),
        ("household['size']", 'Expected "." at column 10, found "["'),
        ("param.__dict__", 'Unknown parameter "param.__dict__" at column 7'),
        ("open('/etc/passwd')", 'Unknown function "open" at column 1'),
        ("eval('1')", 'Unknown function "eval" at column 1'),
        ("household.size if true else 1", 'Unexpected "if" at column 16'),
        ("1; 2", 'Unexpected character ";" at column 2'),
        ("f'{household}'", 'Unknown name "f" at column 1'),
    ],
)
def test_refuses_anything_outside_the_grammar(text, message):
    assert str(refusal(text)) == message


def test_length_and_depth_are_bounded():
    long = "1" + " + 1" * 500
    assert str(refusal(long)) == "The expression is longer than 2000 characters"
    assert str(refusal("(" * 60 + "1" + ")" * 60)) == (
        "The expression is nested too deeply at column 51"
    )
    assert str(refusal("1" + " + 1" * 60)).startswith("The expression is nested too deeply")
    assert one("(" * 20 + "1" + ")" * 20) == 1.0


def test_evaluation_never_calls_python_per_row_or_eval():
    source = inspect.getsource(expressions)
    for forbidden in (
        r"\.map_elements\(",
        r"\.apply\(",
        r"\.map_batches\(",
        r"\beval\(",
        r"\bexec\(",
    ):
        assert not re.search(forbidden, source), forbidden
    assert "compile(" not in source.replace("re.compile(", "")


# -- Parameters: dependencies, missing values, cycles ---------------------------------------


def test_dependencies_are_the_parameters_read():
    text = "count(members, member.age < 16) * param.child_benefit + param.x * param.child_benefit"
    assert dependencies(text) == {"child_benefit", "x"}
    assert dependencies(validate("household.size > 1", SCHEMA)) == set()


def test_parameter_without_a_value_is_refused_with_its_position():
    rule = validate("household.size * param.child_benefit", SCHEMA)
    with pytest.raises(ExpressionError) as caught:
        evaluate_one(rule, HOUSEHOLD, MEMBERS, {**PARAMS, "child_benefit": None})
    assert str(caught.value) == (
        'Parameter "param.child_benefit" at column 24 has no value on this date'
    )
    with pytest.raises(ExpressionError, match='"param.child_benefit" at column 24 has the value'):
        evaluate_one(rule, HOUSEHOLD, MEMBERS, {**PARAMS, "child_benefit": "200"})


def test_check_cycles_orders_definitions():
    order = check_cycles({"a": "param.b + param.c", "b": "param.c * 2", "c": "param.base"})
    assert order == ["c", "b", "a"]


@pytest.mark.parametrize(
    ("definitions", "message", "definition"),
    [
        (
            {"a": "param.b + 1", "b": "param.c * 2", "c": "param.a - param.base"},
            "Circular definition: a → b → c → a (at column 7 of a)",
            "a",
        ),
        ({"x": "1", "a": "2 * param.a"}, "Circular definition: a → a (at column 11 of a)", "a"),
        (
            {"a": "param.b", "b": "param.c", "c": "param.b"},
            "Circular definition: b → c → b (at column 7 of b)",
            "b",
        ),
    ],
)
def test_check_cycles_names_the_cycle(definitions, message, definition):
    with pytest.raises(ExpressionError) as caught:
        check_cycles(definitions)
    assert str(caught.value) == message
    assert caught.value.definition == definition


def test_check_cycles_follows_a_chain_longer_than_the_recursion_limit():
    """Issue 9, finding 8: 1,200 definitions, each reading the next, once raised RecursionError."""
    chain = {f"p{i}": f"param.p{i + 1} + 1" for i in range(1200)}
    assert check_cycles(chain) == [f"p{i}" for i in reversed(range(1200))]
    with pytest.raises(ExpressionError) as caught:
        check_cycles({**chain, "p1200": "param.p0"})
    assert str(caught.value).startswith("Circular definition: p0 → p1 → p2")
    assert caught.value.definition == "p0"


def test_check_cycles_names_the_definition_with_a_syntax_error():
    with pytest.raises(ExpressionError) as caught:
        check_cycles({"a": "param.b", "b": "1 +"})
    assert caught.value.definition == "b"
    assert str(caught.value) == "The expression ends too early at column 4"


# -- Missing data -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "household", "members", "expected"),
    [
        ("household.rating_score < 65001", {"rating_score": None}, MEMBERS, None),
        ("household.size + 1", {**HOUSEHOLD, "size": float("nan")}, MEMBERS, None),  # NaN is null
        # Three-valued logic: a missing value that cannot change the answer is not needed.
        ("household.has_gas and household.size > 5", {"has_gas": None, "size": 3}, [], False),
        ("household.has_gas and household.size > 1", {"has_gas": None, "size": 3}, [], None),
        ("household.has_gas or household.size > 1", {"has_gas": None, "size": 3}, [], True),
        ("if(household.has_gas, 1, 2)", {"has_gas": None}, [], None),
        ("if(household.size > 1, 1, household.rating_score)", {"size": 3}, [], 1.0),
        ("min(1, household.rating_score)", {}, [], None),  # Polars would skip the null
        ("max(household.size, household.rating_score)", {"size": 3}, [], None),
        ("household.size / 0", HOUSEHOLD, [], None),
        ("count(members, member.age < 16)", HOUSEHOLD, [{"age": 5}, {"age": None}], None),
        ("sum(members, member.income)", HOUSEHOLD, [{"income": 5}, {"income": None}], None),
        ("any(members, member.age < 16)", HOUSEHOLD, [{"age": 5}, {"age": None}], True),
        ("any(members, member.age < 16)", HOUSEHOLD, [{"age": 50}, {"age": None}], None),
        ("all(members, member.age < 16)", HOUSEHOLD, [{"age": 50}, {"age": None}], False),
        ("all(members, member.age < 16)", HOUSEHOLD, [{"age": 5}, {"age": None}], None),
        # A household with nobody in it: nothing to count, no one qualifies, all vacuously.
        ("count(members)", HOUSEHOLD, [], 0.0),
        ("sum(members, member.income)", HOUSEHOLD, [], 0.0),
        ("any(members, member.age < 16)", HOUSEHOLD, [], False),
        ("all(members, member.age < 16)", HOUSEHOLD, [], True),
    ],
)
def test_nulls(text, household, members, expected):
    assert one(text, household, members) == expected


def test_missing_names_the_null_attributes_per_row():
    rule = validate(
        "household.rating_score < 65001 and count(members, member.age < 16) > 0", SCHEMA
    )
    households = pl.DataFrame({"id": [1, 2, 3, 4], "rating_score": [100.0, None, 100.0, None]})
    people = pl.DataFrame({"household_id": [1, 2, 3, 3, 4], "age": [5, 6, None, 7, None]})
    evaluator = Evaluator(households, people, SCHEMA)
    result = evaluator.households({"eligible": rule}, PARAMS)
    assert result["eligible"].to_list() == [True, None, None, None]
    assert evaluator.missing(rule).to_list() == [
        [],
        ["household.rating_score"],
        ["person.age"],
        ["household.rating_score", "person.age"],
    ]
    pension = validate("if(person.age >= 70, 1, 0) * household.size", SCHEMA, level="person")
    only_two = pl.DataFrame({"id": [1, 2], "size": [2, None]})  # households 3 and 4 are absent
    assert Evaluator(only_two, people, SCHEMA).missing(pension).to_list() == [
        [],
        ["household.size"],
        ["household.size", "person.age"],
        ["household.size"],
        ["household.size", "person.age"],
    ]


def test_missing_is_empty_for_a_rule_without_attributes():
    evaluator = Evaluator(pl.DataFrame({"id": [1, 2]}), pl.DataFrame({"household_id": [1]}), SCHEMA)
    assert evaluator.missing(validate("1 > 0", SCHEMA)).to_list() == [[], []]


# -- Explanation --------------------------------------------------------------------------


def test_explain_shows_every_sub_expression_with_its_value():
    rule = validate("count(members, member.age < 16) * param.child_benefit", SCHEMA)
    tree = explain(rule, HOUSEHOLD, MEMBERS, PARAMS)
    assert (tree.text, tree.value, tree.per_member) == (rule.text, 200.0, False)
    count, benefit = tree.children
    assert (count.text, count.value) == ("count(members, member.age < 16)", 1.0)
    (condition,) = count.children
    assert (condition.text, condition.value, condition.per_member) == (
        "member.age < 16",
        [False, True, False],
        True,
    )
    assert [c.value for c in condition.children] == [[40.0, 12.0, 71.0], [16.0, 16.0, 16.0]]
    assert (benefit.text, benefit.kind, benefit.value) == ("param.child_benefit", "param", 200.0)


def test_explain_keeps_parentheses_in_the_text():
    tree = explain(validate("(household.size + 1) * 2", SCHEMA), HOUSEHOLD, MEMBERS, PARAMS)
    assert [c.text for c in tree.children] == ["(household.size + 1)", "2"]
    assert tree.children[0].value == 4.0


def test_explain_a_person_rule_per_member():
    rule = validate(
        "if(person.age >= 70, param.pension_70, param.pension_under_70)", SCHEMA, level="person"
    )
    tree = explain(rule, HOUSEHOLD, MEMBERS, PARAMS)
    assert tree.value == [370.0, 370.0, 495.0]
    assert tree.children[0].value == [False, False, True]


# -- Realistic rules -------------------------------------------------------------------------

TSA_ELIGIBLE = "household.rating_score < param.tsa_threshold_1"
# Per member per month (2015 bands, DOMAIN.md; unverified for 2024-26).
TSA_AMOUNT = """count(members, true) * if(household.rating_score < 30001, 60,
    if(household.rating_score < 57001, 50,
    if(household.rating_score < 60001, 40,
    if(household.rating_score < 65001, 30, 0))))"""
CHILD_BENEFIT = "count(members, member.age < 16) * param.child_benefit"
PENSION = "if(person.age >= 70, param.pension_70, param.pension_under_70)"


@pytest.mark.parametrize(
    ("score", "eligible", "amount"),
    [
        (30000, True, 180.0),
        (30001, True, 150.0),
        (57000, True, 150.0),
        (57001, True, 120.0),
        (60000, True, 120.0),
        (60001, True, 90.0),
        (65000, True, 90.0),
        (65001, False, 0.0),
    ],
)
def test_tsa_bands(score, eligible, amount):
    household = {**HOUSEHOLD, "rating_score": score}
    assert one(TSA_ELIGIBLE, household, result="boolean") is eligible
    assert one(TSA_AMOUNT, household, result="number") == amount


@pytest.mark.parametrize(
    ("ages", "amount"), [([15, 16, 40], 200.0), ([0, 15.9, 3], 600.0), ([], 0.0)]
)
def test_child_benefit(ages, amount):
    assert one(CHILD_BENEFIT, members=[{"age": a} for a in ages], result="number") == amount


def test_pension_edges():
    ages = [{"age": a} for a in (69, 69.99, 70, 71)]
    assert one(PENSION, members=ages, level="person", result="number") == [370, 370, 495, 495]


# -- Bulk and single agree -----------------------------------------------------------------


def population(households: int, seed: int = 3) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Random households and members, with some of every attribute missing."""
    rng = np.random.default_rng(seed)
    # About 3.3 members a household; some have no current member at all.
    sizes = rng.choice(8, households, p=[0.04, 0.15, 0.16, 0.2, 0.2, 0.13, 0.07, 0.05])
    people = int(sizes.sum())

    def holes(values, share=0.03):
        return pl.Series(values).scatter(np.flatnonzero(rng.random(len(values)) < share), None)

    hh = pl.DataFrame(
        {
            "id": np.arange(households) * 7 + 11,  # ids that are not row numbers
            "rating_score": holes(rng.integers(0, 120_000, households).astype(float)),
            "size": sizes.astype(float),
            "region": holes(rng.choice(["IM", "TB", "AJ"], households)),
            "has_gas": holes(rng.random(households) < 0.6),
        }
    )
    members = pl.DataFrame(
        {
            "id": np.arange(people),
            "household_id": np.repeat(hh["id"].to_numpy(), sizes),
            "age": holes(rng.integers(0, 95, people).astype(float), 0.01),
            "disability": rng.choice(
                ["none", "significant", "severe"], people, p=[0.9, 0.05, 0.05]
            ),
            "is_idp": holes(rng.random(people) < 0.07, 0.01),
            "income": holes(rng.exponential(200, people), 0.01),
        }
    ).sample(fraction=1.0, shuffle=True, seed=seed)  # members need not be grouped by household
    return hh, members


RULES = {
    "tsa": TSA_ELIGIBLE,
    "tsa_amount": TSA_AMOUNT,
    "child_benefit": CHILD_BENEFIT,
    "disabled": "any(members, member.disability == 'severe' or member.disability == 'significant')",
    "all_idp": "all(members, member.is_idp)",
    "utility": "household.has_gas and household.region != 'TB' and household.rating_score <= 70000",
    "per_capita": "round(sum(members, member.income) / count(members), 2)",
    "adults_over_size": "max(count(members, member.age >= 18), household.size / 2)",
}


def test_single_household_agrees_with_bulk_on_2000_households():
    """The bulk path over 2000 random households against the one-household path (a Polars frame
    per call, the slow part) for one household in five and for the first ten of every kind: which
    of the household's attributes and of the rules' results are missing, whether it has members
    and whether one of them lacks an attribute. So the rarest kinds among the 2000 are checked
    too, and the one-rule form on the same hundred households as ever."""
    households, people = population(2000)
    rules = {name: validate(text, SCHEMA) for name, text in RULES.items()}
    bulk = Evaluator(households, people, SCHEMA).households(rules, PARAMS)
    assert bulk["id"].to_list() == households["id"].to_list()
    assert bulk["tsa"].null_count() > 0 and bulk["per_capita"].null_count() > 0  # nulls covered
    by_household = people.partition_by("household_id", as_dict=True)
    member_gaps = people.group_by("household_id").agg(
        gap=pl.any_horizontal(pl.exclude("id", "household_id").is_null()).any()
    )
    kinds = pl.concat(
        [
            households.select(pl.exclude("id").is_null(), no_member=pl.col("size") == 0),
            bulk.select(pl.exclude("id").is_null().name.prefix("result_")),
            households.join(
                member_gaps,
                left_on="id",
                right_on="household_id",
                how="left",
                maintain_order="left",
            ).select(pl.col("gap").fill_null(False)),
        ],
        how="horizontal",
    ).select(kind=pl.concat_str(pl.all().cast(pl.String)))
    checked = set(
        kinds.with_row_index("i").filter(
            (pl.col("i") % 5 == 0) | (pl.int_range(pl.len()).over("kind") < 10)
        )["i"]
    )
    assert kinds["kind"].n_unique() >= 20 and len(checked) < 1000
    results = bulk.drop("id").iter_rows(named=True)
    for i, (row, expected) in enumerate(
        zip(households.iter_rows(named=True), results, strict=True)
    ):
        if i not in checked:
            continue
        members = by_household.get((row["id"],), people.clear()).to_dicts()
        # Element-wise, nulls included: None == None, and no float tolerance.
        assert evaluate_one(rules, row, members, PARAMS) == expected, row
        if i % 20 == 0:  # the one-rule form as well
            for name, rule in rules.items():
                assert evaluate_one(rule, row, members, PARAMS) == expected[name], (row, name)


def test_person_rules_agree_in_bulk_and_single():
    households, people = population(300, seed=5)
    rule = validate(PENSION + " + if(household.has_gas, 0, 10)", SCHEMA, level="person")
    bulk = Evaluator(households, people, SCHEMA).people({"pension": rule}, PARAMS)
    assert bulk["id"].to_list() == people["id"].to_list()  # aligned with the input rows
    expected = dict(zip(bulk["id"], bulk["pension"], strict=True))
    by_household = people.partition_by("household_id", as_dict=True)
    for row in households.iter_rows(named=True):
        members = by_household.get((row["id"],), people.clear()).to_dicts()
        values = evaluate_one(rule, row, members, PARAMS)
        assert values == [expected[m["id"]] for m in members]


def test_refuses_rules_of_the_wrong_level():
    evaluator = Evaluator(*population(10), SCHEMA)
    with pytest.raises(ValueError, match="Not household rules: p"):
        evaluator.households({"p": validate(PENSION, SCHEMA, level="person")}, PARAMS)


def _python_calls(work) -> int:
    """How many Python functions `work()` calls (Polars' own work in Rust is not counted)."""
    calls = 0

    def profile(frame, event, arg):
        nonlocal calls
        calls += event == "call"

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def test_bulk_run_is_vectorised_on_100k_households():
    """Vectorised means the Python work does not grow with the rows: the same rules over 100
    times the households make no more Python calls than over 1,000 (a rule evaluated row by row,
    or a Python UDF per value, would make at least 100,000). Timings are in bench/."""
    rules = {name: validate(text, SCHEMA) for name, text in RULES.items()}

    def run(households: int) -> tuple[int, pl.DataFrame]:
        hh, people = population(households)
        result: list[pl.DataFrame] = []
        calls = _python_calls(
            lambda: result.append(Evaluator(hh, people, SCHEMA).households(rules, PARAMS))
        )
        return calls, result[0]

    small_calls, small = run(1_000)
    large_calls, large = run(100_000)
    assert small.height == 1_000 and large.height == 100_000
    assert large.select(pl.col("tsa").is_not_null().sum()).item() > 50_000  # real work done
    assert small_calls > 100  # the profile does see the evaluator's Python
    assert large_calls <= small_calls * 1.05 + 100, (small_calls, large_calls)


# -- Bounds (issue 9, finding 7) -------------------------------------------------------------

BOUNDS = {
    "household.size": expressions.Interval(0, 100, True),
    "household.rating_score": expressions.Interval(0, 1_000_000, True),
    "person.age": expressions.Interval(0, 150, True),
}


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("household.size * 60", 0, 6000),
        ("-household.size + 1", -99, 1),
        ("if(household.size > 2, 10, param.amount)", 10, 200),
        ("count(members, member.age < 16) * param.amount", 0, 20000),
        ("sum(members, member.age) / 2", 0, 7500),
        ("1000 / household.size", -1000, 1000),  # a whole divisor, if not 0, is at least 1
        ("10 / (household.size + 1)", 10 / 101, 10),
        ("max(household.size, 5) - min(3, param.amount)", 2, 97),
        ("abs(household.size - 150)", 50, 150),
        ("round(param.amount * 0.333, 2)", 100 * 0.333 - 0.005, 200 * 0.333 + 0.005),
    ],
)
def test_bounds_of_a_number_rule(text, low, high):
    schema = Schema(household=SCHEMA.household, person=SCHEMA.person, params={"amount": "number"})
    rule = validate(text, schema, result="number")
    interval = expressions.bounds(rule, BOUNDS, {"amount": expressions.Interval(100, 200, True)})
    assert (interval.low, interval.high) == (pytest.approx(low), pytest.approx(high))


@pytest.mark.parametrize(
    "text",
    [
        "100 / (household.rating_score * 0.5)",  # a fraction that may come near zero
        "param.unknown * 2",  # a parameter of which nothing is known
    ],
)
def test_no_bounds_where_none_can_be_given(text):
    schema = Schema(household=SCHEMA.household, params={"unknown": "number"})
    rule = validate(text, schema, result="number")
    assert expressions.bounds(rule, BOUNDS, {}) is None


def test_numbers_too_large_to_write_are_refused_with_their_place():
    rule = validate("household.size * 2 + 1000000001", SCHEMA, result="number")
    with pytest.raises(ExpressionError) as caught:
        expressions.check_numbers(rule, rule.text, 10**9)
    assert str(caught.value) == (
        "The number at column 22 is larger than 1,000,000,000, the largest a rule may write"
    )
    expressions.check_numbers(validate("1000000000", SCHEMA), "1000000000", 10**9)
