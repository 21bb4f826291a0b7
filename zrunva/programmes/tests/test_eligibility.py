"""Eligibility over the registry: decisions, "needs data", explanations, nearest changes, and
the agreement of the bulk path with the one-household path."""

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.assessment.population import assessments_generate
from zrunva.assessment.selectors import latest_scores
from zrunva.assessment.tests.factories import assess
from zrunva.programmes import engine, expressions
from zrunva.programmes.eligibility import (
    compiled_programmes,
    data_explanation,
    data_frames,
    household_explanation,
)
from zrunva.programmes.tests.factories import ON, years_ago
from zrunva.registry import population
from zrunva.registry.columns import registry_frames
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


def by_code(results, code):
    return [r for r in results if r.compiled.code == code]


def test_a_poor_family_with_children_gets_tsa_by_band_and_child_benefit():
    household = factories.household(head={"birth_date": date(1985, 3, 1)})
    factories.member(household, birth_date=date(2015, 6, 1))
    factories.member(household, birth_date=years_ago(16) + timedelta(days=1))  # 16 tomorrow
    assess(household, 57000)
    results = household_explanation(household=household, on=ON)
    tsa = by_code(results, "tsa")[0]
    assert (tsa.status, tsa.reason, tsa.amount) == ("eligible", "criteria_met", 3 * 50.0)
    child = by_code(results, "child_benefit")[0]
    assert (child.status, child.amount) == ("eligible", 2 * 200.0)
    # The formula's parts carry their values: the band amount chosen for a score of 57,000.
    assert tsa.formula.value == 150.0
    assert tsa.criteria.children[0].value == 57000.0


def test_without_an_assessment_the_score_rules_need_data_naming_the_field():
    household = factories.household(head={"birth_date": date(1990, 1, 1)})
    results = household_explanation(household=household, on=ON)
    tsa = by_code(results, "tsa")[0]
    assert (tsa.status, tsa.reason, tsa.amount) == ("needs_data", "missing_data", None)
    assert tsa.missing == ["household.rating_score"]
    # Rules that do not read the score still decide.
    pension = by_code(results, "state_pension")[0]
    assert pension.status == "not_eligible"


def test_refusals_name_the_nearest_change_that_would_qualify():
    household = factories.household(head={"birth_date": years_ago(57), "sex": "M"})
    assess(household, 72340)
    results = household_explanation(household=household, on=ON)
    tsa = by_code(results, "tsa")[0]
    assert tsa.status == "not_eligible"
    assert [(c.attribute.reference, c.current, c.needed) for c in tsa.changes] == [
        ("household.rating_score", 72340.0, 65000.0)
    ]
    pension = by_code(results, "state_pension")[0]
    # Only changes that really qualify, and never the person's sex.
    assert [(c.attribute.reference, c.current, c.needed) for c in pension.changes] == [
        ("person.age", 57, 65.0)
    ]


def test_a_text_attribute_offers_the_nearest_value_that_qualifies():
    household = factories.household(head={"birth_date": date(1980, 1, 1), "is_idp": True})
    adult = factories.member(household, birth_date=date(1990, 1, 1), disability_degree="moderate")
    results = household_explanation(household=household, on=ON)
    package = [r for r in by_code(results, "disability_package") if r.person_id == adult.pk][0]
    assert package.status == "not_eligible"
    assert [(c.attribute.reference, c.needed) for c in package.changes] == [
        ("person.disability_degree", "significant"),
        ("person.is_child", True),
    ]


def test_a_household_given_as_data_is_explained_without_being_saved():
    from zrunva.registry.models import Household

    before = Household.objects.count()
    results = data_explanation(
        household={"municipality": "kutaisi", "is_highland": True},
        members=[
            {
                "birth_date": date(1950, 1, 1),
                "sex": "F",
                "disability_degree": "none",
                "is_idp": False,
            },
            {"birth_date": date(2012, 1, 1), "sex": "M", "disability_degree": "severe"},
        ],
        on=ON,
        rating_score=20000,
    )
    assert Household.objects.count() == before
    amounts = {(r.compiled.code, r.member): (r.status, r.amount) for r in results}
    assert amounts[("tsa", None)] == ("eligible", 120.0)
    assert amounts[("state_pension", 0)] == ("eligible", round(495 * 1.2, 2))
    assert amounts[("disability_package", 1)] == ("eligible", 480.0)
    # Income was not given: the IDP rule needs it only for an IDP ("false and unknown" is false);
    # for the second member the IDP status itself is unknown.
    assert amounts[("idp_allowance", 0)] == ("not_eligible", None)
    idp = [r for r in results if r.compiled.code == "idp_allowance" and r.member == 1][0]
    assert (idp.status, idp.missing) == ("needs_data", ["person.is_idp", "person.monthly_income"])


def test_data_for_an_unknown_place_or_a_future_birth_is_refused_with_the_field():
    with pytest.raises(ValidationError) as err:
        data_explanation(household={"municipality": "atlantis"}, members=[], on=ON, rating_score=1)
    assert err.value.message_dict == {"municipality": ["Unknown municipality code."]}
    with pytest.raises(ValidationError) as err:
        data_explanation(
            household={}, members=[{"birth_date": date(2030, 1, 1)}], on=ON, rating_score=None
        )
    assert list(err.value.message_dict) == ["members.0.birth_date"]


def test_a_municipal_programme_applies_to_its_own_households_only(make_user):
    from zrunva.geo.models import Municipality
    from zrunva.programmes.services import programme_save

    kutaisi = Municipality.objects.get(code="kutaisi")
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    programme_save(
        actor=officer,
        programme=None,
        data={
            "code": "kutaisi_utility",
            "name_ka": "კომუნალური დახმარება",
            "name_en": "Utility assistance",
            "level": "household",
            "criteria": "household.rating_score <= 100000 and household.size >= 2",
            "formula": "min(household.monthly_utility_spending, 50)",
            "legal_basis": "Kutaisi council resolution (illustrative)",
            "municipality": kutaisi,
            "budget": Decimal("100000"),
            "valid_from": date(2026, 1, 1),
        },
    )
    here = factories.household("kutaisi", monthly_utility_spending=Decimal("80"))
    factories.member(here)
    there = factories.household("tbilisi")
    factories.member(there)
    assess(here, 50000)
    assess(there, 50000)
    assert by_code(household_explanation(household=here, on=ON), "kutaisi_utility")[0].amount == 50
    assert by_code(household_explanation(household=there, on=ON), "kutaisi_utility") == []


@pytest.fixture
def generated(monkeypatch):
    """Two thousand synthetic households with synthetic assessments for most of them."""
    monkeypatch.setattr(population, "CHUNK", 500)
    population.population_generate(households=2000, seed=7, progress=False)
    assessments_generate(
        assessor=factories.system_actor(), seed=7, share=0.9, on=timezone.localdate()
    )


def test_bulk_and_single_household_decisions_agree_on_thousands_of_households(generated):
    """The bulk path decides all 2000 households at once; the one-household path (about 10 ms
    a call, the slow part) is checked for one household in ten and for the first two of every
    kind of outcome (the set of programme, status, reason and missing data its decisions hold),
    so the rarest outcomes among the 2000 are checked too."""
    on = timezone.localdate()
    programmes = compiled_programmes(on=on)
    registry = registry_frames(on=on)
    households, people = engine.attribute_frames(registry, latest_scores(on=on), on=on)
    bulk = engine.decide(households, people, programmes)
    assert households.height == 2000
    assert set(bulk["status"].unique()) == {"eligible", "not_eligible", "needs_data"}
    keys = ["programme_id", "household_id", "person_id"]
    outcome = pl.concat_str(
        "programme_id", "status", "reason", pl.col("missing").list.join(","), separator=":"
    ).fill_null(pl.concat_str("programme_id", "status", "reason", separator=":"))
    kinds = bulk.group_by("household_id").agg(kind=outcome.unique().sort().str.join("|"))
    kinds = households.select("id").join(
        kinds, left_on="id", right_on="household_id", how="left", maintain_order="left"
    )
    ids = (
        kinds.with_row_index("i")
        .filter((pl.col("i") % 10 == 0) | (pl.int_range(pl.len()).over("kind") < 2))["id"]
        .to_list()
    )
    assert kinds["kind"].n_unique() >= 40 and len(ids) < 500
    # The one-household path for each household: the frames read for that household alone.
    single = pl.concat(
        engine.decide(
            households.filter(pl.col("id") == i),
            people.filter(pl.col("household_id") == i),
            programmes,
        )
        for i in ids
    )
    expected = bulk.filter(pl.col("household_id").is_in(ids))
    assert single.sort(keys).equals(expected.sort(keys))


def test_one_household_read_from_the_database_agrees_with_the_bulk_run(generated):
    """The screens read one household's rows (`household_ids=[id]`), not a slice of the
    registry: the same decisions must come out."""
    on = timezone.localdate()
    programmes = compiled_programmes(on=on)
    registry = registry_frames(on=on)
    households, people = engine.attribute_frames(registry, latest_scores(on=on), on=on)
    bulk = engine.decide(households, people, programmes, registry.members)
    keys = ["programme_id", "household_id", "person_id"]
    for household_id in households["id"].to_list()[::10]:
        one = registry_frames(on=on, household_ids=[household_id])
        scores = latest_scores(on=on, household_ids=[household_id])
        one_households, one_people = engine.attribute_frames(one, scores, on=on)
        single = engine.decide(one_households, one_people, programmes)
        expected = bulk.filter(pl.col("household_id") == household_id)
        assert single.sort(keys).equals(expected.sort(keys)), household_id


def test_explanation_trees_agree_with_bulk_decisions(generated):
    """The explanation evaluates each part of a rule separately (another compiled path): its
    root values must be the decisions' own."""
    on = timezone.localdate()
    programmes = compiled_programmes(on=on)
    registry = registry_frames(on=on)
    households, people = engine.attribute_frames(registry, latest_scores(on=on), on=on)
    bulk = engine.decide(households, people, programmes)
    for household_id in households["id"].to_list()[:150]:
        one_hh = households.filter(pl.col("id") == household_id)
        one_people = people.filter(pl.col("household_id") == household_id)
        for result in engine.explain(one_hh, one_people, programmes):
            row = bulk.filter(
                (pl.col("programme_id") == result.compiled.id)
                & (pl.col("household_id") == household_id)
                & (pl.col("person_id").eq_missing(result.person_id))
            ).row(0, named=True)
            assert (row["status"], row["amount"]) == (result.status, result.amount)
            criteria, formula = result.criteria.value, result.formula.value
            if row["status"] == "eligible":
                assert criteria is True and round(formula, 2) == row["amount"]
            elif row["status"] == "not_eligible":
                assert criteria is False
            else:
                assert criteria is None or formula is None


def explained_rule_by_rule(households, people, programmes) -> list[tuple]:
    """The one household's results as `engine.explain` once made them: the decisions of
    `decide`, then each rule evaluated again on its own from the household's records
    (`expressions.explain`), and the nearest changes of each refusal."""
    household = households.row(0, named=True)
    members = people.filter(pl.col("household_id") == household["id"]).to_dicts()
    index = {m["id"]: i for i, m in enumerate(members)}
    by_id = {c.id: c for c in programmes}
    found = []
    for row in engine.decide(households, people, programmes).to_dicts():
        c = by_id[row["programme_id"]]
        crit = expressions.explain(c.criteria, household, members, c.params)
        form = expressions.explain(c.formula, household, members, c.params)
        i = index.get(row["person_id"])
        changes = []
        if row["status"] == "not_eligible":
            changes = engine.nearest_changes(c, household, members, crit, i)
        if i is not None:
            crit, form = engine._member_view(crit, i), engine._member_view(form, i)
        found.append(
            (
                c.id,
                row["person_id"],
                i,
                row["status"],
                row["reason"],
                row["amount"],
                row["missing"] or [],
                crit,
                form,
                changes,
            )
        )
    return found


def explained_at_once(households, people, programmes, changes=True) -> list[tuple]:
    return [
        (
            r.compiled.id,
            r.person_id,
            r.member,
            r.status,
            r.reason,
            r.amount,
            r.missing,
            r.criteria,
            r.formula,
            r.changes,
        )
        for r in engine.explain(households, people, programmes, changes=changes)
    ]


def extra_programmes(municipality: str) -> list[engine.Compiled]:
    """Rules beside the shipped ones: aggregations, `if`, `min`, division, a municipality's
    own, and one aggregation read by two programmes with different parameter values (as a
    simulation's changed programme reads its own)."""
    young = "count(members, member.age < param.young)"
    shapes = [
        ("household", f"{young} >= 1 and household.rating_score <= 100000", f"20 * {young}", 6),
        ("household", f"{young} >= 1 and household.rating_score <= 100000", f"20 * {young}", 16),
        (
            "household",
            'any(members, member.disability_degree == "severe") or all(members, member.is_idp)',
            "round(sum(members, member.monthly_income) / household.size, 2)",
            0,
        ),
        (
            "person",
            "person.age >= 60 and not household.is_highland",
            "if(person.monthly_income < 100, min(50, household.rating_score / 1000), 25)",
            0,
        ),
    ]
    return [
        engine.compile_rules(
            id=-1 - n,
            code=f"extra_{n}",
            level=level,
            criteria=criteria,
            formula=formula,
            params={"young": age},
            municipality=municipality if n == len(shapes) - 1 else None,
        )
        for n, (level, criteria, formula, age) in enumerate(shapes)
    ]


def test_explaining_at_once_gives_what_explaining_rule_by_rule_gave(generated):
    """`engine.explain` evaluates every part of every programme's rules once, on the frames
    `decide` reads: for households of every kind of outcome (met, not met, data missing) and
    every programme, its decisions, trees and nearest changes are those of deciding first and
    evaluating each rule again on its own."""
    on = timezone.localdate()
    registry = registry_frames(on=on)
    households, people = engine.attribute_frames(registry, latest_scores(on=on), on=on)
    place = households["municipality"][0]
    programmes = compiled_programmes(on=on) + extra_programmes(place)
    bulk = engine.decide(households, people, programmes)
    # For each programme the first five households with each outcome, and some more.
    first = bulk.filter(pl.int_range(pl.len()).over("programme_id", "status", "reason") < 5)
    ids = sorted(set(first["household_id"]) | set(households["id"][::100]))
    statuses, places = set(), set()
    for household_id in ids:
        one_hh = households.filter(pl.col("id") == household_id)
        one_people = people.filter(pl.col("household_id") == household_id)
        expected = explained_rule_by_rule(one_hh, one_people, programmes)
        assert explained_at_once(one_hh, one_people, programmes) == expected, household_id
        statuses |= {e[3] for e in expected}
        places.add(one_hh["municipality"][0])
    assert statuses == {"eligible", "not_eligible", "needs_data"} and place in places


# Households as the screener gives them: (household, members, rating score).
ANSWERED = [
    # A family with children, scored: met and not met.
    (
        {"municipality": "kutaisi"},
        [
            {"birth_date": years_ago(38), "sex": "M", "income": 300},
            {"birth_date": years_ago(9), "sex": "F", "disability_degree": "severe"},
            {"birth_date": years_ago(4), "sex": "M", "income": 0},
        ],
        48000,
    ),
    # A pensioner with no score and no income given: needs data.
    (
        {"municipality": "tbilisi", "is_highland": True},
        [{"birth_date": years_ago(72), "sex": "F", "pension_kind": "old_age"}],
        None,
    ),
    # Displaced, one member's status unknown; no place: the state's programmes only.
    (
        {},
        [
            {"birth_date": years_ago(50), "sex": "F", "is_idp": True, "income": 200},
            {"birth_date": years_ago(16), "sex": "M"},
        ],
        70000,
    ),
]


def test_households_given_as_data_are_explained_at_once_as_rule_by_rule():
    """The screener's path: answers as data, the shipped programmes and more, with and without
    the nearest changes (the screener asks for none)."""
    programmes = compiled_programmes(on=ON) + extra_programmes("kutaisi")
    statuses, left_out, lacking = set(), 0, set()
    for household, members, score in ANSWERED:
        registry = data_frames(household, members, on=ON)
        scores = pl.DataFrame(
            {"household_id": [0], "rating_score": [score]},
            schema={"household_id": pl.Int64, "rating_score": pl.Float64},
        )
        households, people = engine.attribute_frames(registry, scores, on=ON)
        expected = explained_rule_by_rule(households, people, programmes)
        assert explained_at_once(households, people, programmes) == expected, household
        without = [(*e[:-1], []) for e in expected]
        assert explained_at_once(households, people, programmes, changes=False) == without
        statuses |= {e[3] for e in expected}
        left_out += sum(len(e[-1]) for e in expected)
        lacking |= {tuple(e[6]) for e in expected if e[3] == "needs_data"}
    assert statuses == {"eligible", "not_eligible", "needs_data"} and left_out > 0
    # Undecided for lack of a household's, a member's and a person's own attribute.
    assert {"household.rating_score", "person.is_idp", "person.monthly_income"} <= {
        label for labels in lacking for label in labels
    }


def test_a_rule_that_cannot_be_evaluated_on_a_date_is_refused_naming_the_programme():
    from zrunva.programmes.models import Programme

    Programme.objects.filter(code="tsa").update(criteria="household.rating_score <= param.gone")
    with pytest.raises(ValidationError) as err:
        compiled_programmes(on=ON)
    assert "tsa" in err.value.messages[0] and '"param.gone"' in err.value.messages[0]


def test_compiled_rules_are_checked_like_saved_ones():
    with pytest.raises(expressions.ExpressionError) as err:
        engine.compile_rules(
            id=1, code="x", level="household", criteria="household.sise > 1", formula="1", params={}
        )
    assert "household.size" in str(err.value)


def test_text_values_outside_the_attributes_closed_set_are_refused():
    with pytest.raises(expressions.ExpressionError) as err:
        engine.compile_rules(
            id=1,
            code="x",
            level="person",
            criteria='person.disability_degree == "sever"',
            formula="1",
            params={},
        )
    assert str(err.value) == (
        '"sever" at column 29 is not a value of person.disability_degree, which is one of: '
        '"none", "moderate", "significant", "severe"; did you mean "severe"?'
    )


@pytest.mark.parametrize(
    "born,on,age",
    [
        (date(2000, 2, 29), date(2025, 2, 28), 24),
        (date(2000, 2, 29), date(2025, 3, 1), 25),
        (date(2000, 2, 29), date(2028, 2, 29), 28),
        (date(1990, 12, 31), date(2026, 12, 30), 35),
        (date(1990, 12, 31), date(2026, 12, 31), 36),
        (date(2026, 11, 25), date(2026, 11, 25), 0),
        (date(1901, 1, 1), date(2026, 1, 1), 125),
    ],
)
def test_ages_count_completed_years(born, on, age):
    from zrunva.registry.columns import ages_on

    assert ages_on(pl.Series([born]), on).to_list() == [age]


# -- Issue 9, finding 17 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "per_child"), [(date(2015, 6, 1), 10), (date(2021, 3, 1), 50), (date(2021, 7, 1), 100)]
)
def test_the_child_benefit_on_earlier_dates(on, per_child):
    from zrunva.registry.models import Membership

    household = factories.household(head={"birth_date": date(1980, 1, 1)})
    factories.member(household, birth_date=date(2012, 1, 1))
    factories.member(household, birth_date=date(2014, 1, 1))
    Membership.objects.filter(household=household).update(start_date=date(2014, 6, 1))
    assess(household, 50000, visit=date(2015, 1, 10))
    (child_benefit,) = by_code(household_explanation(household=household, on=on), "child_benefit")
    assert (child_benefit.status, child_benefit.amount) == ("eligible", 2 * per_child)


def test_a_programme_before_its_start_is_not_in_force_not_left_out():
    household = factories.household(head={"birth_date": date(1950, 1, 1)})
    results = household_explanation(household=household, on=ON)
    assert {r.compiled.code for r in results if r.status == "not_in_force"} == set()
    from zrunva.programmes.models import Programme

    Programme.objects.filter(code="state_pension").update(valid_from=ON + timedelta(days=1))
    results = household_explanation(household=household, on=ON)
    (pension,) = by_code(results, "state_pension")
    assert (pension.status, pension.reason, pension.amount) == (
        "not_in_force",
        "not_in_force",
        None,
    )
    assert pension.criteria is None and pension.compiled.programme.code == "state_pension"
    assert {r.compiled.code for r in results} >= {"tsa", "child_benefit", "state_pension"}


def test_a_programme_given_twice_is_refused_rather_than_mixed_up():
    """One household's decisions are told apart by programme id."""
    household, members, score = ANSWERED[0]
    registry = data_frames(household, members, on=ON)
    scores = pl.DataFrame(
        {"household_id": [0], "rating_score": [score]},
        schema={"household_id": pl.Int64, "rating_score": pl.Float64},
    )
    households, people = engine.attribute_frames(registry, scores, on=ON)
    programmes = compiled_programmes(on=ON)
    with pytest.raises(ValueError, match="twice"):
        engine.explain(households, people, programmes + programmes[:1])
