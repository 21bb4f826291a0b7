"""The dashboards' tables against hand-counted figures: benefits from payments where a payroll
pays the month, otherwise from the enrolments in force; registry coverage; grievances; the
caseload's running total; the refresh after a payroll."""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from django.core.management import call_command

from zrunva.analytics.aggregates import caseload_months, refresh_aggregates
from zrunva.analytics.models import (
    AggregateRefresh,
    BenefitMonth,
    GrievanceMonth,
    RegistryCoverage,
)
from zrunva.applications.models import Enrolment
from zrunva.applications.tests.factories import tsa_enrolment
from zrunva.assessment.tests.factories import assess
from zrunva.core.jobs import job_done
from zrunva.geo.models import Municipality
from zrunva.grievances.tests.factories import grievance
from zrunva.payments.models import Payment, Payroll
from zrunva.programmes.models import Run
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 10)


@pytest.fixture
def world():
    """Kutaisi: household 1 (two people, TSA from September 2026, 60 GEL, paid in December by
    an approved payroll),
    household 2 (TSA in November only, 45.50 GEL; its December line held); Tkibuli: household 3
    (TSA from 15 October, 100 GEL, due in December)."""
    h1 = factories.household("kutaisi")
    factories.member(h1, birth_date=date(2015, 1, 1))
    h2 = factories.household("kutaisi")
    h3 = factories.household("tkibuli")
    e1, e2, e3 = (tsa_enrolment(h) for h in (h1, h2, h3))
    Enrolment.objects.filter(pk=e1.pk).update(starts=date(2026, 9, 1), amount=Decimal("60.00"))
    Enrolment.objects.filter(pk=e2.pk).update(
        starts=date(2026, 11, 1), ends=date(2026, 11, 30), amount=Decimal("45.50")
    )
    Enrolment.objects.filter(pk=e3.pk).update(starts=date(2026, 10, 15), amount=Decimal("100.00"))
    payroll = Payroll.objects.create(
        month=date(2026, 12, 1), prepared_by=factories.system_actor(), step="approved"
    )
    for enrolment, amount, status, reason in (
        (e1, "60.00", "paid", ""),
        (e2, "45.50", "held", "ended"),
        (e3, "100.00", "due", ""),
    ):
        Payment.objects.create(
            payroll=payroll,
            enrolment=enrolment,
            programme=enrolment.programme,
            household=enrolment.household,
            month=date(2026, 12, 1),
            amount=Decimal(amount),
            monthly=Decimal(amount),
            status=status,
            hold_reason=reason,
        )
    assess(h1, 40_000, visit=date(2020, 1, 10))  # due again in 2024: not current
    assess(h2, 55_000, visit=date(2025, 6, 1))  # current
    grievance(municipality="kutaisi")
    grievance(municipality="tkibuli", category="payment")
    return {"payroll": payroll, "tsa": e1.programme_id}


def _benefits():
    kutaisi = Municipality.objects.get(code="kutaisi").pk
    tkibuli = Municipality.objects.get(code="tkibuli").pk
    names = {kutaisi: "kutaisi", tkibuli: "tkibuli"}
    return {
        (f"{b.month:%Y-%m}", names[b.municipality_id]): (
            b.source,
            b.recipients,
            b.households,
            b.amount,
        )
        for b in BenefitMonth.objects.all()
    }


def test_benefits_from_payments_or_enrolments(world):
    refresh_aggregates(today=TODAY)
    assert _benefits() == {
        ("2026-09", "kutaisi"): ("enrolments", 1, 1, Decimal("60.00")),
        ("2026-10", "kutaisi"): ("enrolments", 1, 1, Decimal("60.00")),
        ("2026-10", "tkibuli"): ("enrolments", 1, 1, Decimal("100.00")),
        ("2026-11", "kutaisi"): ("enrolments", 2, 2, Decimal("105.50")),
        ("2026-11", "tkibuli"): ("enrolments", 1, 1, Decimal("100.00")),
        # December has a payroll: its payments due or paid, the held line left out.
        ("2026-12", "kutaisi"): ("payments", 1, 1, Decimal("60.00")),
        ("2026-12", "tkibuli"): ("payments", 1, 1, Decimal("100.00")),
    }


def test_a_payroll_nobody_approved_does_not_count(world):
    """December's payroll only prepared: December counted from the enrolments; a January
    payroll prepared ahead does not bring January in, until it is approved."""
    Payroll.objects.filter(pk=world["payroll"].pk).update(step="prepared")
    january = Payroll.objects.create(
        month=date(2027, 1, 1), prepared_by=factories.system_actor(), step="checked"
    )
    line = Payment.objects.filter(payroll=world["payroll"], status="paid").get()
    line.pk, line.payroll, line.month, line.status = None, january, date(2027, 1, 1), "due"
    line.save()
    refresh_aggregates(today=TODAY)
    found = _benefits()
    assert found[("2026-12", "kutaisi")] == ("enrolments", 1, 1, Decimal("60.00"))
    assert found[("2026-12", "tkibuli")] == ("enrolments", 1, 1, Decimal("100.00"))
    assert not [key for key in found if key[0] == "2027-01"]
    Payroll.objects.filter(pk=january.pk).update(step="approved")
    refresh_aggregates(today=TODAY)
    assert _benefits()[("2027-01", "kutaisi")] == ("payments", 1, 1, Decimal("60.00"))


def test_coverage_and_grievances(world):
    refresh_aggregates(today=TODAY)
    kutaisi = RegistryCoverage.objects.get(municipality__code="kutaisi")
    assert (kutaisi.people, kutaisi.households, kutaisi.assessed, kutaisi.scored) == (3, 2, 2, 1)
    tkibuli = RegistryCoverage.objects.get(municipality__code="tkibuli")
    assert (tkibuli.people, tkibuli.households, tkibuli.assessed, tkibuli.scored) == (1, 1, 0, 0)
    assert RegistryCoverage.objects.count() == 64
    assert sorted(
        GrievanceMonth.objects.values_list("municipality__code", "category", "grievances")
    ) == [("kutaisi", "service_quality", 1), ("tkibuli", "payment", 1)]


def test_refresh_is_idempotent_and_the_command_runs_it(world):
    refresh_aggregates(today=TODAY)
    first = _benefits()
    call_command("refresh_analytics", stdout=open("/dev/null", "w"))  # noqa: SIM115
    refresh_aggregates(today=TODAY)
    assert _benefits() == first
    assert AggregateRefresh.objects.count() == 3


def test_a_run_and_a_payroll_approved_refresh_the_tables(world, django_capture_on_commit_callbacks):
    payroll = world["payroll"]
    with django_capture_on_commit_callbacks(execute=True):
        payroll.step = "checked"  # not yet counted: no refresh
        payroll.save(update_fields=["step"])
    assert not AggregateRefresh.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        payroll.step = "approved"
        payroll.save(update_fields=["step"])
    refresh = AggregateRefresh.objects.get()
    assert refresh.reason == f"payroll {payroll.pk} approved"
    assert BenefitMonth.objects.exists()
    run = Run.objects.create(on=TODAY, started_by=factories.system_actor())
    with django_capture_on_commit_callbacks(execute=True):
        job_done.send(sender=Run, job=run)
    assert AggregateRefresh.objects.latest("pk").reason == f"run {run.pk}"


def test_caseload_running_total():
    # Case a: opened before the window, closed in its second month; b: opened in the first,
    # still open; c: opened and closed in the third.
    cases = pl.DataFrame(
        {
            "municipality_id": [1, 1, 1],
            "opened": [date(2026, 6, 1), date(2026, 9, 1), date(2026, 11, 1)],
            "closed": [date(2026, 10, 1), None, date(2026, 11, 1)],
        }
    )
    got = caseload_months(cases, date(2026, 9, 1), date(2026, 12, 1))
    assert got.select("month", "opened", "closed", "open_at_end").rows() == [
        (date(2026, 9, 1), 1, 0, 2),
        (date(2026, 10, 1), 0, 1, 1),
        (date(2026, 11, 1), 1, 1, 1),
        (date(2026, 12, 1), 0, 0, 1),
    ]
