"""The registry's snapshot gives the rows the four-table join gives, on any date, after any
change, reading again only the households that changed."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from polars.testing import assert_frame_equal

from zrunva.geo.models import Settlement
from zrunva.registry import population, snapshot
from zrunva.registry.columns import joined_frames, registry_frames
from zrunva.registry.models import Household, IncomeSource, Membership, Person
from zrunva.registry.tests import factories

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
]

TODAY = timezone.localdate()
DATES = [TODAY, TODAY - timedelta(days=400), date(1995, 6, 1), TODAY + timedelta(days=40)]


def same(on, municipality_ids=None):
    ours = registry_frames(on=on, municipality_ids=municipality_ids)
    theirs = joined_frames(on=on, municipality_ids=municipality_ids)
    assert_frame_equal(ours.households, theirs.households)
    assert_frame_equal(ours.people, theirs.people)
    return ours


def parts() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_snapshot_part")
        return cursor.fetchone()[0]


@pytest.fixture
def generated():
    population.population_generate(households=150, seed=5, progress=False)


def test_the_snapshot_gives_the_joined_rows_on_any_date(generated):
    assert snapshot.refresh()["rebuilt"] == "all"
    for on in DATES:
        frames = same(on)
    assert frames.people.height > 0
    some = list(Household.objects.values_list("municipality_id", flat=True).distinct()[:2])
    same(TODAY, some)
    assert snapshot.refresh()["rebuilt"] == 0


def test_changes_are_read_again_for_their_households_only(generated):
    snapshot.refresh()
    households = list(Household.objects.order_by("id")[:6])
    person = Membership.objects.filter(household=households[0]).first().person
    Person.objects.filter(pk=person.pk).update(date_of_death=TODAY - timedelta(days=3))
    Membership.objects.filter(household=households[1]).update(end_date=TODAY)
    Household.objects.filter(pk=households[2].pk).update(is_active=False)
    earner = Membership.objects.filter(household=households[3]).first().person
    IncomeSource.objects.create(
        person=earner,
        kind=IncomeSource._meta.get_field("kind").choices[0][0],
        monthly_amount="123.45",
        since=TODAY - timedelta(days=10),
    )
    IncomeSource.objects.filter(person__memberships__household=households[4]).delete()
    mover = Membership.objects.filter(household=households[5]).first()
    Membership.objects.filter(pk=mover.pk).update(end_date=TODAY - timedelta(days=1))
    Membership.objects.create(
        household=households[0],
        person=mover.person,
        relationship="other",
        start_date=TODAY - timedelta(days=1),
    )
    if households[0].settlement_id:
        Settlement.objects.filter(pk=households[0].settlement_id).update(is_highland=True)
    factories.household("kutaisi")
    done = snapshot.refresh()
    assert 6 <= done["rebuilt"] <= 10 and done["parts"] == 2
    for on in DATES:
        same(on)


def test_parts_are_merged_past_a_few(generated):
    snapshot.refresh()
    household = Household.objects.order_by("id").first()
    for rooms in range(1, snapshot.MAX_PARTS + 3):
        Household.objects.filter(pk=household.pk).update(rooms=rooms)
        snapshot.refresh()
        assert parts() <= snapshot.MAX_PARTS
        same(TODAY)
    assert registry_frames(on=TODAY).households.filter(id=household.pk)["rooms"].item() == rooms


def test_ended_incomes_count_until_their_end_and_are_read_again_once_ended(generated):
    snapshot.refresh()
    incomes = list(IncomeSource.objects.order_by("id")[:40])
    ends = [TODAY - timedelta(days=400 - 15 * i) for i in range(len(incomes))]
    for income, end in zip(incomes, ends, strict=True):
        until = max(end, income.since) if income.since else end
        IncomeSource.objects.filter(pk=income.pk).update(until=until)
    assert snapshot.refresh()["rebuilt"] > 0
    for on in [*DATES, *ends[::5], *(end - timedelta(days=1) for end in ends[::5])]:
        same(on)
