import hashlib
import io
import tempfile
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core.casework import four_eyes
from zrunva.core.jobs import JobStatus
from zrunva.core.text import long_date
from zrunva.core.trail import acting_as, bulk_run_log
from zrunva.core.validators import LAST_DAY, day_in_range, iban_compact, iban_validator
from zrunva.payments import bankfiles, reconcile
from zrunva.payments.choices import (
    FileKind,
    PaymentMethod,
    PaymentStatus,
    PayrollStep,
    ReconciliationKind,
)
from zrunva.payments.models import Payment, PaymentAccount, Payroll, PayrollFile, Reconciliation
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


@transaction.atomic
def payroll_check(*, actor, payroll: Payroll) -> Payroll:
    """Mark a prepared payroll checked: its counts and totals, and the held lines, looked at."""
    payroll = _locked_payroll(payroll)
    _require_payroll(actor, payroll.programme)
    if payroll.step != PayrollStep.PREPARED:
        raise ValidationError(_("Only a prepared payroll is checked."))
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
    if payroll.step == PayrollStep.EXPORTED:
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
    payroll.payments.update(status=PaymentStatus.CANCELLED, hold_reason="")
    return _step(payroll, actor, step=PayrollStep.CANCELLED, cancel_reason=reason)


@transaction.atomic
def payroll_export(*, actor, payroll: Payroll) -> list[PayrollFile]:
    """Write an approved payroll's bank files, one per payment provider in each format (ISO
    20022 pain.001.001.09 and CSV), stored with their figures and SHA-256, and mark the payroll
    sent. Payments in cash are not in a bank file (their lists per post office come next)."""
    payroll = _locked_payroll(payroll)
    _require_payroll(actor, payroll.programme)
    if payroll.step != PayrollStep.APPROVED:
        raise ValidationError(_("Only an approved payroll is sent to the banks."))
    made = []
    for row in bankfiles.bank_totals(payroll):
        if row["method"] != PaymentMethod.BANK:
            continue
        code = row["bank_code"]
        for kind, suffix in ((FileKind.PAIN001, "xml"), (FileKind.CSV, "csv")):
            with tempfile.TemporaryFile() as out:
                if kind == FileKind.PAIN001:
                    bankfiles.pain001(payroll, code, out)
                else:
                    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
                    bankfiles.payments_csv(payroll, code, text)
                    text.flush()
                    text.detach()
                out.seek(0)
                digest = hashlib.sha256()
                for block in iter(lambda: out.read(1 << 20), b""):
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
    lines = parse(data)
    payments = {
        pk: (amount, status)
        for pk, amount, status in payroll.payments.filter(
            account__method=PaymentMethod.BANK,
            status__in=[PaymentStatus.DUE, PaymentStatus.PAID, PaymentStatus.RETURNED],
        ).values_list("pk", "amount", "status")
    }
    problems = reconcile.check(lines, payments)
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
    record = Reconciliation(
        payroll=payroll,
        kind=kind,
        sha256=digest,
        paid=sum(not line.returned for line in lines),
        returned=sum(line.returned for line in lines),
        uploaded_by=actor,
    )
    record.file.save(
        f"{payroll.pk}/{digest[:16]}.{'xml' if kind == 'camt054' else 'csv'}",
        ContentFile(data),
        save=False,
    )
    with acting_as(actor):
        record.save()
    ids = {bankfiles.payment_id(line.reference): line for line in lines}
    paid = [pk for pk, line in ids.items() if not line.returned]
    Payment.objects.filter(pk__in=paid).update(status=PaymentStatus.PAID, reconciliation=record)
    by_reason: dict[str, list[int]] = {}
    for pk, line in ids.items():
        if line.returned:
            by_reason.setdefault(line.reason, []).append(pk)
    for reason, pks in by_reason.items():
        Payment.objects.filter(pk__in=pks).update(
            status=PaymentStatus.RETURNED, return_reason=reason, reconciliation=record
        )
    open_lines = payroll.payments.filter(
        status=PaymentStatus.DUE, account__method=PaymentMethod.BANK
    )
    if not open_lines.exists():
        _step(payroll, actor, step=PayrollStep.RECONCILED)
    bulk_run_log(
        actor=actor,
        model=Payroll,
        job=f"payroll_reconcile #{payroll.pk}",
        counts={"paid": record.paid, "returned": record.returned},
    )
    return record
