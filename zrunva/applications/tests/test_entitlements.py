"""Issue 10: one answer to "who is entitled to what this month" — decisions stored as month
intervals with their basis, read by application decisions and by the entitlement selectors,
exact to the tetri."""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from zrunva.applications.choices import Status
from zrunva.applications.selectors import entitlement, entitlements
from zrunva.applications.services import application_transition
from zrunva.applications.tests.factories import pension_application
from zrunva.core.money import gel, tetri
from zrunva.programmes.choices import DecisionStatus
from zrunva.programmes.models import Decision, ParameterValue, Programme, RuleSet
from zrunva.programmes.tests.factories import eligibility_run
from zrunva.registry import services as registry
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
MONTH = TODAY.replace(day=1)
NEXT = MONTH + relativedelta(months=1)


def _pensioner_rows(person_id: int) -> list[tuple]:
    return list(
        Decision.objects.filter(programme__code="state_pension", person_id=person_id)
        .order_by("period")
        .values_list("period", "until", "status", "amount", "run_id", "application_id")
    )


# -- Money ---------------------------------------------------------------------------------


def test_amounts_are_rounded_half_up_to_the_tetri_as_written_not_as_the_float_falls():
    floats = [1.005, 2.675, 324.50000000000006, 0.125, -1.005, 0.004, 99999999.99]
    rounded = pl.select(tetri(pl.Series(floats))).to_series().to_list()
    assert rounded == [Decimal(x) for x in ("1.01", "2.68", "324.50", "0.13", "-1.01", "0.00")] + [
        Decimal("99999999.99")
    ]
    # One rounding for one value too, and no amount from a value no column can hold.
    assert gel(2.675) == Decimal("2.68") and gel(Decimal("1.005")) == Decimal("1.01")
    beyond = pl.select(tetri(pl.Series([float("inf"), float("nan"), 1e11]))).to_series()
    assert beyond.null_count() == 3


# -- A run and an application agree -----------------------------------------------------------


def test_an_application_decided_after_a_run_reads_the_runs_decision_for_the_month():
    application, officer = pension_application(birth_date=date(1950, 2, 1))
    application.refresh_from_db()
    person_id = application.household.memberships.get().person_id
    run = eligibility_run(TODAY)
    [(period, until, status, amount, run_id, _app)] = _pensioner_rows(person_id)
    assert (period, until, status, run_id) == (MONTH, None, "eligible", run.pk)

    application_transition(actor=officer, application=application, to=Status.DECIDED)
    application.refresh_from_db()
    reasons = application.decision_reasons
    assert reasons["source"] == "run" and reasons["run"] == run.pk
    # The same row, the same amount: nothing new is stored for the month.
    assert application.decision.run_id == run.pk and application.decision_amount == amount
    assert reasons["amount"] == f"{amount:.2f}" and len(_pensioner_rows(person_id)) == 1


def test_a_change_in_the_household_since_the_run_is_decided_again_and_stored():
    application, officer = pension_application(birth_date=date(1950, 2, 1))
    application.refresh_from_db()
    person = application.household.memberships.get().person
    run = eligibility_run(TODAY)
    # An income recorded after the run: the run's decision is no longer the household's.
    registry.income_add(
        actor=factories.system_actor(),
        person=person,
        data={"kind": "wages", "monthly_amount": "10.00", "since": date(2024, 1, 1)},
    )
    application_transition(actor=officer, application=application, to=Status.DECIDED)
    application.refresh_from_db()
    assert application.decision_reasons["source"] == "application"
    [(period, until, status, amount, run_id, app_id)] = _pensioner_rows(person.pk)
    # The month's row is now the application's, with the rules it was decided under.
    assert (period, until, status, run_id, app_id) == (
        MONTH,
        None,
        "eligible",
        None,
        application.pk,
    )
    assert application.decision.rules.parameters["pension_from_70"]["value"] == "495.0000"
    assert run.decisions.filter(person_id=person.pk).count() == 0


def test_an_application_decided_with_no_run_stores_its_programme_alone():
    application, officer = pension_application(birth_date=date(1950, 2, 1))
    application.refresh_from_db()
    application_transition(actor=officer, application=application, to=Status.DECIDED)
    stored = Decision.objects.get()
    assert stored.programme.code == "state_pension" and stored.application_id == application.pk
    assert (stored.period, stored.until, stored.amount) == (MONTH, None, Decimal("495.00"))
    rules = RuleSet.objects.get(pk=stored.rules_id)
    assert rules.formula == stored.programme.formula
    assert set(rules.parameters) == {
        "pension_age_men",
        "pension_age_women",
        "pension_from_70",
        "pension_under_70",
        "pension_highland_supplement",
    }


# -- Entitlements -----------------------------------------------------------------------------


def test_the_entitlement_follows_the_enrolment_and_a_january_rise_with_no_edit():
    application, officer = pension_application(birth_date=date(1950, 2, 1))
    application.refresh_from_db()
    application_transition(actor=officer, application=application, to=Status.DECIDED)
    application_transition(actor=officer, application=application, to=Status.ENROLLED)
    enrolment = application.enrolment
    person_id = enrolment.person_id
    assert enrolment.starts == NEXT

    def one(month):
        return entitlement(
            programme_id=enrolment.programme_id,
            household_id=enrolment.household_id,
            person_id=person_id,
            month=month,
        )

    # Not paid before the enrolment starts; from then, the decided amount.
    assert one(MONTH) is None
    assert one(NEXT).amount == Decimal("495.00") and one(NEXT).enrolment_id == enrolment.pk
    assert one(NEXT).application_id == application.pk and one(NEXT).run_id is None

    # The pension rises from the January after next (illustrative figure, to the tetri); a run
    # for that month reaches the entitlement, and nobody edits the enrolment.
    january = date(NEXT.year + 1, 1, 1)
    ParameterValue.objects.create(
        parameter=ParameterValue.objects.filter(parameter__code="pension_from_70")
        .first()
        .parameter,
        valid_from=january,
        value=Decimal("512.55"),
        source="illustrative rise, for the test",
        illustrative=True,
    )
    run = eligibility_run(january)
    rise = one(january)
    assert rise.amount == Decimal("512.55") and isinstance(rise.amount, Decimal)
    assert rise.run_id == run.pk and rise.enrolment_id == enrolment.pk
    assert one(january - relativedelta(months=1)).amount == Decimal("495.00")
    assert one(january + relativedelta(months=5)).amount == Decimal("512.55")
    # The months are intervals: the application's row ends the month before the run's.
    rows = _pensioner_rows(person_id)
    assert [(r[0], r[1]) for r in rows] == [
        (MONTH, january - relativedelta(months=1)),
        (january, None),
    ]
    enrolment.refresh_from_db()
    assert enrolment.amount == Decimal("495.00")  # as decided when enrolled

    # The bulk selector gives payroll the same answer.
    frame = entitlements(month=january)
    assert frame.height == 1 and frame["amount"].dtype == pl.Decimal(12, 2)
    assert frame.row(0, named=True)["amount"] == Decimal("512.55")


def test_no_entitlement_in_a_month_the_run_says_not_eligible_or_after_the_enrolment_ends():
    from zrunva.applications.services import enrolment_end

    application, officer = pension_application(birth_date=date(1950, 2, 1))
    application.refresh_from_db()
    application_transition(actor=officer, application=application, to=Status.DECIDED)
    application_transition(actor=officer, application=application, to=Status.ENROLLED)
    enrolment = application.enrolment
    later = NEXT + relativedelta(months=2)
    # The pension age rises past the pensioner's (illustrative): that month's run says no.
    parameter = ParameterValue.objects.filter(parameter__code="pension_age_men").first().parameter
    ParameterValue.objects.create(
        parameter=parameter, valid_from=later, value=Decimal("90"), source="test", illustrative=True
    )
    eligibility_run(later)
    key = {
        "programme_id": enrolment.programme_id,
        "household_id": enrolment.household_id,
        "person_id": enrolment.person_id,
    }
    assert entitlement(**key, month=NEXT).amount == Decimal("495.00")
    assert entitlement(**key, month=later) is None  # the enrolment is open, but no money
    assert entitlements(month=later).is_empty()

    enrolment_end(
        enrolment=enrolment, on=NEXT, reason="withdrawn", actor=officer
    )  # paid to the end of the month of the event
    assert entitlement(**key, month=NEXT) is not None
    assert entitlement(**key, month=NEXT + relativedelta(months=1)) is None


def test_a_run_for_an_earlier_month_executed_after_a_later_one_keeps_the_months_apart(make_user):
    household = factories.household("kutaisi", head={"birth_date": date(1950, 2, 1), "sex": "M"})
    person_id = household.memberships.get().person_id
    later = MONTH + relativedelta(months=3)
    eligibility_run(later)
    eligibility_run(TODAY)  # this month's, after the later month's
    rows = _pensioner_rows(person_id)
    assert [(r[0], r[1]) for r in rows] == [(MONTH, later - relativedelta(months=1)), (later, None)]
    assert all(r[2] == DecisionStatus.ELIGIBLE for r in rows)


def test_the_migration_turns_stored_decisions_into_month_intervals():
    """Decisions stored before `until` existed: each ends the month before the beneficiary's
    next decision in the programme; the latest stays open; other beneficiaries are apart."""
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    migration = import_module("zrunva.programmes.migrations.0010_entitlements")
    first = factories.household("kutaisi", head={"birth_date": date(1950, 2, 1), "sex": "M"})
    second = factories.household("kutaisi", head={"birth_date": date(1951, 2, 1), "sex": "M"})
    run = eligibility_run(TODAY)
    Decision.objects.all().delete()
    months = [date(2025, 1, 1), date(2025, 4, 1), date(2026, 2, 1)]
    for household in (first, second):
        person = household.memberships.get().person
        for month in months[: 3 if household == first else 1]:
            Decision.objects.create(
                programme=Programme.objects.get(code="state_pension"),
                household=household,
                person=person,
                period=month,
                status="eligible",
                reason="criteria_met",
                amount=Decimal("370.00"),
                run=run,
            )

    class Editor:  # what the migration uses of a schema editor, inside the test's transaction
        quote_name = staticmethod(connection.ops.quote_name)

        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.close_intervals(apps, Editor())
    rows = list(Decision.objects.order_by("household_id", "period").values_list("period", "until"))
    assert rows == [
        (date(2025, 1, 1), date(2025, 3, 1)),
        (date(2025, 4, 1), date(2026, 1, 1)),
        (date(2026, 2, 1), None),
        (date(2025, 1, 1), None),
    ]
