"""What a run reads as in force (`Decision.until`), and the registry rows its decisions refer to,
checked as one set instead of by per-row foreign keys."""

from datetime import timedelta
from decimal import Decimal

import polars as pl
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.assessment.tests.factories import assess
from zrunva.programmes.models import Decision
from zrunva.programmes.runs import check_references, previous_decisions
from zrunva.programmes.tests.factories import eligibility_run, family_and_pensioner
from zrunva.registry.columns import RegistryFrames, registry_frames
from zrunva.registry.models import Household, Membership, Person
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = (THIS_MONTH - timedelta(days=1)).replace(day=1)


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture
def family():
    """A poor couple with a child in Kutaisi, and a pensioner alone in Tbilisi."""
    return family_and_pensioner()


@pytest.fixture(autouse=True)
def settled(family):
    """The family lived where it lives since before last month."""
    Membership.objects.update(start_date=LAST_MONTH - timedelta(days=60))


def rows(code: str) -> list[tuple]:
    """A programme's rows: (month, until, amount), oldest first."""
    return list(
        Decision.objects.filter(programme__code=code)
        .order_by("period")
        .values_list("period", "until", "amount")
    )


def in_force(period) -> set[tuple]:
    ids = list(Decision.objects.values_list("programme_id", flat=True).distinct())
    frame = previous_decisions(period=period, programme_ids=ids)
    return set(frame.select("decision_id", "period").rows())


def test_a_later_months_run_ends_the_rows_it_supersedes(admin, family):
    household, child, pensioner = family
    eligibility_run(LAST_MONTH, actor=admin)
    assert rows("tsa") == [(LAST_MONTH, None, Decimal("180.00"))]
    # Re-assessed this month above the TSA threshold: 90 GEL from this month on.
    assess(household, 61000, visit=THIS_MONTH)
    eligibility_run(THIS_MONTH, actor=admin)
    assert rows("tsa") == [
        (LAST_MONTH, LAST_MONTH, Decimal("180.00")),
        (THIS_MONTH, None, Decimal("90.00")),
    ]
    # The unchanged decisions go on from last month.
    assert rows("child_benefit") == [(LAST_MONTH, None, Decimal("200.00"))]
    assert eligibility_run(THIS_MONTH, actor=admin).summary["changed"] == 0
    # Last month's decisions are still what they were, as read for a run of that month.
    assert {p for _, p in in_force(LAST_MONTH)} == {LAST_MONTH}
    assert {p for _, p in in_force(THIS_MONTH)} == {LAST_MONTH, THIS_MONTH}


def test_an_earlier_months_run_after_a_later_one_keeps_the_later_rows(admin, family):
    household, child, pensioner = family
    eligibility_run(LAST_MONTH, actor=admin)
    assess(household, 61000, visit=THIS_MONTH)
    eligibility_run(THIS_MONTH, actor=admin)
    # A visit found last month what this month's found: last month is decided again.
    assess(household, 61000, visit=LAST_MONTH)
    again = eligibility_run(LAST_MONTH, actor=admin)
    assert again.summary["changed"] == 1
    assert rows("tsa") == [
        (LAST_MONTH, LAST_MONTH, Decimal("90.00")),
        (THIS_MONTH, None, Decimal("90.00")),
    ]
    assert eligibility_run(THIS_MONTH, actor=admin).summary["changed"] == 0
    assert eligibility_run(LAST_MONTH, actor=admin).summary["changed"] == 0


def test_an_earlier_month_decided_after_a_later_one_ends_before_it(admin, family):
    eligibility_run(THIS_MONTH, actor=admin)
    first = eligibility_run(LAST_MONTH, actor=admin)
    assert first.summary["changed"] == 3
    for code in ("tsa", "child_benefit", "state_pension"):
        assert [(p, u) for p, u, _ in rows(code)] == [(LAST_MONTH, LAST_MONTH), (THIS_MONTH, None)]
    assert {p for _, p in in_force(LAST_MONTH)} == {LAST_MONTH}
    assert {p for _, p in in_force(THIS_MONTH)} == {THIS_MONTH}
    assert eligibility_run(THIS_MONTH, actor=admin).summary["changed"] == 0
    assert eligibility_run(LAST_MONTH, actor=admin).summary["changed"] == 0


def references(households, people) -> pl.DataFrame:
    return pl.DataFrame(
        {"household_id": households, "person_id": people},
        schema={"household_id": pl.Int64, "person_id": pl.Int64},
    )


def test_decisions_for_households_or_people_not_in_the_registry_are_refused(family):
    household, child, pensioner = family
    check_references(references([household.pk, pensioner.pk], [child.pk, None]))
    with pytest.raises(ValidationError) as err:
        check_references(references([household.pk, 999_999, 999_998], [None, None, None]))
    assert err.value.messages == [
        "The run's decisions refer to households not in the registry: 999998, 999999."
    ]
    with pytest.raises(ValidationError) as err:
        check_references(references([household.pk], [888_888]))
    assert err.value.messages == [
        "The run's decisions refer to people not in the registry: 888888."
    ]


def test_a_household_or_person_with_decisions_is_never_deleted(admin, family):
    household, child, pensioner = family
    eligibility_run(THIS_MONTH, actor=admin)
    with pytest.raises(ProtectedError):
        Household.objects.filter(pk=household.pk).delete()
    person = Decision.objects.filter(person__isnull=False).first().person
    with pytest.raises(ProtectedError):
        Person.objects.filter(pk=person.pk).delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
@pytest.mark.parametrize("table", ["registry_household", "registry_person"])
def test_postgresql_refuses_to_delete_registry_rows_below_the_orm(table):
    household = factories.household("kutaisi")
    row = household.pk if table == "registry_household" else household.memberships.get().person_id
    with (
        pytest.raises(IntegrityError, match="never deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row])  # noqa: S608


def test_only_what_the_run_did_not_read_from_the_registry_is_looked_up(family):
    household, child, pensioner = family
    registry = registry_frames(on=TODAY)
    with pytest.raises(ValidationError) as err:
        check_references(references([household.pk, 999_999], [child.pk, None]), registry)
    assert err.value.messages == [
        "The run's decisions refer to households not in the registry: 999999."
    ]
    # A household the run read is taken as there: households are never deleted.
    read = RegistryFrames(
        registry.households.vstack(
            registry.households.with_columns(id=pl.lit(999_999, dtype=pl.Int64))
        ),
        registry.people,
    )
    check_references(references([household.pk, 999_999], [child.pk, None]), read)
