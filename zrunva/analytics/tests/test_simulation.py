"""Simulations against outcomes worked out by hand for three households (tests/factories.py),
and against the eligibility run of the same rules on the same data."""

from decimal import Decimal

import polars as pl
import pytest
from django.core.exceptions import ValidationError

from zrunva.accounts.choices import Role
from zrunva.analytics import scenarios
from zrunva.analytics.tests.factories_simulation import scenario, simulated, three_households
from zrunva.programmes.models import Decision, Programme
from zrunva.programmes.tests.factories import ON, eligibility_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(make_user):
    return make_user(Role.ANALYST)


@pytest.fixture
def households():
    return three_households()


@pytest.fixture
def child_benefit():
    return Programme.objects.get(code="child_benefit")


def per_household(run) -> dict[int, tuple[int, int]]:
    frame = scenarios.per_household(run)
    return {r["household_id"]: (r["baseline"], r["scenario"]) for r in frame.to_dicts()}


def test_unchanged_parameters_give_the_eligibility_runs_decisions(
    analyst, households, child_benefit
):
    eligibility = eligibility_run(ON)
    # The child benefit "changed" to the amount it has today: the same rules.
    run = simulated(
        analyst, scenario(analyst, changes=[(child_benefit, {"child_benefit_amount": "200"})])
    )
    decided = (
        pl.DataFrame(
            list(
                Decision.objects.filter(run=eligibility, status="eligible").values(
                    "household_id", "amount"
                )
            )
        )
        .group_by("household_id")
        .agg(tetri=(pl.col("amount").cast(pl.Float64) * 100).round().cast(pl.Int64).sum())
    )
    expected = dict(decided.rows())
    a, b, c = households
    assert expected == {a.pk: 38000, c.pk: 49500}
    assert per_household(run) == {
        a.pk: (38000, 38000),
        b.pk: (0, 0),
        c.pk: (49500, 49500),
    }
    national = run.summary["national"]
    assert national["scenario_bands"]["no_change"] == {"households": 3, "people": 7}
    assert national["baseline"]["cost_month"] == national["scenario"]["cost_month"] == "875.00"


def test_a_higher_threshold_and_amount_make_the_expected_winners(
    analyst, households, child_benefit
):
    a, b, c = households
    run = simulated(
        analyst,
        scenario(
            analyst,
            changes=[
                (
                    child_benefit,
                    {"child_benefit_max_score": "150000", "child_benefit_amount": "250"},
                )
            ],
        ),
    )
    assert per_household(run) == {
        a.pk: (38000, 43000),  # +50: a gain up to 50 GEL
        b.pk: (0, 25000),  # +250: newly eligible
        c.pk: (49500, 49500),
    }
    national = run.summary["national"]
    assert national["scenario_bands"] == {
        "gain_over_50": {"households": 1, "people": 3},
        "gain_up_to_50": {"households": 1, "people": 3},
        "no_change": {"households": 1, "people": 1},
        "loss": {"households": 0, "people": 0},
    }
    assert national["baseline"]["cost_month"] == "875.00"
    assert national["scenario"]["cost_month"] == "1175.00"
    assert national["scenario"]["cost_year"] == "14100.00"
    assert national["baseline"]["recipient_households"] == 2
    assert national["scenario"]["recipient_households"] == 3
    assert national["scenario"]["recipient_people"] == 7
    by_code = {p["code"]: p for p in run.summary["programmes"]}
    assert by_code["child_benefit"]["scenario"] == {"recipients": 2, "cost_month": "500.00"}
    assert by_code["child_benefit"]["changed"] and not by_code["tsa"]["changed"]


def test_poverty_and_inequality_by_hand(analyst, households, child_benefit):
    run = simulated(
        analyst, scenario(analyst, changes=[(child_benefit, {"child_benefit_amount": "200"})])
    )
    summary = run.summary
    # Welfare per person under the rules in force: A (380 + 150) / 3, B 600 / 3, C 495:
    # people 176.67 ×3, 200 ×3, 495: the median is the fourth, 200; 60% of it is 120.
    assert summary["poverty_line"] == 120.0
    national = summary["national"]
    assert national["baseline"]["headcount"] == 0
    # Before benefits: A 50 ×3 and C 0 are below 120: 4 of 7 people; the gap
    # (3 × 70/120 + 1 × 1) / 7.
    before = national["before_benefits"]
    assert before["headcount"] == pytest.approx(4 / 7)
    assert before["poverty_gap"] == pytest.approx((3 * 70 / 120 + 1) / 7)
    # Gini: Σ|xᵢ − xⱼ| over ordered pairs = 2 × (9 × 23.33 + 3 × 318.33 + 3 × 295) = 4,100;
    # 2 n² mean = 2 × 49 × 1,625 / 7 = 22,750.
    assert national["baseline"]["gini"] == pytest.approx(4100 / 22750, abs=1e-5)
    # The poorest tenth of people by welfare before benefits is the pensioner, paid.
    assert national["baseline"]["poorest_decile_coverage"] == 1.0
    regions = {r["region_id"]: r for r in summary["regions"]}
    a, b, c = households
    assert regions[a.municipality.region_id]["households"] == 2
    assert regions[c.municipality.region_id]["baseline"]["cost_month"] == "495.00"


def test_a_lower_threshold_makes_a_loser(analyst, households, child_benefit):
    a, b, c = households
    run = simulated(
        analyst, scenario(analyst, changes=[(child_benefit, {"child_benefit_max_score": "20000"})])
    )
    assert per_household(run)[a.pk] == (38000, 18000)
    assert run.summary["national"]["scenario_bands"]["loss"] == {"households": 1, "people": 3}
    assert scenarios.extremes(run, actor=analyst)["losers"][0]["household_id"] == a.pk


def test_the_budget_cap_pays_the_poorest_first(analyst, households, child_benefit):
    a, b, c = households
    # Child benefit 250 for A and B: 3,000 GEL a year each. Poorest first by welfare before
    # benefits: C (0, no child), A (50), B (200): within 4,000 only A is paid.
    run = simulated(
        analyst,
        scenario(
            analyst,
            budget_cap=Decimal("4000"),
            changes=[
                (
                    child_benefit,
                    {"child_benefit_max_score": "150000", "child_benefit_amount": "250"},
                )
            ],
        ),
    )
    frame = scenarios.per_household(run)
    capped = dict(frame.select("household_id", "capped").rows())
    assert capped == {a.pk: 43000, b.pk: 0, c.pk: 49500}
    national = run.summary["national"]
    assert national["capped"]["cost_month"] == "925.00"
    assert national["capped_bands"]["gain_over_50"]["households"] == 0
    assert run.summary["budget_cap"] == "4000.00"


def test_a_rule_that_does_not_parse_gets_the_editors_positioned_message(
    analyst, households, child_benefit
):
    created = scenario(analyst)
    with pytest.raises(ValidationError) as error:
        scenarios.scenario_change_set(
            actor=analyst,
            scenario=created,
            programme=child_benefit,
            parameters={},
            criteria="household.rating_score <=",
        )
    message = error.value.message_dict["criteria"][0]
    assert message == "The expression ends too early at column 26"
    from zrunva.programmes.services import rule_check

    assert message == rule_check(
        "household.rating_score <=",
        level="household",
        field="criteria",
        municipality_id=None,
        on=ON,
    )


@pytest.mark.parametrize(
    ("code", "value", "message"),
    [
        ("child_benefit_amount", "-5", "An amount cannot be negative."),
        ("child_benefit_age_limit", "130", "An age limit cannot be over 120 years."),
        ("child_benefit_max_score", "3000000000", "Give a value from 0 to 2,147,483,647."),
        ("child_benefit_amount", "many", "Give a number."),
        ("no_such_parameter", "5", "This programme cannot read a parameter no_such_parameter."),
    ],
)
def test_a_parameter_out_of_range_is_refused_on_its_field(
    analyst, child_benefit, code, value, message
):
    created = scenario(analyst)
    with pytest.raises(ValidationError) as error:
        scenarios.scenario_change_set(
            actor=analyst, scenario=created, programme=child_benefit, parameters={code: value}
        )
    assert error.value.message_dict == {f"parameters.{code}": [message]}
