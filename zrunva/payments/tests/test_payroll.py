"""Payrolls: a month's lines from the entitlements, held with a reason when they cannot be
paid, pro-rated and in arrears, never paid twice, approved with four eyes."""

import threading
from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from zrunva.accounts.choices import Role
from zrunva.applications.models import Enrolment
from zrunva.applications.tests.factories import enrolled_application
from zrunva.core.jobs import JobStatus
from zrunva.payments import services
from zrunva.payments.choices import HoldReason, PaymentStatus, PayrollStep
from zrunva.payments.models import Payment, Payroll
from zrunva.payments.payroll import payroll_execute, prorated
from zrunva.payments.tests.factories import IBAN, OTHER_IBAN, representative
from zrunva.programmes.models import Decision, Programme

pytestmark = pytest.mark.django_db


def _prepare(actor, month, programme=None) -> Payroll:
    payroll = services.payroll_start(actor=actor, month=month, programme=programme, enqueue=False)
    return payroll_execute(payroll=payroll)


def test_a_payroll_pays_the_months_entitlement_once(pensioner, make_user):
    preparer = make_user(Role.SSA_OFFICER)
    first = _prepare(preparer, pensioner.starts)
    assert (first.status, first.step) == (JobStatus.DONE, PayrollStep.PREPARED)
    line = first.payments.get()
    assert (line.status, line.amount, line.monthly, line.month) == (
        PaymentStatus.DUE,
        Decimal("495.00"),
        Decimal("495.00"),
        pensioner.starts,
    )
    assert line.account.iban == IBAN and line.payee == pensioner.person
    assert first.summary["due"] == 1 and first.summary["due_total"] == "495.00"
    # Prepared again for the month: nobody is paid twice.
    again = _prepare(preparer, pensioner.starts)
    assert again.payments.count() == 0 and again.summary["lines"] == 0
    # And the database refuses a second due line whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            payroll=again,
            enrolment=pensioner,
            programme=pensioner.programme,
            household=pensioner.household,
            person=pensioner.person,
            payee=pensioner.person,
            month=pensioner.starts,
            amount=Decimal("495.00"),
            monthly=Decimal("495.00"),
            status=PaymentStatus.DUE,
        )


def test_a_line_that_cannot_be_paid_is_held_with_its_reason_and_paid_later(pensioner, make_user):
    preparer = make_user(Role.SSA_OFFICER)
    pensioner.person.payment_accounts.update(valid_from=pensioner.starts + relativedelta(months=1))
    held = _prepare(preparer, pensioner.starts).payments.get()
    assert (held.status, held.hold_reason, held.account) == (
        PaymentStatus.HELD,
        HoldReason.NO_ACCOUNT,
        None,
    )
    # Next month the account is valid: that month and the held one (as arrears) are paid.
    later = _prepare(preparer, pensioner.starts + relativedelta(months=1))
    assert sorted(p.month for p in later.payments.filter(status=PaymentStatus.DUE)) == [
        pensioner.starts,
        pensioner.starts + relativedelta(months=1),
    ]


def test_an_account_held_under_a_mandate_that_has_ended_is_not_paid_into(pensioner, make_user):
    officer = make_user(Role.SSA_OFFICER)
    first = pensioner.starts
    second, third = first + relativedelta(months=1), first + relativedelta(months=2)
    person = pensioner.person
    person.payment_accounts.all().delete()
    guardian = representative(person, valid_until=second - relativedelta(days=1))
    account = services.payment_account_set(
        actor=officer,
        person=person,
        method="bank",
        iban=IBAN,
        holder_personal_number=guardian.personal_number,
        valid_from=first,
    )
    paid = _prepare(officer, first).payments.get()
    assert (paid.status, paid.account) == (PaymentStatus.DUE, account)
    # The guardianship ended with the first month: the account stays open, nothing goes to it.
    held = _prepare(officer, second).payments.get()
    assert (held.status, held.hold_reason, held.account) == (
        PaymentStatus.HELD,
        HoldReason.MANDATE,
        account,
    )
    # Once an officer records where the money goes now, the held month is paid as arrears.
    services.payment_account_set(
        actor=officer, person=person, method="bank", iban=OTHER_IBAN, valid_from=third
    )
    later = _prepare(officer, third).payments.filter(status=PaymentStatus.DUE)
    assert sorted((p.month, p.account.iban, p.account.holder_id) for p in later) == [
        (second, OTHER_IBAN, person.pk),
        (third, OTHER_IBAN, person.pk),
    ]


@pytest.mark.parametrize(
    ("status", "reason"),
    [("not_eligible", HoldReason.NOT_ELIGIBLE), ("needs_data", HoldReason.NEEDS_DATA)],
)
def test_when_the_rules_no_longer_pay_the_line_is_held_not_dropped(
    pensioner, make_user, status, reason
):
    Decision.objects.filter(enrolment=pensioner).update(status=status, amount=None)
    line = _prepare(make_user(Role.SSA_OFFICER), pensioner.starts).payments.get()
    assert (line.status, line.hold_reason, line.amount) == (
        PaymentStatus.HELD,
        reason,
        Decimal("0.00"),
    )


def test_arrears_pay_the_months_decided_late_each_once(pensioner, make_user):
    preparer = make_user(Role.SSA_OFFICER)
    third = pensioner.starts + relativedelta(months=2)
    payroll = _prepare(preparer, third)
    months = sorted(p.month for p in payroll.payments.all())
    assert months == [pensioner.starts + relativedelta(months=n) for n in range(3)]
    assert payroll.payments.filter(status=PaymentStatus.DUE).count() == 3
    assert _prepare(preparer, third).payments.count() == 0


@pytest.mark.parametrize(
    ("month", "ends", "amount"),
    [
        (date(2026, 1, 1), None, "495.00"),  # a whole month
        (date(2026, 1, 1), date(2026, 1, 31), "495.00"),  # ends on the last day: whole
        (date(2026, 1, 1), date(2026, 1, 1), "15.97"),  # 495 × 1 ÷ 31 = 15.967…
        (date(2026, 1, 1), date(2026, 1, 15), "239.52"),  # 495 × 15 ÷ 31 = 239.516…
        (date(2026, 2, 1), date(2026, 2, 14), "247.50"),  # 495 × 14 ÷ 28, exact
        (date(2028, 2, 1), date(2028, 2, 14), "238.97"),  # a leap February: × 14 ÷ 29
        (date(2026, 4, 1), date(2026, 4, 1), "16.50"),  # 495 ÷ 30, exact
    ],
)
def test_a_last_part_month_is_prorated_by_calendar_days_half_up(month, ends, amount):
    frame = pl.DataFrame(
        {"monthly": [Decimal("495.00")], "month": [month], "ends": [ends]},
        schema={"monthly": pl.Decimal(12, 2), "month": pl.Date, "ends": pl.Date},
    )
    got = frame.select(prorated(pl.col("monthly"), pl.col("month"), pl.col("ends"))).item()
    assert got == Decimal(amount)


def test_half_a_tetri_rounds_up():
    frame = pl.DataFrame(
        {"monthly": [Decimal("0.03")], "month": [date(2026, 4, 1)], "ends": [date(2026, 4, 15)]},
        schema={"monthly": pl.Decimal(12, 2), "month": pl.Date, "ends": pl.Date},
    )
    # 3 tetri × 15 ÷ 30 = 1.5 tetri → 2 tetri.
    assert frame.select(prorated(pl.col("monthly"), pl.col("month"), pl.col("ends"))).item() == (
        Decimal("0.02")
    )


def test_four_eyes_check_then_approval_by_another(pensioner, make_user):
    preparer, other = make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)
    payroll = _prepare(preparer, pensioner.starts)
    with pytest.raises(ValidationError, match="Check the payroll"):
        services.payroll_approve(actor=other, payroll=payroll)
    services.payroll_check(actor=preparer, payroll=payroll)
    with pytest.raises(PermissionDenied, match="four eyes"):
        services.payroll_approve(actor=preparer, payroll=payroll)
    approved = services.payroll_approve(actor=other, payroll=payroll)
    assert (approved.step, approved.approved_by) == (PayrollStep.APPROVED, other)


def test_preparing_an_approved_month_again_changes_nothing_approved(approved):
    payroll, officer = approved

    def lines():
        return list(
            Payment.objects.order_by("pk").values_list(
                "pk", "payroll_id", "status", "amount", "monthly", "account_id", "month"
            )
        )

    before = lines()
    assert len(before) == 3
    # The rules now pay more: the approved lines stay as they were, and the new payroll has
    # nothing to pay for the month.
    Decision.objects.update(amount=Decimal("600.00"))
    again = _prepare(officer, payroll.month)
    assert (again.step, again.summary["lines"], again.payments.count()) == (
        PayrollStep.PREPARED,
        0,
        0,
    )
    assert lines() == before
    payroll.refresh_from_db()
    assert payroll.step == PayrollStep.APPROVED


def test_cancelling_frees_the_month_an_approved_payroll_only_by_an_administrator(
    pensioner, make_user
):
    preparer, other = make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)
    admin = make_user(Role.ADMIN)
    payroll = _prepare(preparer, pensioner.starts)
    services.payroll_check(actor=preparer, payroll=payroll)
    services.payroll_approve(actor=other, payroll=payroll)
    with pytest.raises(PermissionDenied, match="administrator"):
        services.payroll_cancel(actor=preparer, payroll=payroll, reason="wrong month")
    with pytest.raises(ValidationError):
        services.payroll_cancel(actor=admin, payroll=payroll, reason="")
    services.payroll_cancel(actor=admin, payroll=payroll, reason="Sent to the wrong bank.")
    assert set(payroll.payments.values_list("status", flat=True)) == {PaymentStatus.CANCELLED}
    assert _prepare(preparer, pensioner.starts).payments.filter(status="due").count() == 1


def test_who_may_prepare_which_payroll(pensioner, make_user):
    pension = Programme.objects.get(code="state_pension")
    kutaisi = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    with pytest.raises(PermissionDenied, match="does not pay this programme"):
        services.payroll_start(actor=kutaisi, month=pensioner.starts, programme=pension)
    with pytest.raises(PermissionDenied):
        services.payroll_start(actor=kutaisi, month=pensioner.starts)
    for role in (Role.ANALYST, Role.SOCIAL_WORKER, Role.SUPERVISOR, Role.DPO):
        with pytest.raises(PermissionDenied):
            services.payroll_start(actor=make_user(role), month=pensioner.starts)
    with pytest.raises(ValidationError, match="first day"):
        services.payroll_start(
            actor=make_user(Role.SSA_OFFICER), month=pensioner.starts.replace(day=2)
        )
    assert not Payroll.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_payrolls_prepared_at_once_pay_each_beneficiary_once(make_user):
    """On PostgreSQL, two payrolls for the same month are prepared in two connections at the
    same moment: each beneficiary has one line due."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    application = enrolled_application()
    enrolment = Enrolment.objects.get(application=application)
    officer = make_user(Role.SSA_OFFICER)
    services.payment_account_set(
        actor=officer,
        person=enrolment.person,
        method="bank",
        iban=IBAN,
        valid_from=enrolment.starts,
    )
    pension = Programme.objects.get(code="state_pension")
    payrolls = [
        Payroll.objects.create(month=enrolment.starts, programme=pension, prepared_by=officer),
        Payroll.objects.create(month=enrolment.starts, prepared_by=officer),
    ]
    barrier = threading.Barrier(2)
    outcomes = {}

    def act(payroll):
        try:
            barrier.wait()
            payroll_execute(payroll=payroll)
            outcomes[payroll.pk] = "done"
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes[payroll.pk] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(p,)) for p in payrolls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    due = Payment.objects.filter(enrolment=enrolment, status=PaymentStatus.DUE)
    assert due.count() == 1
    assert list(outcomes.values()) == ["done", "done"], outcomes


def test_an_enrolment_the_rules_no_longer_pay_is_listed_for_review(pensioner, login_as):
    officer = login_as(Role.SSA_OFFICER)
    Decision.objects.filter(enrolment=pensioner).update(status="not_eligible", amount=None)
    _prepare(officer.user, pensioner.starts)
    page = officer.get("/en/payments/review/").content.decode()
    assert f"/en/applications/enrolments/{pensioner.pk}/" in page
    assert "The rules now say not eligible" in page
    # Others do not see it: another area, or no role for payrolls.
    other = login_as(Role.SSA_OFFICER, office="ssa-zugdidi").get("/en/payments/review/")
    assert f"/enrolments/{pensioner.pk}/" not in other.content.decode()
    assert login_as(Role.SOCIAL_WORKER).get("/en/payments/review/").status_code == 403
    # Eligible again and paid by a later payroll: off the list.
    Decision.objects.filter(enrolment=pensioner).update(status="eligible", amount="495.00")
    _prepare(officer.user, pensioner.starts + relativedelta(months=1))
    page = officer.get("/en/payments/review/").content.decode()
    assert f"/en/applications/enrolments/{pensioner.pk}/" not in page


def test_arrears_across_a_parameter_change_pay_each_month_its_own_amount(pensioner, make_user):
    """January's indexation: the months before it are paid at the old amount, the month of the
    change and after at the new, each month once, as arrears and this month alike."""
    second = pensioner.starts + relativedelta(months=1)
    old = Decision.objects.get(enrolment=pensioner)
    Decision.objects.filter(pk=old.pk).update(until=pensioner.starts)
    new = Decision.objects.get(pk=old.pk)
    new.pk, new.period, new.until, new.amount = None, second, None, Decimal("525.50")
    new.save()
    payroll = _prepare(make_user(Role.SSA_OFFICER), second)
    lines = {p.month: (p.amount, p.decision_id) for p in payroll.payments.all()}
    assert lines == {
        pensioner.starts: (Decimal("495.00"), old.pk),
        second: (Decimal("525.50"), new.pk),
    }
