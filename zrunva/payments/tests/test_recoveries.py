"""Recoveries: an enrolment ended before months already paid, or an officer's finding, approved
with four eyes and deducted from later payments within the monthly cap; municipal budgets."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError

from zrunva.accounts.choices import Role
from zrunva.applications.services import enrolment_end
from zrunva.notifications.models import Message
from zrunva.payments import selectors, services
from zrunva.payments.choices import HoldReason, PaymentStatus, RecoveryStatus
from zrunva.payments.models import Recovery
from zrunva.payments.payroll import deducted, payroll_execute
from zrunva.payments.tests.factories import paid_month

pytestmark = pytest.mark.django_db


def _month(enrolment, n: int) -> date:
    return enrolment.starts + relativedelta(months=n)


def _prepare(actor, month):
    payroll = services.payroll_start(actor=actor, month=month, enqueue=False)
    return payroll_execute(payroll=payroll)


@pytest.fixture
def officers(make_user, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)


def test_ending_before_months_paid_proposes_their_recovery(pensioner, officers):
    officer, other = officers
    paid_month(officer, other, _month(pensioner, 2))  # three months: two as arrears
    enrolment_end(
        enrolment=pensioner,
        on=_month(pensioner, 0) + timedelta(days=9),
        reason="withdrawn",
        actor=officer,
    )
    recovery = Recovery.objects.get(enrolment=pensioner)
    assert (recovery.amount, recovery.status, recovery.recorded_by, recovery.months) == (
        Decimal("990.00"),
        RecoveryStatus.PROPOSED,
        officer,
        f"{_month(pensioner, 1):%Y-%m}, {_month(pensioner, 2):%Y-%m}",
    )
    with pytest.raises(PermissionDenied):  # who ended it does not approve it
        services.recovery_approve(actor=officer, recovery=recovery)
    before = Message.objects.count()
    services.recovery_approve(actor=other, recovery=recovery)
    recovery.refresh_from_db()
    assert recovery.status == RecoveryStatus.APPROVED and recovery.approved_by == other
    message = Message.objects.order_by("id")[before]
    assert "990.00" in message.body and "20%" in message.body


def test_ending_holds_the_lines_not_yet_sent_and_closes_a_suspension(pensioner, officers):
    officer, _ = officers
    payroll = _prepare(officer, _month(pensioner, 2))
    suspension = services.suspension_start(
        actor=officer, enrolment=pensioner, reason="abroad", starts=_month(pensioner, 3)
    )
    enrolment_end(enrolment=pensioner, on=_month(pensioner, 0), reason="withdrawn", actor=officer)
    lines = dict(payroll.payments.values_list("month", "hold_reason"))
    assert lines == {
        _month(pensioner, 0): "",
        _month(pensioner, 1): HoldReason.ENDED,
        _month(pensioner, 2): HoldReason.ENDED,
    }
    assert not Recovery.objects.exists()  # nothing went out
    suspension.refresh_from_db()
    assert (suspension.outcome, suspension.resumes) == ("cancelled", _month(pensioner, 3))


def test_an_approved_recovery_is_deducted_within_the_monthly_cap(pensioner, officers):
    officer, other = officers
    paid_month(officer, other, _month(pensioner, 0))
    recovery = services.recovery_record(
        actor=officer, enrolment=pensioner, amount=Decimal("150.00"), note="Paid twice by hand."
    )
    # Not deducted before approval.
    unapproved = _prepare(officer, _month(pensioner, 1))
    assert unapproved.payments.get().deducted == 0
    services.payroll_cancel(actor=officer, payroll=unapproved, reason="")
    services.recovery_approve(actor=other, recovery=recovery)
    payroll = _prepare(officer, _month(pensioner, 2))  # month 1 as arrears, and month 2
    lines = {p.month: (p.amount, p.deducted, p.recovery_id) for p in payroll.payments.all()}
    # At most 20% of 495.00 = 99.00 a line, the earliest month first, 150.00 in all.
    assert lines == {
        _month(pensioner, 1): (Decimal("396.00"), Decimal("99.00"), recovery.pk),
        _month(pensioner, 2): (Decimal("444.00"), Decimal("51.00"), recovery.pk),
    }
    assert payroll.summary["deducted_total"] == "150.00"
    assert selectors.recovery_outstanding(recovery) == Decimal("0.00")
    # Cancelling the payroll gives the deductions back to the recovery.
    services.payroll_cancel(actor=officer, payroll=payroll, reason="")
    assert selectors.recovery_outstanding(recovery) == Decimal("150.00")


def test_deductions_never_exceed_the_cap_nor_what_is_left():
    import polars as pl

    from zrunva.core.money import AMOUNT

    lines = pl.DataFrame(
        {
            "payee_id": [1, 1, 1, 2, 3],
            "enrolment_id": [1, 1, 1, 2, 3],
            "programme_id": [1, 1, 1, 1, 1],
            "month": [date(2027, m, 1) for m in (3, 1, 2, 1, 1)],
            "status": ["due", "due", "held", "due", "due"],
            "amount": [Decimal(a) for a in ("100.05", "100.05", "100.05", "9.99", "50.50")],
        },
        schema_overrides={"amount": AMOUNT},
    )
    owed = pl.DataFrame({"payee_id": [1, 2], "recovery_id": [7, 8], "left": [2500, 100000]})
    got = deducted(lines, owed, Decimal("0.20"))
    # 20% of 100.05 = 20.01: January 20.01, February held, March the 4.99 left; 9.99 → 1.99;
    # payee 3 owes nothing: paid whole.
    assert got["deducted"].cast(str).to_list() == ["20.01", "0.00", "4.99", "1.99", "0.00"]
    assert got["amount"].cast(str).to_list() == ["80.04", "100.05", "95.06", "8.00", "50.50"]
    assert got["recovery_id"].to_list() == [7, None, 7, 8, None]
    assert got["month"].to_list()[:3] == [date(2027, m, 1) for m in (1, 2, 3)]  # sorted
    assert got.schema == deducted(lines, owed.clear(), Decimal("0.20")).schema


def test_recording_a_recovery_is_checked(pensioner, officers, make_user):
    officer, other = officers
    with pytest.raises(ValidationError) as error:  # nothing paid yet
        services.recovery_record(
            actor=officer, enrolment=pensioner, amount=Decimal("10.00"), note="x"
        )
    assert list(error.value.message_dict) == ["amount"]
    paid_month(officer, other, _month(pensioner, 0))
    for amount, note, field in [
        (Decimal("10.00"), "  ", "note"),
        (Decimal("0"), "x", "amount"),
        (Decimal("-5.00"), "x", "amount"),
        (Decimal("1.005"), "x", "amount"),
        (Decimal("495.01"), "x", "amount"),  # more than was paid
    ]:
        with pytest.raises(ValidationError) as error:
            services.recovery_record(actor=officer, enrolment=pensioner, amount=amount, note=note)
        assert list(error.value.message_dict) == [field], amount
    for role, scope in [
        (Role.SOCIAL_WORKER, {}),
        (Role.ANALYST, {}),
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}),
        (Role.SSA_OFFICER, {"office": "ssa-zugdidi"}),
    ]:
        with pytest.raises(PermissionDenied):
            services.recovery_record(
                actor=make_user(role, **scope),
                enrolment=pensioner,
                amount=Decimal("10.00"),
                note="x",
            )
    recovery = services.recovery_record(
        actor=officer, enrolment=pensioner, amount=Decimal("495.00"), note="Found on review."
    )
    with pytest.raises(ValidationError) as error:
        services.recovery_cancel(actor=other, recovery=recovery, reason="")
    assert list(error.value.message_dict) == ["reason"]
    services.recovery_cancel(actor=other, recovery=recovery, reason="Recorded in error.")
    with pytest.raises(ValidationError):
        services.recovery_approve(actor=other, recovery=recovery)


def test_a_municipal_budget_stops_a_payroll_before_approval(pensioner, officers):
    officer, other = officers
    # The pension is the state's, with no budget; one is set here to stand for a council's.
    programme = pensioner.programme
    programme.budget = Decimal("900.00")
    programme.save(update_fields=["budget"])
    payroll = _prepare(officer, _month(pensioner, 2))  # 3 × 495.00 = 1,485.00
    with pytest.raises(ValidationError) as error:
        services.payroll_check(actor=officer, payroll=payroll)
    assert "585.00" in str(error.value)
    programme.budget = Decimal("1485.00")
    programme.save(update_fields=["budget"])
    services.payroll_check(actor=officer, payroll=payroll)
    programme.budget = Decimal("1484.99")
    programme.save(update_fields=["budget"])
    with pytest.raises(ValidationError) as error:  # checked again on approval
        services.payroll_approve(actor=other, payroll=payroll)
    assert "0.01" in str(error.value)
    assert PaymentStatus.DUE in set(payroll.payments.values_list("status", flat=True))


def test_the_payroll_page_says_how_far_over_the_budget(pensioner, login_as):
    officer = login_as(Role.SSA_OFFICER)
    programme = pensioner.programme
    programme.budget = Decimal("900.00")  # standing for a council's budget, as above
    programme.save(update_fields=["budget"])
    payroll = _prepare(officer.user, _month(pensioner, 2))
    page = officer.get(f"/en/payments/payrolls/{payroll.pk}/").content.decode()
    assert "Over the budget: this payroll is not approved" in page
    assert "come to GEL\xa01,485.00 against a budget of GEL\xa0900.00, GEL\xa0585.00 over." in page
    refused = officer.post(f"/en/payments/payrolls/{payroll.pk}/check/", follow=True)
    assert "would exceed the budget of GEL\xa0900.00 by GEL\xa0585.00" in refused.content.decode()


def test_a_line_held_after_preparing_gives_its_deduction_back(pensioner, officers):
    officer, other = officers
    paid_month(officer, other, _month(pensioner, 0))
    recovery = services.recovery_record(
        actor=officer, enrolment=pensioner, amount=Decimal("50.00"), note="Paid twice by hand."
    )
    services.recovery_approve(actor=other, recovery=recovery)
    line = _prepare(officer, _month(pensioner, 1)).payments.get()
    assert (line.amount, line.deducted) == (Decimal("445.00"), Decimal("50.00"))
    services.suspension_start(
        actor=officer, enrolment=pensioner, reason="abroad", starts=_month(pensioner, 1)
    )
    line.refresh_from_db()
    assert (line.status, line.amount, line.deducted, line.recovery) == (
        PaymentStatus.HELD,
        Decimal("495.00"),
        Decimal("0.00"),
        None,
    )
    assert selectors.recovery_outstanding(recovery) == Decimal("50.00")


def test_the_subject_access_report_lists_payments_suspensions_and_recoveries(
    pensioner, officers, make_user
):
    from zrunva.audit import subject_access

    officer, other = officers
    paid_month(officer, other, _month(pensioner, 0))
    services.suspension_start(
        actor=officer, enrolment=pensioner, reason="abroad", starts=_month(pensioner, 1)
    )
    services.recovery_record(
        actor=officer, enrolment=pensioner, amount=Decimal("10.00"), note="Paid twice by hand."
    )
    report = subject_access.report(actor=make_user(Role.DPO), person=pensioner.person)
    section = next(s for s in report["sections"] if s["key"] == "payments")
    records = sorted(item["record"] for item in section["items"])
    assert records == ["payments.payment", "payments.recovery", "payments.suspension"]
    # Someone else's report holds none of it.
    stranger = make_user(Role.DPO)
    from zrunva.payments.tests.factories import beneficiary

    report = subject_access.report(actor=stranger, person=beneficiary())
    assert not next(s for s in report["sections"] if s["key"] == "payments")["items"]
