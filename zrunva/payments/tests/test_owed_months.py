"""Owed months: a payroll reads the whole of a month only once; after that, only the months
the enrolments may still be owed. Every payroll here is checked against what it would hold if
it read the whole of every month, as before tracking: a held line paid later, a month the rules
paid only later, an enrolment made after a payroll for months before it, a payment returned
and paid again to a corrected account, a payroll cancelled, a month no payroll prepared, and a
suspension lifted with its arrears."""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from polars.testing import assert_frame_equal

from zrunva.accounts.choices import Role
from zrunva.applications.models import Enrolment
from zrunva.applications.selectors import enrolments_of_month, enrolments_of_months
from zrunva.applications.tests.factories import enrolled_application
from zrunva.payments import services
from zrunva.payments.models import OwedMonth, Payment, TrackedEnrolments, TrackedMonth
from zrunva.payments.payroll import KEY, _paid, payroll_execute, payroll_read, programmes_of
from zrunva.payments.tests.factories import IBAN, OTHER_IBAN
from zrunva.programmes.models import Decision

pytestmark = pytest.mark.django_db
COLUMNS = [*KEY, "enrolment_id", "payee_id", "status", "hold_reason", "amount", "decision_id"]


def _lines(payroll) -> pl.DataFrame:
    read = payroll_read(month=payroll.month, programme_ids=programmes_of(payroll))
    lines = read.lines.join(_paid(read), on=KEY, how="anti", nulls_equal=True)
    return lines.select(COLUMNS).sort("enrolment_id", "month")


def _prepare(actor, month):
    """A payroll prepared, after checking that the lines it reads through the owed months are
    those it would read from the whole of every month of the window."""
    payroll = services.payroll_start(actor=actor, month=month, enqueue=False)
    tracked = _lines(payroll)
    with transaction.atomic():
        TrackedMonth.objects.all().delete()
        TrackedEnrolments.objects.all().delete()
        whole = _lines(payroll)
        transaction.set_rollback(True)
    assert_frame_equal(tracked, whole)
    return payroll_execute(payroll=payroll)


def _due(enrolment) -> list[date]:
    paying = Payment.objects.filter(enrolment=enrolment, status__in=("due", "paid"))
    return sorted(paying.values_list("month", flat=True))


def _answered(officer, other, payroll, returned=()):
    """Approved, sent and answered: the lines of `returned` enrolments returned (closed)."""
    services.payroll_check(actor=officer, payroll=payroll)
    services.payroll_approve(actor=other, payroll=payroll)
    services.payroll_export(actor=officer, payroll=payroll)
    rows = ["end_to_end_id,amount,currency,status,reason"]
    for line in payroll.payments.filter(status="due"):
        back = line.enrolment_id in returned
        answer = "returned,AC04" if back else "paid,"
        rows.append(f"ZR-P{line.pk}-{line.month:%Y%m},{line.amount:.2f},GEL,{answer}")
    upload = SimpleUploadedFile("answer.csv", ("\n".join(rows) + "\n").encode())
    services.reconciliation_apply(actor=officer, payroll=payroll, upload=upload, kind="csv")


def _enrolled(officer, iban=IBAN, valid_from=None):
    enrolment = Enrolment.objects.get(application=enrolled_application())
    services.payment_account_set(
        actor=officer,
        person=enrolment.person,
        method="bank",
        iban=iban,
        valid_from=valid_from or enrolment.starts,
    )
    return enrolment


def test_each_payroll_reads_through_the_owed_months_what_the_whole_months_hold(
    make_user, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    officer, other = make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)
    returned = _enrolled(officer)
    months = [returned.starts + relativedelta(months=n) for n in range(7)]
    late_account = _enrolled(officer, valid_from=months[2])
    suspended = _enrolled(officer)

    # Month 0: the late account's line is held; the others are paid, one returned.
    first = _prepare(officer, months[0])
    assert set(OwedMonth.objects.values_list("enrolment_id", "month")) == {
        (late_account.pk, months[0])
    }
    _answered(officer, other, first, returned={returned.pk})
    assert (returned.pk, months[0]) in set(OwedMonth.objects.values_list("enrolment_id", "month"))

    # Made after month 1's payroll, paid from month 0; the rules paid its month 0 only later.
    _prepare(officer, months[1])
    made_late = _enrolled(officer)
    refused = Decision.objects.get(enrolment=made_late)
    assert refused.period <= months[0]
    Decision.objects.filter(pk=refused.pk).update(
        until=months[0], status="not_eligible", amount=None
    )
    granted = Decision.objects.get(pk=refused.pk)
    granted.pk, granted.period, granted.until = None, months[1], None
    granted.status, granted.amount = "eligible", Decimal("495.00")
    granted.save()

    # Month 2: the corrected account receives month 0 again, as arrears.
    services.payment_account_set(
        actor=officer, person=returned.person, method="bank", iban=OTHER_IBAN, valid_from=months[2]
    )
    second = _prepare(officer, months[2])
    assert _due(made_late) == [months[1], months[2]]
    assert (made_late.pk, months[0]) in set(OwedMonth.objects.values_list("enrolment_id", "month"))
    # Cancelled and prepared again: the same months are paid.
    services.payroll_cancel(actor=officer, payroll=second, reason="")
    _prepare(officer, months[2])
    assert _due(returned) == [months[0], months[1], months[2]]
    assert _due(late_account) == months[:3]

    # The rules now pay made_late's month 0: paid with month 3, suspended's months held.
    Decision.objects.filter(pk=refused.pk).update(status="eligible", amount=Decimal("495.00"))
    suspension = services.suspension_start(
        actor=officer, enrolment=suspended, reason="abroad", starts=months[3]
    )
    _prepare(officer, months[3])
    assert _due(made_late) == months[:4]
    assert _due(suspended) == months[:3]

    # No payroll for month 4; month 5's pays it as arrears, and the months released.
    services.suspension_resume(actor=officer, suspension=suspension, on=months[5])
    _prepare(officer, months[5])
    for enrolment in (returned, late_account, suspended, made_late):
        assert _due(enrolment) == months[:6]
    assert not OwedMonth.objects.exists()
    # A month prepared again pays nobody twice.
    assert _prepare(officer, months[5]).payments.count() == 0


def test_the_months_read_by_enrolment_are_those_read_whole(make_user):
    """`enrolments_of_months` gives, for chosen months, the rows `enrolments_of_month` gives:
    across a change of decision, a month with none, and months the enrolment does not cover."""
    officer = make_user(Role.SSA_OFFICER)
    changed, ended = _enrolled(officer), _enrolled(officer)
    months = [changed.starts + relativedelta(months=n) for n in range(-1, 4)]
    old = Decision.objects.get(enrolment=changed)
    Decision.objects.filter(pk=old.pk).update(until=months[1])
    new = Decision.objects.get(pk=old.pk)
    new.pk, new.period, new.until, new.amount = None, months[3], None, Decimal("525.50")
    new.save()  # months[2] has no decision
    Enrolment.objects.filter(pk=ended.pk).update(ends=months[2] + relativedelta(days=9))
    programmes = [changed.programme_id]
    whole = pl.concat(
        enrolments_of_month(month=m, programme_ids=programmes).with_columns(
            month=pl.lit(m, dtype=pl.Date)
        )
        for m in months
    ).sort("month", "enrolment_id")
    pairs = pl.DataFrame(
        [(e.pk, m) for e in (changed, ended) for m in months],
        schema={"enrolment_id": pl.Int64, "month": pl.Date},
        orient="row",
    )
    assert whole.height == 6  # four months of one, two of the other (none before it starts)
    assert_frame_equal(enrolments_of_months(pairs=pairs), whole)


def test_tracked_enrolments_are_runs_of_ids_each_of_them_read():
    from zrunva.payments.payroll import _runs, _untracked

    ids = pl.Series([8, 1, 3, 2, 5, 7, 3])
    assert _runs(ids).sort("first_id").rows() == [(1, 3), (5, 5), (7, 8)]
    # A payroll that read 1 to 3 and 5, and not 4 (uncommitted then, or another programme's).
    TrackedEnrolments.objects.bulk_create(
        [TrackedEnrolments(first_id=a, last_id=b) for a, b in ((1, 3), (5, 5))]
    )
    enrolments = pl.DataFrame({"enrolment_id": [1, 2, 3, 4, 5, 6, 4], "month": list(range(7))})
    assert _untracked(enrolments)["enrolment_id"].to_list() == [4, 6, 4]
    TrackedEnrolments.objects.all().delete()
    assert _untracked(enrolments).equals(enrolments)
