"""The sentence maker: each comparison said as what is true, values formatted for the reader
(grouped numbers, money, percentages, dates, yes/no), composite conditions one sentence per
condition, and amounts from the formula's shape."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.utils import translation

from zrunva.programmes import engine, expressions, sentences

pytestmark = pytest.mark.django_db  # closed-set labels and municipality names


UNITS = {"each": "GEL per member", "flat": "GEL", "share": "share", "limit": "years"}


def _version(code):
    """A parameter's version as the facts read it: its unit and names, its date."""
    parameter = SimpleNamespace(unit=UNITS[code], name_ka=code, name_en=code.title())
    return SimpleNamespace(parameter=parameter, valid_from=date(2026, 1, 1), illustrative=False)


def _facts(criteria: str, formula: str = "0", *, household=None, member=None, params=None):
    compiled = engine.compile_rules(
        id=1,
        code="x",
        level="household",
        criteria=criteria,
        formula=formula,
        params=params or {},
        versions={code: _version(code) for code in params or {}},
    )
    household = {"rating_score": 34000.0, "size": 2, "is_highland": False} | (household or {})
    members = [{"age": 40, "monthly_income": 500.0} | (member or {}), {"age": 8}]
    crit = expressions.explain(compiled.criteria, household, members, compiled.params)
    form = expressions.explain(compiled.formula, household, members, compiled.params)
    amount = form.value if crit.value else None
    result = engine.Result(
        compiled, "eligible" if crit.value else "not_eligible", "", amount, [], crit, form
    )
    return sentences.facts(result)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("household.rating_score <= 65000", "34,000, is at most 65,000: met."),
        ("household.rating_score <= 30000", "34,000, is more than 30,000: not met."),
        ("household.rating_score < 34000", "34,000, is at least 34,000: not met."),
        ("household.rating_score >= 34000", "34,000, is at least 34,000: met."),
        ("household.rating_score > 50000", "34,000, is at most 50,000: not met."),
        ("household.size == 2", "Your household's number of members, 2, is 2: met."),
        ("household.size != 2", "Your household's number of members, 2, is 2: not met."),
        ("65000 >= household.rating_score", "34,000, is at most 65,000: met."),
    ],
)
def test_each_comparison_says_what_is_true(rule, expected):
    with translation.override("en"):
        _intro, said = sentences.condition_sentences(_facts(rule)["criteria"])
    assert said[0].endswith(expected), said


def test_composites_give_one_sentence_per_condition_and_a_connective():
    facts = _facts(
        "household.rating_score <= 65000 and (household.is_highland or household.size > 3)"
    )
    with translation.override("en"):
        intro, said = sentences.condition_sentences(facts["criteria"])
    assert intro == "The programme requires all of these:"
    assert said == [
        "Your household's rating score, 34,000, is at most 65,000: met.",
        "Highland settlement: no; or your household's number of members, 2, is at most 3: not met.",
    ]
    with translation.override("en"):
        intro, _said = sentences.condition_sentences(
            _facts("not household.is_highland or false")["criteria"]
        )
    assert intro == "The programme requires at least one of these:"


def test_values_are_written_for_the_reader():
    with translation.override("en"):
        assert sentences.quantity("money", 1250) == "GEL\xa01,250.00"
        assert sentences.quantity("money", 49.5) == "GEL\xa049.50"
        assert sentences.quantity("number", 120000.0) == "120,000"
        assert sentences.quantity("share", 0.2) == "20%"
        assert sentences.quantity("date", "2026-12-03") == "3 December 2026"
        assert sentences.quantity("boolean", True) == "yes"
        assert sentences.quantity("text", "severe", "person.disability_degree") == "“Severe”"
        assert sentences.quantity("number", None) == "not recorded"
    with translation.override("ka"):
        assert sentences.quantity("date", date(2026, 12, 3)) == "3 დეკემბერი 2026"
        assert sentences.quantity("number", 120000.0) == "120\xa0000"
        assert sentences.quantity("number", 0.25) == "0,25"
        assert sentences.quantity("money", 1250) == "1\xa0250,00\xa0₾"


def test_amounts_are_said_from_the_formulas_shape():
    params = {"each": 60.0, "flat": 495.0, "share": 0.2, "limit": 16.0}
    with translation.override("en"):
        per = _facts("true", "household.size * param.each", params=params)
        assert sentences.amount_sentence(per["amount"]) == (
            "GEL\xa0120.00 a month: GEL\xa060.00 for each of 2 members."
        )
        flat = _facts("true", "param.flat", params=params)
        assert sentences.amount_sentence(flat["amount"]) == "A flat GEL\xa0495.00 a month."
        banded = _facts(
            "true", "if(household.rating_score <= 30000, param.flat, param.each)", params=params
        )
        assert sentences.amount_sentence(banded["amount"]) == (
            "A flat GEL\xa060.00 a month, because your household's rating score, 34,000, is more "
            "than 30,000."
        )
        other = _facts("true", "household.rating_score / 1000", params=params)
        assert sentences.amount_sentence(other["amount"]) == (
            "GEL\xa034.00 a month, calculated from: Rating score."
        )
