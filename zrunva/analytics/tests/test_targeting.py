"""Coverage and targeting against hand-computed figures (deciles, coverage, inclusion and
exclusion errors, incidence, disparity ratios), and the page on a registry."""

from datetime import date

import numpy as np
import pytest
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.analytics import targeting
from zrunva.applications.tests.factories import tsa_enrolment
from zrunva.registry.models import IncomeSource, Person
from zrunva.registry.tests import factories

# Five households: ids 1–5, welfare per person 50, 10, 30, 20, 40, members 2, 3, 1, 2, 2 (10
# people). Ranked: 2 (people before it 0), 4 (3), 3 (5), 5 (6), 1 (8): deciles
# floor(10 × before / 10) + 1 = 1, 4, 6, 7, 9.
IDS = np.array([1, 2, 3, 4, 5])
WELFARE = np.array([50.0, 10.0, 30.0, 20.0, 40.0])
PEOPLE = np.array([2, 3, 1, 2, 2])


def test_deciles_and_quintiles():
    assert targeting.deciles(WELFARE, PEOPLE, IDS).tolist() == [9, 1, 6, 4, 7]
    # Quintiles: floor(5 × before / 10) + 1 = 1, 2, 3, 4, 5.
    assert targeting.deciles(WELFARE, PEOPLE, IDS, groups=5).tolist() == [5, 1, 3, 2, 4]
    # Ties go by id: household 1 before household 2 at the same welfare.
    assert targeting.deciles(np.array([5.0, 5.0]), np.array([1, 1]), np.array([2, 1])).tolist() == [
        6,
        1,
    ]


def test_measures_well_targeted():
    # Households 2, 4 and 5 receive 100, 50 and 30 GEL: the poorest decile (household 2, the
    # whole target quintile) covered; 7 of 10 people covered, 4 of them not in the target.
    m = targeting.measures(WELFARE, PEOPLE, IDS, np.array([0, 100, 0, 50, 30]))
    assert m.coverage_decile == 1.0
    assert m.coverage_quintile == 1.0
    assert m.coverage_all == pytest.approx(0.7)
    assert m.exclusion_error == 0.0
    assert m.inclusion_error == pytest.approx(4 / 7)
    assert m.incidence == pytest.approx([100 / 180, 0, 0, 50 / 180, 0, 0, 30 / 180, 0, 0, 0])
    assert m.people_by_decile.tolist() == [3, 0, 0, 2, 0, 1, 2, 0, 2, 0]


def test_measures_badly_targeted():
    # The poorest household receives nothing; households 1, 4, 5 do (6 people).
    m = targeting.measures(WELFARE, PEOPLE, IDS, np.array([20, 0, 0, 50, 30]))
    assert m.coverage_decile == 0.0
    assert m.exclusion_error == 1.0
    assert m.inclusion_error == 1.0
    assert m.coverage_all == pytest.approx(0.6)
    assert m.incidence[8] == pytest.approx(20 / 100)


def test_disparity_ratios():
    got = targeting.disparity(
        np.array([True, True, False, False, True, False]),
        np.array(["a", "a", "b", "b", "c", "c"]),
    )
    # Everyone: 3 of 6 covered (0.5); a: 2 of 2 (ratio 2); b: 0 of 2 (0); c: 1 of 2 (1).
    assert [(g["group"], g["people"], g["coverage"], g["ratio"]) for g in got] == [
        ("a", 2, 1.0, 2.0),
        ("b", 2, 0.0, 0.0),
        ("c", 2, 0.5, 1.0),
    ]


def test_too_few_covered_or_not_covered():
    assert not targeting.too_few(40, 20)
    assert targeting.too_few(40, 5)  # five covered
    assert targeting.too_few(40, 35)  # five not covered: a ratio near 1 tells about them
    assert targeting.too_few(40, 0)  # a ratio of 0: nobody of the group covered
    assert targeting.too_few(9, 4)


@pytest.mark.django_db
def test_targeting_on_the_registry(login_as):
    # Twelve one-person households in Kutaisi with incomes 100, 200, ..., 1200 GEL; the two
    # poorest and the richest enrolled in the TSA.
    households = []
    for n in range(1, 13):
        household = factories.household("kutaisi", head={"birth_date": date(1970 + n, 1, 1)})
        person = household.memberships.get().person
        IncomeSource.objects.create(
            person=person, kind="wages", monthly_amount=100 * n, since=date(2020, 1, 1)
        )
        households.append(household)
    Person.objects.filter(pk=households[0].memberships.get().person_id).update(
        disability_degree="severe"
    )
    for household in (households[0], households[1], households[11]):
        tsa_enrolment(household)  # from February 2023
    today = timezone.localdate()
    found = targeting.targeting(scope=None, suppress=False, measure=targeting.INCOME, on=today)
    assert found.households == 12 and found.people == 12
    # Deciles of 12 people: floor(10 × before / 12) + 1 → the poorest two are deciles 1 and 1.
    assert found.result.coverage_decile == 1.0
    # The poorest quintile: before < 2.4 → the poorest three; two of them covered.
    assert found.result.coverage_quintile == pytest.approx(2 / 3)
    assert found.result.inclusion_error == pytest.approx(1 / 3)
    # One person with a disability, covered (1 of 1); everyone: 3 of 12 covered.
    disability = {row["group"]: row for row in found.groups["disability"]}
    assert disability["With a disability"]["people"] == 1
    assert disability["With a disability"]["ratio"] == pytest.approx(1 / (3 / 12))
    assert disability["Without a recorded disability"]["people"] == 11
    # Suppressed for an analyst: deciles of one or two people, the groups of under ten.
    hidden = targeting.targeting(scope=None, suppress=True, measure=targeting.INCOME, on=today)
    assert all(d["hidden"] for d in hidden.deciles)
    # 12 people aged 18–64, but only 3 of them covered: their coverage would tell about each
    # of the three, so the row is suppressed (as it would be with 3 not covered).
    ages = {row["group"]: row for row in hidden.groups["age"]}
    assert ages["18–64"]["people"] is None and ages["18–64"]["ratio"] is None
    shown = targeting.targeting(scope=None, suppress=False, measure=targeting.INCOME, on=today)
    assert {row["group"]: row for row in shown.groups["age"]}["18–64"]["covered"] == 3
    # The one person with a disability is suppressed, and so are the 11 without (their total,
    # 12, is shown: the one would be 12 − 11).
    hidden_disability = {row["group"]: row for row in hidden.groups["disability"]}
    assert hidden_disability["With a disability"]["people"] is None
    assert hidden_disability["Without a recorded disability"]["people"] is None
    analyst = login_as(Role.ANALYST)
    page = analyst.get(f"/en/analytics/targeting/?measure=income&month={today:%Y-%m}")
    assert page.status_code == 200
    assert b"Exclusion error" in page.content and b"Method" in page.content
    # Twelve people: the poorest decile's two and the quintile's three are too few to show.
    summary = page.content.split(b"Benefit incidence by decile")[0]
    assert summary.count(b"suppressed") >= 3
