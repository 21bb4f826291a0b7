from datetime import date, timedelta
from decimal import Decimal

import polars as pl
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.applications.selectors import enrolments_processed
from zrunva.audit.subject_access import Section, Subject
from zrunva.core.models import in_language
from zrunva.core.money import gel
from zrunva.core.trail import scoped_get
from zrunva.payments.bankfiles import CHUNK
from zrunva.payments.choices import (
    PAYING,
    HoldReason,
    PaymentMethod,
    PaymentStatus,
    PayrollStep,
    RecoveryStatus,
)
from zrunva.payments.models import (
    Payment,
    PaymentAccount,
    Payroll,
    PayrollFile,
    Recovery,
    Suspension,
)


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


def subject_access_payments(subject: Subject) -> Section:
    """Subject access: payments to the person or for them, or for their households' household
    programmes; the suspensions and recoveries of their enrolments and those they repay."""
    section = Section()
    who = Q(payee_id=subject.person.pk) | Q(person_id=subject.person.pk) if subject.person else Q()
    households = Q(household_id__in=subject.household_ids, person__isnull=True)
    if subject.person is None and not subject.household_ids:
        return section
    payments = Payment.objects.filter(who | households if subject.person else households)
    for payment in payments.select_related("programme").order_by("month", "pk"):
        section.add(payment, title=f"{payment.programme.code} {payment.month:%Y-%m}")
    enrolments = set(payments.values_list("enrolment_id", flat=True))
    for suspension in Suspension.objects.filter(enrolment_id__in=enrolments):
        section.add(suspension)
    recoveries = Recovery.objects.filter(enrolment_id__in=enrolments)
    if subject.person is not None:
        recoveries = recoveries | Recovery.objects.filter(payee=subject.person)
    for recovery in recoveries.distinct():
        section.add(recovery)
    section.log = Q(
        content_type__in=[
            ContentType.objects.get_for_model(Suspension),
            ContentType.objects.get_for_model(Recovery),
        ],
        additional_data__enrolment_id__in=list(enrolments),
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


# Steps whose lines are counted on the payroll's page: from prepared on (a cancelled payroll's
# lines were never paid).
COUNTED = (
    PayrollStep.PREPARED,
    PayrollStep.CHECKED,
    PayrollStep.APPROVED,
    PayrollStep.EXPORTED,
    PayrollStep.RECONCILED,
)


COUNTS = ("due", "due_total", "arrears", "held", "paid", "paid_total", "returned")


def _line_counts(payroll: Payroll, *keys: str) -> list[dict]:
    """The payroll's lines grouped by `keys`: due (count, sum, of them arrears: earlier
    months), held, paid (count, sum) and returned. One aggregate query."""
    due, paid = Q(status=PaymentStatus.DUE), Q(status=PaymentStatus.PAID)
    rows = (
        payroll.payments.values(*keys)
        .annotate(
            due=Count("id", filter=due),
            due_total=Sum("amount", filter=due),
            arrears=Count("id", filter=due & Q(month__lt=payroll.month)),
            held=Count("id", filter=Q(status=PaymentStatus.HELD)),
            paid=Count("id", filter=paid),
            paid_total=Sum("amount", filter=paid),
            returned=Count("id", filter=Q(status=PaymentStatus.RETURNED)),
        )
        .order_by(*keys)
    )
    # No line: no sum. SQLite's sum drops trailing zeros: two places, as the amounts are stored.
    zero = Decimal("0.00")
    return [
        row
        | {"due_total": gel(row["due_total"]) or zero, "paid_total": gel(row["paid_total"]) or zero}
        for row in rows
    ]


def payroll_totals(*, payroll: Payroll) -> dict[str, list[dict]]:
    """A payroll's lines counted by programme, by municipality (the household's, as in the
    payments report) and by payment provider (the bank an IBAN names, "cash", or none: held
    for want of an account): counts and money, not people; three aggregate queries. The caller
    has read the payroll through `payroll_get`, which applies the actor's scope."""
    programme = ("programme__code", "programme__name_ka", "programme__name_en")
    place = (
        "household__municipality__code",
        "household__municipality__name_ka",
        "household__municipality__name_en",
    )

    def named(row, code, ka, en):
        counts = {k: row[k] for k in COUNTS}
        return counts | {"code": row[code], "name": in_language(row[ka] or "", row[en] or "")}

    providers = [
        {k: row[k] for k in COUNTS}
        | {
            "provider": PaymentMethod.CASH.value
            if row["account__method"] == PaymentMethod.CASH
            else row["account__bank_code"] or None
        }
        for row in _line_counts(payroll, "account__method", "account__bank_code")
    ]
    return {
        "programmes": [named(row, *programme) for row in _line_counts(payroll, *programme)],
        "municipalities": sorted(
            (named(row, *place) for row in _line_counts(payroll, *place)),
            key=lambda row: row["name"],
        ),
        # Banks by code, then cash, then the lines with no account.
        "providers": sorted(
            providers,
            key=lambda row: (
                row["provider"] is None,
                row["provider"] == "cash",
                row["provider"] or "",
            ),
        ),
    }


# Cash lists are made once a payroll is approved, as bank files are; they stay after the banks'
# answers, which settle only bank lines (the post office pays the cash ones).
CASH_LISTED = (PayrollStep.APPROVED, PayrollStep.EXPORTED, PayrollStep.RECONCILED)


def _cash_payments(payroll: Payroll) -> QuerySet[Payment]:
    """The lines sent to the post offices: due, and still listed once their answer marks them
    paid or returned (a held or cancelled line was never sent)."""
    sent = (PaymentStatus.DUE, PaymentStatus.PAID, PaymentStatus.RETURNED)
    return Payment.objects.filter(
        payroll=payroll, status__in=sent, account__method=PaymentMethod.CASH
    )


def payroll_cash_offices(*, actor, payroll: Payroll) -> list[dict]:
    """The post offices paying a payroll's lines in cash, each with its number of lines and
    their sum: one aggregate query. Refused before approval (the rule of the bank files). The
    caller has read the payroll through `payroll_get`, which applies the actor's scope."""
    permissions.require(actor, permissions.PAYROLL_MANAGE)
    if payroll.step not in CASH_LISTED:
        raise ValidationError(_("Cash lists are made once the payroll is approved."))
    rows = (
        _cash_payments(payroll)
        .values("account__post_office")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("account__post_office")
    )
    return [
        {
            "post_office": row["account__post_office"],
            "count": row["count"],
            "total": gel(row["total"]),
        }
        for row in rows
    ]


def payroll_cash_office(*, actor, payroll: Payroll, post_office: str) -> dict:
    """One post office of `payroll_cash_offices`, or Http404 when it pays none of the lines."""
    for office in payroll_cash_offices(actor=actor, payroll=payroll):
        if office["post_office"] == post_office:
            return office
    raise Http404


# The columns of a cash list's line (cashlists.CashLine), read with values_list.
CASH_LINE = (
    "id",
    "month",
    "amount",
    "account__post_office",
    "payee__first_name",
    "payee__last_name",
    "payee__personal_number",
    "account__representative_id",
    "account__holder__first_name",
    "account__holder__last_name",
    "account__holder__personal_number",
    "programme__name_ka",
    "programme__name_en",
)


def payroll_cash_lines(*, actor, payroll: Payroll, post_office: str | None = None):
    """The lines of a payroll paid in cash, at one post office or at all, by post office then
    payee's name (as a counter clerk looks people up), as tuples in CASH_LINE's order read in
    chunks: one query however many lines. The caller checked the office with
    `payroll_cash_office(s)` and logs the read (the lists name people)."""
    permissions.require(actor, permissions.PAYROLL_MANAGE)
    qs = _cash_payments(payroll)
    if post_office is not None:
        qs = qs.filter(account__post_office=post_office)
    return (
        qs.order_by("account__post_office", "payee__last_name", "payee__first_name", "id")
        .values_list(*CASH_LINE)
        .iterator(chunk_size=CHUNK)
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
    to the bank (or paid, or returned), month by month, with the day it was sent (`sent_at`: its
    payroll's files made) and the day the bank's answer said paid or returned (`reconciliation.
    uploaded_at`). The caller has verified the pair."""
    enrolment = getattr(application, "enrolment", None)
    if enrolment is None:
        return []
    sent = (PayrollStep.EXPORTED, PayrollStep.RECONCILED)
    return list(
        Payment.objects.filter(
            enrolment=enrolment,
            status__in=(PaymentStatus.DUE, PaymentStatus.PAID, PaymentStatus.RETURNED),
            payroll__step__in=sent,
        )
        .select_related("reconciliation")
        .annotate(sent_at=Min("payroll__files__created_at"))
        .order_by("-month", "-id")
    )


def spent_in_year(programme_id: int, year: int) -> Decimal:
    """A programme's payments of a year's months, due or paid, in every payroll not cancelled:
    what its budget is measured against."""
    paid = Payment.objects.filter(programme_id=programme_id, status__in=PAYING, month__year=year)
    return gel(paid.aggregate(total=Sum("amount"))["total"] or Decimal("0"))


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


# A line held for these reasons says the rules no longer pay: the enrolment wants a decision.
REVIEW_REASONS = (HoldReason.NOT_ELIGIBLE, HoldReason.NEEDS_DATA, HoldReason.NO_DECISION)


def enrolments_to_review(*, actor):
    """Open enrolments whose latest payment line is held because the rules no longer pay it
    (not eligible, data needed, no decision), with that month and reason: for an officer to
    end the enrolment, complete the data or have it decided. One leaves the list when a later
    payroll pays it or it ends. The enrolments the actor processes, in their area."""
    permissions.require(actor, permissions.PAYROLL_MANAGE)
    held = (
        Payment.objects.filter(
            enrolment=OuterRef("pk"), status=PaymentStatus.HELD, hold_reason__in=REVIEW_REASONS
        )
        .exclude(payroll__step=PayrollStep.CANCELLED)
        .order_by("-month", "-id")
    )
    paid_since = Payment.objects.filter(
        enrolment=OuterRef("pk"), status__in=PAYING, month__gte=OuterRef("held_month")
    )
    return (
        enrolments_processed(actor=actor)
        .filter(ends__isnull=True)
        .annotate(
            held_month=Subquery(held.values("month")[:1]),
            held_reason=Subquery(held.values("hold_reason")[:1]),
        )
        .filter(held_month__isnull=False)
        .exclude(Exists(paid_since))
        .select_related("household", "person")
        .order_by("held_month", "pk")
    )


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


def breach_payroll_files(pks: list[str]) -> dict[str, tuple[set[int], set[int]]]:
    """The payees a payroll's bank file named (its lines: the payroll's bank payments to that
    provider, due when the file was written and paid or returned since), for the breach-scope
    report (`zrunva.audit.breach`): downloading the file handed over their names and IBANs."""
    files = PayrollFile.objects.filter(pk__in=[int(pk) for pk in pks if pk.isdigit()])
    found = {}
    for record in files.only("pk", "payroll_id", "bank_code"):
        payees = Payment.objects.filter(
            payroll_id=record.payroll_id,
            status__in=(PaymentStatus.DUE, PaymentStatus.PAID, PaymentStatus.RETURNED),
            account__method=PaymentMethod.BANK,
            account__bank_code=record.bank_code,
        ).values_list("payee_id", flat=True)
        found[str(record.pk)] = ({pk for pk in payees.iterator(chunk_size=2000) if pk}, set())
    return found
