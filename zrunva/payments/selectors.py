from datetime import date, timedelta
from decimal import Decimal

import polars as pl
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Min, Q, QuerySet, Sum

from zrunva.accounts import permissions
from zrunva.audit.subject_access import Section, Subject
from zrunva.core.money import gel
from zrunva.core.trail import scoped_get
from zrunva.payments.choices import PAYING, PaymentStatus, PayrollStep, RecoveryStatus
from zrunva.payments.models import Payment, PaymentAccount, Payroll, Recovery, Suspension


def payment_accounts(*, actor, person) -> QuerySet[PaymentAccount]:
    """A beneficiary's payment accounts, the current first, for staff who see payments. The
    caller has read `person` through the registry's selector, which applies the actor's area."""
    permissions.require(actor, permissions.PAYMENTS_VIEW)
    return PaymentAccount.objects.filter(person=person).select_related(
        "holder", "representative", "recorded_by"
    )


def payment_account_on(*, person_id: int, on: date) -> PaymentAccount | None:
    """Where the beneficiary is paid on `on`: the account valid that day, if any."""
    return (
        PaymentAccount.objects.filter(person_id=person_id, valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by("-valid_from")
        .first()
    )


def subject_access_accounts(subject: Subject) -> Section:
    """Subject access: the accounts the person is paid to, and those they hold for others."""
    section = Section()
    if subject.person is None:
        return section
    for account in PaymentAccount.objects.filter(person=subject.person):
        section.add(account, exclude=("person",))
    for account in PaymentAccount.objects.filter(holder=subject.person).exclude(
        person=subject.person
    ):
        section.add(account, exclude=("holder",))
    section.log = Q(
        content_type=ContentType.objects.get_for_model(PaymentAccount),
        additional_data__person_id=subject.person.pk,
    )
    return section


def payroll_list(*, actor) -> QuerySet[Payroll]:
    """The payrolls of the programmes the actor's office pays (every programme: national
    staff's payrolls of every programme; a municipality's officers only theirs)."""
    permissions.require(actor, permissions.PAYROLL_MANAGE)
    qs = Payroll.objects.select_related("programme", "prepared_by", "approved_by")
    # A payroll of every programme has no programme: the SSA's (no municipality) as well.
    return permissions.processed(qs, actor, "programme__municipality_id")


def payroll_get(*, actor, pk: int) -> Payroll:
    return scoped_get(payroll_list(actor=actor), actor=actor, pk=pk)


def payroll_held(*, actor, payroll: Payroll) -> QuerySet[Payment]:
    """A payroll's held lines, with whom they are for: for a second look before approval. The
    caller logs the read (it names people)."""
    permissions.require(actor, permissions.PAYROLL_MANAGE)
    return (
        payroll.payments.filter(status=PaymentStatus.HELD)
        .select_related("programme", "payee", "household")
        .order_by("programme_id", "hold_reason", "id")
    )


def payroll_recent_account_changes(*, payroll: Payroll) -> QuerySet[PaymentAccount]:
    """The accounts a payroll pays to that changed in the review window before it was
    prepared (settings.PAYMENT_ACCOUNT_REVIEW_DAYS): a second look before approval."""
    since = payroll.created_at - timedelta(days=settings.PAYMENT_ACCOUNT_REVIEW_DAYS)
    return (
        PaymentAccount.objects.filter(
            recorded_at__gte=since,
            payments__payroll=payroll,
            payments__status=PaymentStatus.DUE,
        )
        .select_related("person", "holder")
        .distinct()
    )


# What staff see of a beneficiary's payments: not the lines of a payroll being prepared or
# cancelled, which were never paid.
SHOWN = (PaymentStatus.DUE, PaymentStatus.PAID, PaymentStatus.RETURNED, PaymentStatus.HELD)


def _history(actor, qs) -> QuerySet[Payment]:
    permissions.require(actor, permissions.PAYMENTS_VIEW)
    qs = qs.filter(status__in=SHOWN).exclude(payroll__step=PayrollStep.CANCELLED)
    # A disability package paid to a person says they have a disability.
    qs = permissions.health_programmes_hidden(qs, actor)
    return qs.select_related("programme", "payroll", "account").order_by("-month", "-id")


def person_payments(*, actor, person) -> QuerySet[Payment]:
    """Payments to the person or for them (a personal programme), the latest month first. The
    caller read `person` through the registry's selector, which applies the actor's area."""
    return _history(actor, Payment.objects.filter(Q(payee=person) | Q(person=person)))


def household_payments(*, actor, household) -> QuerySet[Payment]:
    """Payments of the household's programmes and its members', the latest month first."""
    return _history(actor, Payment.objects.filter(household=household))


def application_payments(*, application) -> list[Payment]:
    """What the applicant sees on their status page: the payments of their enrolment once sent
    to the bank (or paid, or returned), month by month. The caller has verified the pair."""
    enrolment = getattr(application, "enrolment", None)
    if enrolment is None:
        return []
    sent = (PayrollStep.EXPORTED, PayrollStep.RECONCILED)
    return list(
        Payment.objects.filter(
            enrolment=enrolment,
            status__in=(PaymentStatus.DUE, PaymentStatus.PAID, PaymentStatus.RETURNED),
            payroll__step__in=sent,
        ).order_by("-month", "-id")
    )


def recovery_outstanding(recovery: Recovery) -> Decimal:
    """What is left to recover: the amount less the deductions of payments due or paid (a
    cancelled payroll's deductions go back)."""
    kept = recovery.deductions.filter(status__in=PAYING).aggregate(total=Sum("deducted"))
    return recovery.amount - (kept["total"] or Decimal("0.00"))


def enrolment_payments(*, actor, enrolment) -> dict:
    """An enrolment's payments, suspensions and recoveries, for its page (the caller read
    `enrolment` through `applications.selectors.enrolment_get`, which applies the area)."""
    permissions.require(actor, permissions.PAYMENTS_VIEW)
    recoveries = list(
        Recovery.objects.filter(enrolment=enrolment).select_related("recorded_by", "approved_by")
    )
    for recovery in recoveries:
        recovery.outstanding = recovery_outstanding(recovery)
    return {
        "payments": _history(actor, Payment.objects.filter(enrolment=enrolment)),
        "suspensions": Suspension.objects.filter(enrolment=enrolment).select_related(
            "suspended_by", "resolved_by"
        ),
        "recoveries": recoveries,
    }


def recoveries_waiting(*, actor) -> QuerySet[Recovery]:
    """Recoveries waiting for a second officer's approval, in the programmes the actor's
    office pays and their area; the oldest first."""
    permissions.require(actor, permissions.RECOVERIES_MANAGE)
    qs = Recovery.objects.filter(status=RecoveryStatus.PROPOSED)
    qs = permissions.processed(qs, actor, "enrolment__programme__municipality_id")
    qs = permissions.scoped(qs, actor, "enrolment__household__municipality_id")
    qs = permissions.health_programmes_hidden(qs, actor, "enrolment__programme_id")
    return qs.select_related("enrolment__programme", "payee", "recorded_by").order_by(
        "created_at", "id"
    )


def payment_totals(*, actor, since: date | None = None) -> list[dict]:
    """Paid, to be paid, held and returned payments by month, programme and municipality (the
    household's), with their count and sum: counts and money, not people. In the actor's area;
    a health programme's only with health access. Payrolls being prepared or cancelled are left
    out."""
    permissions.require(actor, permissions.PAYMENTS_VIEW)
    qs = Payment.objects.filter(status__in=SHOWN).exclude(
        payroll__step__in=(PayrollStep.CANCELLED, PayrollStep.PREPARING)
    )
    if since is not None:
        qs = qs.filter(month__gte=since)
    qs = permissions.scoped(qs, actor, "household__municipality_id")
    qs = permissions.health_programmes_hidden(qs, actor)
    rows = (
        qs.values(
            "month",
            "programme__code",
            "household__municipality__code",
            "status",
        )
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("-month", "programme__code", "household__municipality__code", "status")
    )
    return [
        {
            "month": row["month"],
            "programme": row["programme__code"],
            "municipality": row["household__municipality__code"],
            "status": row["status"],
            "count": row["count"],
            # SQLite's sum drops trailing zeros: two places, as the amounts are stored.
            "total": gel(row["total"]),
        }
        for row in rows
    ]


def first_payments(application_ids: list[int]) -> pl.DataFrame:
    """When the money first reached each application's beneficiary: the bank's confirmation
    (the answer's upload) of the first payment of the application's enrolment marked paid.
    Registered as the `first_payments` extension, read by the delay indicators."""
    rows = (
        Payment.objects.filter(
            enrolment__application_id__in=application_ids, status=PaymentStatus.PAID
        )
        .values("enrolment__application_id")
        .annotate(paid=Min("reconciliation__uploaded_at"))
        .values_list("enrolment__application_id", "paid")
    )
    return pl.DataFrame(
        list(rows),
        schema={"id": pl.Int64, "paid": pl.Datetime("us", "UTC")},
        orient="row",
    )
