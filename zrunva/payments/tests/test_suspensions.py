"""Suspensions: months held while one is in force, paid as arrears or cancelled when it is
lifted; the daily job's (money not collected, an expired assessment); who may suspend."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from zrunva.accounts.choices import Role
from zrunva.assessment.models import Assessment
from zrunva.notifications.models import Message
from zrunva.payments import services
from zrunva.payments.choices import HoldReason, PaymentStatus, SuspensionOutcome
from zrunva.payments.models import Payment, Suspension
from zrunva.payments.payroll import payroll_execute

pytestmark = pytest.mark.django_db


def _prepare(actor, month):
    payroll = services.payroll_start(actor=actor, month=month, enqueue=False)
    return payroll_execute(payroll=payroll)


def _month(enrolment, n: int) -> date:
    return enrolment.starts + relativedelta(months=n)


def test_a_suspension_holds_its_months_and_resuming_pays_them_as_arrears(pensioner, make_user):
    officer = make_user(Role.SSA_OFFICER)
    suspension = services.suspension_start(
        actor=officer, enrolment=pensioner, reason="abroad", starts=pensioner.starts
    )
    first = _prepare(officer, _month(pensioner, 0)).payments.get()
    assert (first.status, first.hold_reason, first.amount) == (
        PaymentStatus.HELD,
        HoldReason.SUSPENDED,
        Decimal("495.00"),
    )
    assert _prepare(officer, _month(pensioner, 1)).payments.filter(status="due").count() == 0
    services.suspension_resume(
        actor=officer, suspension=suspension, release=True, on=_month(pensioner, 2)
    )
    suspension.refresh_from_db()
    assert (suspension.outcome, suspension.resumes) == ("resumed", _month(pensioner, 2))
    third = _prepare(officer, _month(pensioner, 2))
    assert sorted(third.payments.filter(status="due").values_list("month", flat=True)) == [
        _month(pensioner, n) for n in range(3)
    ]
    # The beneficiary was told twice: suspended, then resumed (in the application's language).
    subjects = list(Message.objects.order_by("id").values_list("subject", flat=True))
    assert subjects[-2].endswith("the payment is suspended")  # the application's language
    assert subjects[-1].endswith("the payment is resumed")


def test_resuming_without_arrears_cancels_the_months_with_a_reason(pensioner, make_user):
    officer = make_user(Role.SSA_OFFICER)
    pensioner.application.language = "ka"
    pensioner.application.save(update_fields=["language"])
    suspension = services.suspension_start(
        actor=officer, enrolment=pensioner, reason="other", starts=pensioner.starts, note="Audit"
    )
    with pytest.raises(ValidationError) as error:
        services.suspension_resume(
            actor=officer, suspension=suspension, release=False, on=_month(pensioner, 2)
        )
    assert list(error.value.message_dict) == ["note"]
    services.suspension_resume(
        actor=officer,
        suspension=suspension,
        release=False,
        note="Lived abroad those months.",
        on=_month(pensioner, 2),
    )
    lines = _prepare(officer, _month(pensioner, 2)).payments.all()
    # The two months suspended are not owed: no line at all; the month resumed is paid.
    assert [(p.month, p.status) for p in lines] == [(_month(pensioner, 2), PaymentStatus.DUE)]
    # The beneficiary is told in Georgian, their application's language.
    told = Message.objects.order_by("-id")[0]
    assert "გაცემა განახლდა" in told.subject and "შეჩერების თვეები არ გაიცემა" in told.body


def test_months_released_beyond_the_arrears_window_are_paid_too(pensioner, make_user, settings):
    settings.PAYROLL_ARREARS_MONTHS = 2
    officer = make_user(Role.SSA_OFFICER)
    # Suspended for five months and lifted, arrears released, just before the fifth month.
    Suspension.objects.create(
        enrolment=pensioner,
        reason="abroad",
        starts=_month(pensioner, 0),
        resumes=_month(pensioner, 5),
        outcome=SuspensionOutcome.RESUMED,
    )
    Suspension.objects.filter(enrolment=pensioner).update(
        resolved_at=pensioner.created_at + timedelta(days=160)
    )
    payroll = _prepare(officer, _month(pensioner, 5))
    months = sorted(payroll.payments.filter(status="due").values_list("month", flat=True))
    assert months == [_month(pensioner, n) for n in range(6)]
    # And only once.
    assert _prepare(officer, _month(pensioner, 5)).payments.count() == 0


def test_who_may_suspend_and_what(pensioner, make_user):
    officer = make_user(Role.SSA_OFFICER)
    for role in (Role.SOCIAL_WORKER, Role.ANALYST, Role.DPO):
        with pytest.raises(PermissionDenied):
            services.suspension_start(
                actor=make_user(role), enrolment=pensioner, reason="abroad", starts=pensioner.starts
            )
    with pytest.raises(PermissionDenied):  # the state's programme, a municipality's officer
        services.suspension_start(
            actor=make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"),
            enrolment=pensioner,
            reason="abroad",
            starts=pensioner.starts,
        )
    with pytest.raises(PermissionDenied):  # another area
        services.suspension_start(
            actor=make_user(Role.SSA_OFFICER, office="ssa-zugdidi"),
            enrolment=pensioner,
            reason="abroad",
            starts=pensioner.starts,
        )
    for reason, starts, note, field in [
        ("non_collection", pensioner.starts, "", "reason"),  # the job's
        ("assessment", pensioner.starts, "", "reason"),
        ("other", pensioner.starts, "", "note"),
        ("abroad", date(2020, 1, 1), "", "starts"),  # money paid is recovered instead
        ("nonsense", pensioner.starts, "", "reason"),
    ]:
        with pytest.raises(ValidationError) as error:
            services.suspension_start(
                actor=officer, enrolment=pensioner, reason=reason, starts=starts, note=note
            )
        assert list(error.value.message_dict) == [field], reason
    services.suspension_start(
        actor=officer, enrolment=pensioner, reason="abroad", starts=pensioner.starts
    )
    with pytest.raises(ValidationError):
        services.suspension_start(
            actor=officer, enrolment=pensioner, reason="abroad", starts=pensioner.starts
        )
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says so too
        Suspension.objects.create(enrolment=pensioner, reason="abroad", starts=pensioner.starts)
    assert not Suspension.objects.filter(enrolment=pensioner).exclude(outcome="").exists()


def test_suspending_holds_lines_not_yet_sent_to_the_banks(pensioner, make_user):
    officer = make_user(Role.SSA_OFFICER)
    line = _prepare(officer, pensioner.starts).payments.get()
    assert line.status == PaymentStatus.DUE
    services.suspension_start(
        actor=officer, enrolment=pensioner, reason="abroad", starts=pensioner.starts
    )
    line.refresh_from_db()
    assert (line.status, line.hold_reason) == (PaymentStatus.HELD, HoldReason.SUSPENDED)


def _answer(payments) -> bytes:
    rows = ["end_to_end_id,amount,currency,status,reason"]
    rows += [f"ZR-P{p.pk}-{p.month:%Y%m},{p.amount:.2f},GEL,returned,NOTC" for p in payments]
    return ("\n".join(rows) + "\n").encode()


def test_money_not_collected_for_months_suspends_the_payment(
    pensioner, make_user, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    settings.PAYMENT_NON_COLLECTION_MONTHS = 2
    officer, other = make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)
    for n in range(2):
        payroll = _prepare(officer, _month(pensioner, n))
        services.payroll_check(actor=officer, payroll=payroll)
        services.payroll_approve(actor=other, payroll=payroll)
        services.payroll_export(actor=officer, payroll=payroll)
        due = list(payroll.payments.filter(status="due"))
        upload = SimpleUploadedFile("answer.csv", _answer(due))
        services.reconciliation_apply(actor=officer, payroll=payroll, upload=upload, kind="csv")
        suspended = Suspension.objects.filter(enrolment=pensioner, outcome="")
        assert suspended.exists() == (n == 1)
    suspension = suspended.get()
    assert (suspension.reason, suspension.starts, suspension.suspended_by) == (
        "non_collection",
        _month(pensioner, 2),
        None,
    )
    third = _prepare(officer, _month(pensioner, 2))
    assert third.payments.filter(month=_month(pensioner, 2)).get().hold_reason == "suspended"
    # The beneficiary is told, in their application's language (English here).
    from zrunva.notifications.models import Message

    told = Message.objects.filter(subject__contains=pensioner.application.number)
    assert [(m.subject, m.language) for m in told if "suspended" in m.subject] == [
        (f"Application {pensioner.application.number}: the payment is suspended", "en")
    ]


def test_an_expired_assessment_suspends_and_a_new_one_resumes(make_user):
    from zrunva.applications.models import Enrolment
    from zrunva.applications.services import application_transition
    from zrunva.applications.tests.factories import family_applications

    applications, officer = family_applications()
    application = applications[0]
    application_transition(actor=officer, application=application, to="enrolled")
    enrolment = Enrolment.objects.get(application=application)
    assessment = Assessment.objects.filter(household=enrolment.household).latest("visit_date")
    expired = assessment.reassessment_due + timedelta(days=1)
    assert services.suspensions_due(on=assessment.reassessment_due) == {
        "suspended": 0,
        "resumed": 0,
    }
    assert services.suspensions_due(on=expired) == {"suspended": 1, "resumed": 0}
    assert services.suspensions_due(on=expired) == {"suspended": 0, "resumed": 0}
    suspension = Suspension.objects.get(enrolment=enrolment)
    assert (suspension.reason, suspension.starts) == (
        "assessment",
        expired.replace(day=1) + relativedelta(months=1),
    )
    Assessment.objects.filter(pk=assessment.pk).update(
        reassessment_due=expired + relativedelta(years=4)
    )
    assert services.suspensions_due(on=expired) == {"suspended": 0, "resumed": 1}
    suspension.refresh_from_db()
    assert suspension.outcome == "resumed" and suspension.resolved_by is None
    assert not Payment.objects.exists()
