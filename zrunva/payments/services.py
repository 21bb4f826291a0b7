import hashlib
import io
import tempfile
from datetime import date, timedelta
from decimal import Decimal

import polars as pl
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from zrunva.accounts import permissions
from zrunva.applications.models import Enrolment
from zrunva.assessment.selectors import latest_assessment
from zrunva.core import numbers
from zrunva.core.bulk import query_frame, update_frame
from zrunva.core.casework import four_eyes
from zrunva.core.jobs import JobStatus
from zrunva.core.money import gel
from zrunva.core.text import long_date
from zrunva.core.trail import acting_as, bulk_run_log
from zrunva.core.validators import LAST_DAY, day_in_range, iban_compact, iban_validator
from zrunva.notifications.services import message_to_case
from zrunva.payments import bankfiles, reconcile
from zrunva.payments import payroll as payroll_tracking
from zrunva.payments.choices import (
    JOB_SUSPENSION_REASONS,
    SENT,
    UNSENT,
    FileKind,
    HoldReason,
    PaymentMethod,
    PaymentStatus,
    PayrollStep,
    ReconciliationKind,
    RecoveryReason,
    RecoveryStatus,
    SuspensionOutcome,
    SuspensionReason,
)
from zrunva.payments.models import (
    Payment,
    PaymentAccount,
    Payroll,
    PayrollFile,
    Reconciliation,
    Recovery,
    Suspension,
)
from zrunva.payments.payroll import budget_overruns
from zrunva.registry.models import Person, Representative


def _mandate(person: Person, personal_number: str, on: date) -> Representative:
    """The person's representative with this personal number, under a mandate valid on `on`.
    Only the person's own representatives are looked up, so the answer says nothing about
    anyone else in the registry."""
    mandate = (
        Representative.objects.filter(
            person=person, representative__personal_number=personal_number, valid_from__lte=on
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .select_related("representative")
        .order_by("-valid_from")
        .first()
    )
    if mandate is None:
        raise ValidationError(
            {
                "holder_personal_number": _(
                    "The account holder must be the beneficiary or their representative (a "
                    "guardian, supporter or authorised person) recorded in the registry for "
                    "%(date)s."
                )
                % {"date": long_date(on)}
            }
        )
    return mandate


@transaction.atomic
def payment_account_set(
    *,
    actor,
    person: Person,
    method: str,
    valid_from: date,
    iban: str = "",
    holder_personal_number: str = "",
    post_office: str = "",
    note: str = "",
) -> PaymentAccount:
    """Pay the beneficiary from `valid_from` to a Georgian bank account or in cash at the post
    office (`post_office`: the branch where the cash is collected). The account is held by the beneficiary (no `holder_personal_number`, or theirs) or
    by their representative under a mandate valid on that day, named by personal number. The account in force before is closed the day before; a change cannot
    start on or before the day the current account started (record a correction as a new
    account from a later day). Staff who may record it, in the beneficiary's area."""
    permissions.require(actor, permissions.PAYMENT_ACCOUNTS_EDIT)
    permissions.require_in_scope(actor, person.municipality_id)
    try:
        day_in_range(valid_from, last=LAST_DAY)
    except ValidationError as error:
        raise ValidationError({"valid_from": error.messages}) from error
    if method not in PaymentMethod.values:
        raise ValidationError({"method": _("Choose a bank account or cash at the post office.")})
    iban = (iban or "").strip()
    post_office = " ".join((post_office or "").split())
    if method == PaymentMethod.BANK:
        if not iban:
            raise ValidationError({"iban": _("Enter the IBAN of the account.")})
        try:
            iban_validator(iban)
        except ValidationError as error:
            raise ValidationError({"iban": error.messages}) from error
        iban = iban_compact(iban)
        if post_office:
            raise ValidationError(
                {"post_office": _("A bank account takes no post office: leave it empty.")}
            )
    else:
        if iban:
            raise ValidationError({"iban": _("Cash at the post office takes no IBAN.")})
        if not post_office:
            raise ValidationError(
                {"post_office": _("Enter the post office where the cash is collected.")}
            )
    number = (holder_personal_number or "").strip()
    if number and number != person.personal_number:
        mandate = _mandate(person, number, valid_from)
        holder = mandate.representative
    else:
        mandate, holder = None, person

    # The beneficiary's row is the lock: two changes at once take turns.
    Person.objects.select_for_update().filter(pk=person.pk).values_list("pk").first()
    current = PaymentAccount.objects.filter(person=person, valid_until__isnull=True).first()
    if current is not None and valid_from <= current.valid_from:
        raise ValidationError(
            {
                "valid_from": _(
                    "The current account is used from %(date)s: a new one starts after that day."
                )
                % {"date": long_date(current.valid_from)}
            }
        )
    account = PaymentAccount(
        person=person,
        method=method,
        iban=iban,
        bank_code=iban[4:6] if iban else "",
        post_office=post_office,
        holder=holder,
        representative=mandate,
        valid_from=valid_from,
        recorded_by=actor,
        note=(note or "").strip(),
    )
    account.full_clean(exclude=["person", "holder", "representative", "recorded_by"])
    with acting_as(actor):
        if current is not None:
            current.valid_until = valid_from - timedelta(days=1)
            current.save(update_fields=["valid_until"])
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError as error:
            raise ValidationError(
                _("The account was changed at the same moment by someone else: reload the page.")
            ) from error
    return account


def _require_payroll(actor, programme) -> None:
    permissions.require(actor, permissions.PAYROLL_MANAGE)
    if programme is not None and not permissions.processes_programme(
        actor, programme.municipality_id
    ):
        raise PermissionDenied(_("Your office does not pay this programme."))
    # Every programme at once: those who pay the state's (a municipality's officers pay their
    # own programmes, one at a time).
    if programme is None and not permissions.processes_programme(actor, None):
        raise PermissionDenied(_("Choose your municipality's programme."))


@transaction.atomic
def payroll_start(*, actor, month: date, programme=None, enqueue: bool = True) -> Payroll:
    """Queue the preparation of a month's payroll for a programme (or every programme, for the
    SSA's national staff and administrators). One payroll of a programme and month at a time
    is being prepared; a month already prepared may be prepared again: only those not yet paid
    get lines."""
    _require_payroll(actor, programme)
    if month.day != 1:
        raise ValidationError({"month": _("A payroll is for a whole month: give its first day.")})
    try:
        day_in_range(month, last=LAST_DAY)
    except ValidationError as error:
        raise ValidationError({"month": error.messages}) from error
    busy = Payroll.objects.filter(month=month, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    if programme is not None:  # a payroll of every programme overlaps every programme's
        busy = busy.filter(Q(programme=programme) | Q(programme__isnull=True))
    if busy.exists():
        raise ValidationError(
            {"month": _("A payroll for this month is already being prepared: wait for it.")}
        )
    with acting_as(actor):
        payroll = Payroll.objects.create(month=month, programme=programme, prepared_by=actor)
    if enqueue:
        from zrunva.payments.tasks import payroll_prepare

        transaction.on_commit(lambda: payroll_prepare.enqueue(payroll.pk))
    return payroll


def _locked_payroll(payroll: Payroll) -> Payroll:
    return (
        Payroll.objects.select_for_update(of=("self",))
        .select_related("programme")
        .get(pk=payroll.pk)
    )


def _step(payroll: Payroll, actor, **fields) -> Payroll:
    for name, value in fields.items():
        setattr(payroll, name, value)
    with acting_as(actor):
        payroll.save(update_fields=list(fields))
    return payroll


def _require_within_budget(payroll: Payroll) -> None:
    """A municipal programme pays no more in a year than its council's budget: a payroll that
    would go over stops here, saying by how much (cancel it, or have the budget amended)."""
    over = budget_overruns(payroll.pk)
    if over:
        raise ValidationError(
            [
                _(
                    "%(programme)s: the payments of %(year)d would exceed the budget of "
                    "%(budget)s by %(over)s."
                )
                % {
                    "programme": row["programme"].name,
                    "year": row["year"],
                    "budget": numbers.money(row["budget"]),
                    "over": numbers.money(row["over"]),
                }
                for row in over
            ]
        )


@transaction.atomic
def payroll_check(*, actor, payroll: Payroll) -> Payroll:
    """Mark a prepared payroll checked: its counts and totals, and the held lines, looked at."""
    payroll = _locked_payroll(payroll)
    _require_payroll(actor, payroll.programme)
    if payroll.step != PayrollStep.PREPARED:
        raise ValidationError(_("Only a prepared payroll is checked."))
    _require_within_budget(payroll)
    return _step(payroll, actor, step=PayrollStep.CHECKED, checked_by=actor)


@transaction.atomic
def payroll_approve(*, actor, payroll: Payroll) -> Payroll:
    """Approve a checked payroll: by someone other than who prepared it (four eyes)."""
    payroll = _locked_payroll(payroll)
    _require_payroll(actor, payroll.programme)
    if payroll.step != PayrollStep.CHECKED:
        raise ValidationError(_("Check the payroll before approving it."))
    four_eyes(
        prepared_by=payroll.prepared_by_id,
        approver=actor,
        message=_("You prepared this payroll: another officer approves it (four eyes)."),
    )
    _require_within_budget(payroll)
    return _step(
        payroll, actor, step=PayrollStep.APPROVED, approved_by=actor, approved_at=timezone.now()
    )


@transaction.atomic
def payroll_cancel(*, actor, payroll: Payroll, reason: str) -> Payroll:
    """Cancel a payroll and its lines, so that a new payroll may pay those beneficiaries. Before
    approval, by those who prepare payrolls; once approved, only by an administrator, with a
    reason. Never once it has been sent to the banks."""
    payroll = _locked_payroll(payroll)
    _require_payroll(actor, payroll.programme)
    reason = (reason or "").strip()
    if payroll.step == PayrollStep.CANCELLED:
        raise ValidationError(_("This payroll is already cancelled."))
    if payroll.step in SENT:  # its money went out: a recovery corrects a line, not a cancel
        raise ValidationError(_("This payroll was sent to the banks: it is not cancelled."))
    if payroll.is_active:
        raise ValidationError(_("Wait until the payroll is prepared."))
    if payroll.step == PayrollStep.APPROVED:
        if not permissions.has_perm(actor, permissions.PAYROLL_CANCEL_APPROVED):
            raise PermissionDenied(_("An approved payroll is cancelled by an administrator."))
        if not reason:
            raise ValidationError(
                {"reason": _("Give the reason for cancelling an approved payroll.")}
            )
    payroll_tracking.untrack(payroll)
    payroll.payments.update(status=PaymentStatus.CANCELLED, hold_reason="")
    return _step(payroll, actor, step=PayrollStep.CANCELLED, cancel_reason=reason)


@transaction.atomic
def payroll_export(*, actor, payroll: Payroll) -> list[PayrollFile]:
    """Write an approved payroll's bank files, one per payment provider in each format (ISO
    20022 pain.001.001.09 and CSV), stored with their figures and SHA-256, and mark the payroll
    sent. Payments in cash are not in a bank file: the post offices pay them from cash lists."""
    payroll = _locked_payroll(payroll)
    _require_payroll(actor, payroll.programme)
    if payroll.step != PayrollStep.APPROVED:
        raise ValidationError(_("Only an approved payroll is sent to the banks."))
    made = []
    figures = {
        row["bank_code"]: row
        for row in bankfiles.bank_totals(payroll)
        if row["method"] == PaymentMethod.BANK
    }
    # Both files of each bank from one read of all the payroll's bank lines.
    for code, lines in bankfiles.lines_by_bank(payroll):
        row = figures[code]
        with tempfile.TemporaryFile() as xml, tempfile.TemporaryFile() as table:
            text = io.TextIOWrapper(table, encoding="utf-8", newline="")
            bankfiles.bank_files(payroll, code, xml, text, lines=lines, figures=row)
            text.flush()
            text.detach()
            for kind, suffix, out in ((FileKind.PAIN001, "xml", xml), (FileKind.CSV, "csv", table)):
                out.seek(0)
                digest = hashlib.sha256()
                for block in iter(lambda out=out: out.read(1 << 20), b""):
                    digest.update(block)
                out.seek(0)
                record = PayrollFile(
                    payroll=payroll,
                    bank_code=code,
                    kind=kind,
                    count=row["count"],
                    total=row["total"],
                    sha256=digest.hexdigest(),
                )
                name = f"{payroll.pk}/payroll-{payroll.pk}-{payroll.month:%Y-%m}-{code}.{suffix}"
                record.file.save(name, File(out), save=False)
                with acting_as(actor):
                    record.save()
                made.append(record)
    _step(payroll, actor, step=PayrollStep.EXPORTED)
    bulk_run_log(
        actor=actor,
        model=Payroll,
        job=f"payroll_export #{payroll.pk}",
        counts={f"{f.bank_code} {f.kind}": f.count for f in made},
    )
    return made


@transaction.atomic
def reconciliation_apply(*, actor, payroll: Payroll, upload, kind: str) -> Reconciliation:
    """Apply a bank's answer to an exported payroll (camt.054 or CSV): each line marks a payment
    paid, or returned with the bank's reason, which frees it for a later payroll once the
    account is corrected. The file is applied whole or not at all: a line naming a payment not
    in this payroll, one already settled or named twice, another amount or currency, refuses
    the file, with every bad line in the message. The same file is not applied twice."""
    payroll = _locked_payroll(payroll)
    _require_payroll(actor, payroll.programme)
    if payroll.step not in (PayrollStep.EXPORTED, PayrollStep.RECONCILED):
        raise ValidationError({"file": _("Only a payroll sent to the banks has answers.")})
    if kind not in ReconciliationKind.values:
        raise ValidationError({"kind": _("Choose camt.054 or CSV.")})
    if upload.size > reconcile.MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 200 MB.")})
    data = upload.read()
    digest = hashlib.sha256(data).hexdigest()
    if Reconciliation.objects.filter(sha256=digest).exists():
        raise ValidationError({"file": _("This file was already applied.")})
    parse = reconcile.parse_camt054 if kind == ReconciliationKind.CAMT054 else reconcile.parse_csv
    answers = reconcile.identified(parse(data))
    payments = query_frame(
        payroll.payments.filter(
            status__in=[PaymentStatus.DUE, PaymentStatus.PAID, PaymentStatus.RETURNED],
        ).values_list("pk", "amount", "status", "enrolment_id"),
        {**reconcile.PAYMENTS, "enrolment": pl.Int64},
    )
    problems = reconcile.check(answers, payments.drop("enrolment"))
    if problems:
        raise ValidationError(
            {
                "file": [
                    _("Line %(line)d (%(reference)s): %(problem)s")
                    % {**p, "reference": p["reference"] or "—"}
                    for p in problems
                ]
            }
        )
    returned = int(answers["returned"].sum())
    record = Reconciliation(
        payroll=payroll,
        kind=kind,
        sha256=digest,
        paid=answers.height - returned,
        returned=returned,
        uploaded_by=actor,
    )
    record.file.save(
        f"{payroll.pk}/{digest[:16]}.{'xml' if kind == 'camt054' else 'csv'}",
        ContentFile(data),
        save=False,
    )
    with acting_as(actor):
        record.save()
    # One UPDATE from the answers: the paid lines rewritten in place (see `Payment.paying`).
    update_frame(
        Payment._meta.db_table,
        answers.select(
            id=pl.col("payment"),
            status=pl.when("returned")
            .then(pl.lit(PaymentStatus.RETURNED.value))
            .otherwise(pl.lit(PaymentStatus.PAID.value)),
            return_reason=pl.when("returned").then("reason").otherwise(pl.lit("")),
            reconciliation_id=pl.lit(record.pk, dtype=pl.Int64),
        ),
    )
    if returned:
        payroll_tracking.owe(
            payroll.payments.filter(reconciliation=record, status=PaymentStatus.RETURNED)
        )
    due = payments.filter(pl.col("status") == PaymentStatus.DUE)
    if due.height == answers.height:  # every due line answered (check refused any other)
        _step(payroll, actor, step=PayrollStep.RECONCILED)
    back = due.join(answers.filter("returned"), left_on="id", right_on="payment", how="semi")
    suspended = suspend_uncollected(
        payroll=payroll,
        enrolment_ids=back["enrolment"].unique().sort().to_list(),
    )
    bulk_run_log(
        actor=actor,
        model=Payroll,
        job=f"payroll_reconcile #{payroll.pk}",
        counts={"paid": record.paid, "returned": record.returned, "suspended": suspended},
    )
    return record


# -- Suspensions and recoveries ------------------------------------------------------------------


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return _month(day) + relativedelta(months=1)


def _require_enrolment(actor, enrolment: Enrolment, perm: str) -> None:
    """Those with `perm` whose office pays the programme, in the household's area, and for a
    programme whose rules read health data only those who see health data."""
    permissions.require(actor, perm)
    if not permissions.processes_programme(actor, enrolment.programme.municipality_id):
        raise PermissionDenied(_("Your office does not pay this programme."))
    permissions.require_in_scope(actor, enrolment.household.municipality_id)
    permissions.require_health_programme(actor, enrolment.programme_id)


def _written(value):
    """A message's value as the reader's language writes it: dates in words, amounts as money."""
    if isinstance(value, date):
        return long_date(value)
    if isinstance(value, Decimal):
        return numbers.money(value)
    return value


def _tell(enrolment: Enrolment, *, subject: str, body: str, **values) -> int:
    """Queue a message to the beneficiary, through the application's contact details and in its
    language (`subject` and `body` untranslated, with `values`). An enrolment made in bulk has
    no application, hence no contact details: nothing is sent."""
    application = enrolment.application
    if application is None:
        return 0
    with translation.override(application.language or "ka"):
        values = {
            "programme": enrolment.programme.name,
            "number": application.number,
            **{k: _written(v) for k, v in values.items()},
        }
        return message_to_case(application, subject=_(subject) % values, body=_(body) % values)


def _hold_unsent(enrolment_ids, *, since: date, reason: str) -> int:
    """Hold the lines due to these enrolments for `since` and later months in payrolls not yet
    sent to the banks (the bank files are made from due lines only). A held line deducts
    nothing: its deduction goes back to the recovery and its amount back to the whole."""
    lines = Payment.objects.filter(
        enrolment_id__in=enrolment_ids,
        status=PaymentStatus.DUE,
        month__gte=since,
        payroll__step__in=UNSENT,
    )
    payroll_tracking.owe(lines)
    return lines.update(
        status=PaymentStatus.HELD,
        hold_reason=reason,
        amount=F("amount") + F("deducted"),
        deducted=0,
        recovery=None,
    )


@transaction.atomic
def suspension_start(
    *, actor, enrolment: Enrolment, reason: str, starts: date, note: str = ""
) -> Suspension:
    """Stop paying an enrolment from a month (this month or a later one) until it is resumed:
    the beneficiary lives abroad, or another reason, given in the note. Lines not yet sent to
    the banks for those months are held; the beneficiary is told. Money not collected and an
    expired assessment are suspended by the daily job, from the registry and the answers."""
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("programme", "household", "application")
        .get(pk=enrolment.pk)
    )
    _require_enrolment(actor, enrolment, permissions.PAYMENT_SUSPEND)
    if reason not in SuspensionReason.values:
        raise ValidationError({"reason": _("Choose why the payment is suspended.")})
    if reason in JOB_SUSPENSION_REASONS:
        raise ValidationError(
            {
                "reason": _(
                    "Money not collected and an expired assessment are suspended by the daily "
                    "job: choose another reason."
                )
            }
        )
    note = (note or "").strip()
    if reason == SuspensionReason.OTHER and not note:
        raise ValidationError({"note": _("Say why the payment is suspended.")})
    starts = _month(starts)
    if starts < _month(timezone.localdate()):
        raise ValidationError(
            {
                "starts": _(
                    "A suspension starts this month or later; money already paid for earlier "
                    "months is recovered instead."
                )
            }
        )
    if enrolment.ends is not None and starts > enrolment.ends:
        raise ValidationError({"starts": _("The enrolment ends before that month.")})
    return _suspend(enrolment, reason=reason, starts=starts, note=note, actor=actor)


def _suspend(enrolment: Enrolment, *, reason: str, starts: date, note: str, actor) -> Suspension:
    if Suspension.objects.filter(enrolment=enrolment, outcome=SuspensionOutcome.OPEN).exists():
        raise ValidationError(_("Payment of this enrolment is already suspended."))
    starts = _suspension_starts([enrolment], starts)[enrolment.pk]
    suspension = Suspension(
        enrolment=enrolment, reason=reason, starts=starts, note=note, suspended_by=actor
    )
    with acting_as(actor):
        suspension.save()
    _hold_unsent([enrolment.pk], since=starts, reason=HoldReason.SUSPENDED)
    _tell_suspended(enrolment, suspension)
    return suspension


def _suspension_starts(enrolments: list[Enrolment], starts: date) -> dict[int, date]:
    """By enrolment, when a new suspension starts: `starts`, or the day the enrolment's last
    suspension resumed, if later: two never cover the same months."""
    ended = dict(
        Suspension.objects.filter(enrolment__in=enrolments)
        .exclude(outcome=SuspensionOutcome.OPEN)
        .values("enrolment_id")
        .annotate(last=Max("resumes"))
        .values_list("enrolment_id", "last")
    )
    return {e.pk: max(starts, ended.get(e.pk) or starts) for e in enrolments}


def _tell_suspended(enrolment: Enrolment, suspension: Suspension) -> int:
    return _tell(
        enrolment,
        subject=gettext_noop("Application %(number)s: the payment is suspended"),
        body=gettext_noop(
            "The payment of %(programme)s under application %(number)s is suspended from "
            "%(starts)s because %(reason)s. It is not lost: contact the office that processed "
            "your application to have it resumed."
        ),
        starts=suspension.starts,
        reason=SUSPENSION_REASON_TEXTS[suspension.reason],
    )


# What the beneficiary is told the payment is suspended for: neutral words, in their language.
SUSPENSION_REASON_TEXTS = {
    SuspensionReason.NON_COLLECTION: gettext_lazy("the money was not collected for months"),
    SuspensionReason.ABROAD: gettext_lazy("we were told that you live abroad"),
    SuspensionReason.ASSESSMENT: gettext_lazy(
        "the household's assessment (home visit) is out of date"
    ),
    SuspensionReason.OTHER: gettext_lazy("the office decided so"),
}


@transaction.atomic
def suspension_resume(
    *, actor, suspension: Suspension, release: bool = True, note: str = "", on: date | None = None
) -> Suspension:
    """Pay an enrolment again from the month of `on` (default: today). The months suspended are paid as arrears by the
    next payroll (`release`), or, with a reason, not at all. The daily job resumes a
    suspension for an expired assessment once the household is assessed again (`actor` None)."""
    suspension = (
        Suspension.objects.select_for_update(of=("self",))
        .select_related("enrolment__programme", "enrolment__household", "enrolment__application")
        .get(pk=suspension.pk)
    )
    enrolment = suspension.enrolment
    if actor is not None:
        _require_enrolment(actor, enrolment, permissions.PAYMENT_SUSPEND)
    if suspension.outcome != SuspensionOutcome.OPEN:
        raise ValidationError(_("This suspension was already lifted."))
    note = (note or "").strip()
    if not release and not note:
        raise ValidationError({"note": _("Give the reason the months suspended are not paid.")})
    suspension.outcome = SuspensionOutcome.RESUMED if release else SuspensionOutcome.CANCELLED
    suspension.resumes = max(suspension.starts, _month(on or timezone.localdate()))
    suspension.resolution_note, suspension.resolved_by = note, actor
    suspension.resolved_at = timezone.now()
    with acting_as(actor):
        suspension.save(
            update_fields=["outcome", "resumes", "resolution_note", "resolved_by", "resolved_at"]
        )
    _tell(
        enrolment,
        subject=gettext_noop("Application %(number)s: the payment is resumed"),
        body=(
            gettext_noop(
                "The payment of %(programme)s under application %(number)s is resumed from "
                "%(resumes)s; the months it was suspended are paid with the next payment."
            )
            if release
            else gettext_noop(
                "The payment of %(programme)s under application %(number)s is resumed from "
                "%(resumes)s; the months it was suspended are not paid. If you disagree, you "
                "may file a grievance."
            )
        ),
        resumes=suspension.resumes,
    )
    return suspension


def _uncollected(enrolment_ids: list[int], *, months: int) -> list[int]:
    """Of these enrolments, those whose last `months` months settled (paid or returned) were
    all returned: the money was not collected."""
    rows = (
        Payment.objects.filter(
            enrolment_id__in=enrolment_ids,
            status__in=[PaymentStatus.PAID, PaymentStatus.RETURNED],
        )
        .order_by("enrolment_id", "-month", "-id")
        .values_list("enrolment_id", "month", "status")
    )
    settled: dict[int, dict[date, str]] = {}
    for enrolment_id, month, status in rows:  # the latest line of a month decides
        settled.setdefault(enrolment_id, {}).setdefault(month, status)
    return [
        pk
        for pk, by_month in settled.items()
        if len(by_month) >= months
        and all(s == PaymentStatus.RETURNED for s in list(by_month.values())[:months])
    ]


def suspend_uncollected(*, payroll: Payroll, enrolment_ids: list[int]) -> int:
    """After a bank's or post office's answer: suspend, from the month after the payroll's,
    each of these enrolments whose money was not collected for `PAYMENT_NON_COLLECTION_
    MONTHS` months in a row (the daily job's reason: no officer), unless already suspended."""
    months = settings.PAYMENT_NON_COLLECTION_MONTHS
    found = _uncollected(enrolment_ids, months=months)
    in_force = Suspension.objects.filter(enrolment=OuterRef("pk"), outcome=SuspensionOutcome.OPEN)
    enrolments = list(
        Enrolment.objects.filter(pk__in=found, ends__isnull=True)
        .exclude(Exists(in_force))
        .select_related("programme", "application")
        .order_by("pk")
    )
    if not enrolments:
        return 0
    # As `_suspend` does each, for thousands at once (a bank's answer can return 1% of a
    # million lines): written in one statement, counted in the answer's audit row.
    starts = _suspension_starts(enrolments, _next_month(payroll.month))
    note = _("Returned as not collected %(count)d months in a row.") % {"count": months}
    made = Suspension.objects.bulk_create(
        [
            Suspension(
                enrolment=enrolment,
                reason=SuspensionReason.NON_COLLECTION,
                starts=starts[enrolment.pk],
                note=note,
            )
            for enrolment in enrolments
        ],
        batch_size=2000,
    )
    for since in sorted({s.starts for s in made}):
        _hold_unsent(
            [s.enrolment_id for s in made if s.starts == since],
            since=since,
            reason=HoldReason.SUSPENDED,
        )
    for enrolment, suspension in zip(enrolments, made, strict=True):
        _tell_suspended(enrolment, suspension)
    return len(made)


def suspensions_due(*, on: date | None = None) -> dict:
    """The daily job: suspend, from next month, the open enrolments of programmes decided on a
    home visit whose household's assessment is out of date (`reassessment_due` passed), and
    resume (arrears released) those suspended for it once the household is assessed again.
    Running it again changes nothing more. Returns the counts, also written as an audit row."""
    on = on or timezone.localdate()
    due = Subquery(latest_assessment(OuterRef("household_id")).values("reassessment_due")[:1])
    in_force = Suspension.objects.filter(enrolment=OuterRef("pk"), outcome=SuspensionOutcome.OPEN)
    expired = (
        Enrolment.objects.filter(ends__isnull=True, programme__workflow__home_visit=True)
        .annotate(reassessment_due=due)
        .filter(reassessment_due__lt=on)
        .exclude(Exists(in_force))
        .select_related("programme", "application")
        .order_by("pk")
    )
    counts = {"suspended": 0, "resumed": 0}
    for enrolment in expired:
        with transaction.atomic():
            _suspend(
                enrolment,
                reason=SuspensionReason.ASSESSMENT,
                starts=_next_month(on),
                note=_("Assessment due again on %(date)s.")
                % {"date": long_date(enrolment.reassessment_due)},
                actor=None,
            )
        counts["suspended"] += 1
    renewed = (
        Suspension.objects.filter(
            outcome=SuspensionOutcome.OPEN, reason=SuspensionReason.ASSESSMENT
        )
        .annotate(
            reassessment_due=Subquery(
                latest_assessment(OuterRef("enrolment__household_id")).values("reassessment_due")[
                    :1
                ]
            )
        )
        .filter(reassessment_due__gte=on)
        .order_by("pk")
    )
    for suspension in renewed:
        suspension_resume(actor=None, suspension=suspension, release=True, on=on)
        counts["resumed"] += 1
    if any(counts.values()):
        with transaction.atomic():
            bulk_run_log(actor=None, model=Suspension, job="payment_suspensions", counts=counts)
    return counts


def _paid_after(enrolment: Enrolment) -> list[Payment]:
    """The enrolment's payments for months after it ended that went, or are going, out: paid,
    or due in a payroll already sent to the banks."""
    return list(
        Payment.objects.filter(enrolment=enrolment, month__gt=enrolment.ends)
        .filter(Q(status=PaymentStatus.PAID) | Q(status=PaymentStatus.DUE, payroll__step__in=SENT))
        .order_by("month", "pk")
    )


def enrolment_ended(*, enrolment: Enrolment, actor) -> Recovery | None:
    """An enrolment ended (`applications.signals.enrolment_ended`, inside its transaction):
    its lines not yet sent for months after the end are held, and what was paid for those
    months is proposed for recovery, recorded as by who ended it (none: the daily job), to
    be approved by another officer."""
    after = _next_month(enrolment.ends)
    _hold_unsent([enrolment.pk], since=after, reason=HoldReason.ENDED)
    # A suspension in force ends with the enrolment; the months it held are not paid.
    for suspension in Suspension.objects.filter(
        enrolment=enrolment, outcome=SuspensionOutcome.OPEN
    ):
        suspension.outcome = SuspensionOutcome.CANCELLED
        suspension.resumes = max(suspension.starts, after)
        suspension.resolution_note = _("The enrolment ended.")
        suspension.resolved_by, suspension.resolved_at = actor, timezone.now()
        with acting_as(actor):
            suspension.save()
    overpaid = _paid_after(enrolment)
    if not overpaid:
        return None
    total = sum((p.amount + p.deducted for p in overpaid), Decimal("0.00"))
    months = sorted({p.month for p in overpaid})
    recovery = Recovery(
        enrolment=enrolment,
        payee_id=overpaid[-1].payee_id,
        amount=total,
        reason=RecoveryReason.ENDED_EARLIER,
        months=", ".join(f"{m:%Y-%m}" for m in months),
        recorded_by=actor,
    )
    with acting_as(actor):
        recovery.save()
    return recovery


@transaction.atomic
def recovery_record(*, actor, enrolment: Enrolment, amount: Decimal, note: str) -> Recovery:
    """Record an overpayment of an enrolment found otherwise (a declaration found false, a
    payment made twice by hand), with the reason, up to what was paid under it; recovered
    from the payee's later payments once another officer approves it."""
    enrolment = Enrolment.objects.select_related("programme", "household").get(pk=enrolment.pk)
    _require_enrolment(actor, enrolment, permissions.RECOVERIES_MANAGE)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Give the reason for the recovery.")})
    if amount is None or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": _("Enter an amount above zero, to the tetri.")})
    paid = Payment.objects.filter(enrolment=enrolment, status=PaymentStatus.PAID)
    last = paid.order_by("-month", "-pk").first()
    if last is None:
        raise ValidationError({"amount": _("Nothing was paid under this enrolment.")})
    # SQLite sums decimals without their places: to the tetri again.
    total = gel(paid.aggregate(total=Sum(F("amount") + F("deducted")))["total"])
    if amount > total:
        raise ValidationError(
            {
                "amount": _("More than was paid under this enrolment (%(total)s).")
                % {"total": numbers.money(total)}
            }
        )
    recovery = Recovery(
        enrolment=enrolment,
        payee_id=last.payee_id,
        amount=amount,
        reason=RecoveryReason.OFFICER,
        note=note,
        recorded_by=actor,
    )
    with acting_as(actor):
        recovery.save()
    return recovery


def _locked_recovery(recovery: Recovery) -> Recovery:
    return (
        Recovery.objects.select_for_update(of=("self",))
        .select_related("enrolment__programme", "enrolment__household", "enrolment__application")
        .get(pk=recovery.pk)
    )


@transaction.atomic
def recovery_approve(*, actor, recovery: Recovery) -> Recovery:
    """Approve a recovery, by someone other than who recorded it (four eyes): from the next
    payroll, part of the payee's payments is kept back until it is repaid. The beneficiary
    is told how much, why and how it is recovered, in their language."""
    recovery = _locked_recovery(recovery)
    enrolment = recovery.enrolment
    _require_enrolment(actor, enrolment, permissions.RECOVERIES_MANAGE)
    if recovery.status != RecoveryStatus.PROPOSED:
        raise ValidationError(_("Only a recovery waiting for approval is approved."))
    four_eyes(
        prepared_by=recovery.recorded_by_id,
        approver=actor,
        message=_("You recorded this recovery: another officer approves it (four eyes)."),
    )
    recovery.status, recovery.approved_by = RecoveryStatus.APPROVED, actor
    recovery.approved_at = timezone.now()
    with acting_as(actor):
        recovery.save(update_fields=["status", "approved_by", "approved_at"])
    _tell(
        enrolment,
        subject=gettext_noop("Application %(number)s: an overpayment is recovered"),
        body=gettext_noop(
            "%(amount)s of %(programme)s under application %(number)s was paid that was "
            "not due (%(why)s). It is kept back from your next payments, at most %(cap)s%% of "
            "each, until repaid. If you disagree, you may file a grievance."
        ),
        amount=recovery.amount,
        why=RECOVERY_REASON_TEXTS[recovery.reason],
        cap=int(settings.PAYMENT_DEDUCTION_CAP * 100),
    )
    return recovery


RECOVERY_REASON_TEXTS = {
    RecoveryReason.ENDED_EARLIER: gettext_lazy("paid for months after the payment ended"),
    RecoveryReason.OFFICER: gettext_lazy("the office found it on review"),
}


@transaction.atomic
def recovery_cancel(*, actor, recovery: Recovery, reason: str) -> Recovery:
    """Cancel a recovery, with the reason (written off, repaid otherwise, recorded in error):
    nothing more is deducted; what was deducted stays deducted."""
    recovery = _locked_recovery(recovery)
    _require_enrolment(actor, recovery.enrolment, permissions.RECOVERIES_MANAGE)
    reason = (reason or "").strip()
    if recovery.status == RecoveryStatus.CANCELLED:
        raise ValidationError(_("This recovery is already cancelled."))
    if not reason:
        raise ValidationError({"reason": _("Give the reason for cancelling the recovery.")})
    recovery.status, recovery.cancel_reason = RecoveryStatus.CANCELLED, reason
    with acting_as(actor):
        recovery.save(update_fields=["status", "cancel_reason"])
    return recovery
