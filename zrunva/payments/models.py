from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from zrunva.core.jobs import Job
from zrunva.core.validators import iban_validator
from zrunva.payments.choices import (
    PAYING,
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


class PaymentAccount(models.Model):
    """Where a beneficiary is paid from a date: a Georgian bank account (IBAN) or cash at the
    post office, held by the beneficiary or by their representative under a mandate valid on
    that date. A change closes the account before it (`valid_until`) and opens a new row: rows
    are never edited otherwise nor deleted, and the audit trail records each."""

    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.PROTECT,
        related_name="payment_accounts",
        verbose_name=_("beneficiary"),
    )
    method = models.CharField(_("paid by"), max_length=4, choices=PaymentMethod.choices)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True, validators=[iban_validator])
    # The IBAN's two letters naming the bank (GE29 NB…: the National Bank), for the bank files.
    bank_code = models.CharField(_("bank code"), max_length=4, blank=True)
    # For cash: the post office branch the beneficiary collects at (its cash list).
    post_office = models.CharField(_("post office"), max_length=200, blank=True)
    holder = models.ForeignKey(
        "registry.Person",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("account holder"),
    )
    # The mandate under which a representative holds the account (none: the beneficiary's own).
    representative = models.ForeignKey(
        "registry.Representative",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("representative's mandate"),
    )
    valid_from = models.DateField(_("paid here from"))
    valid_until = models.DateField(_("paid here until"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True, max_length=1000)

    class Meta:
        ordering = ["person_id", "-valid_from", "-id"]
        verbose_name = _("payment account")
        verbose_name_plural = _("payment accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(valid_until__isnull=True),
                name="payment_account_one_open",
                violation_error_message=_("This beneficiary already has an open account."),
            ),
            models.CheckConstraint(
                condition=(Q(method=PaymentMethod.BANK) & ~Q(iban="") & Q(post_office=""))
                | (Q(method=PaymentMethod.CASH) & Q(iban="") & ~Q(post_office="")),
                name="payment_account_iban_or_post_office",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="payment_account_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(representative__isnull=True) | ~Q(holder=F("person")),
                name="payment_account_mandate_for_others",
            ),
        ]

    def __str__(self) -> str:
        where = self.iban if self.method == PaymentMethod.BANK else self.get_method_display()
        return f"{self.person_id}: {where} from {self.valid_from}"

    def get_additional_data(self) -> dict:
        return {"person_id": self.person_id}


class Payroll(Job):
    """A month's payments for one programme, or for all: prepared by the background worker (a
    batch job: stage, progress, summary), then checked, and approved by someone other than who
    prepared it (four eyes). Preparing a month again pays nobody twice: a beneficiary already
    in a payroll for that month (not cancelled) is left out."""

    TASK = "zrunva.payments.tasks.payroll_prepare"
    STAGES = {
        "reading": _("reading the enrolments and entitlements"),
        "writing": _("writing the payments"),
        "done": _("done"),
    }

    month = models.DateField(_("month"))
    programme = models.ForeignKey(
        "programmes.Programme",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("programme"),
        help_text=_("Empty for every programme the preparer's office pays."),
    )
    step = models.CharField(
        _("step"), max_length=10, choices=PayrollStep.choices, default=PayrollStep.PREPARING
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("checked by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    class Meta:
        ordering = ["-month", "-id"]
        verbose_name = _("payroll")
        verbose_name_plural = _("payrolls")
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="payroll_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.month:%Y-%m}"


class Payment(models.Model):
    """One beneficiary's payment for one programme and month, in a payroll: due (to the account
    valid in the month) or held, with the reason; then paid or returned, as the bank's answer
    says. At most one payment due or paid per beneficiary, programme and month, in any payroll:
    the two partial unique indexes below. A held or returned line does not count: a later
    payroll pays it once the reason is gone."""

    # A million lines are written at once (COPY) by the payroll's own code: no foreign-key
    # checks, and only the indexes a query reads (each costs the write about a tenth of its time;
    # bench/README.md "payroll.py").
    payroll = models.ForeignKey(
        Payroll,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("payroll"),
        db_constraint=False,
    )
    enrolment = models.ForeignKey(
        "applications.Enrolment",
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("enrolment"),
        db_constraint=False,
    )
    programme = models.ForeignKey(
        "programmes.Programme",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,  # the unique indexes hold it; a payroll reads by payroll or month
    )
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    # The person a personal programme pays; empty when it pays the household.
    person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    # Who receives it: the person, or the household's head (its account, its post office).
    payee = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        db_constraint=False,
        db_index=False,  # the (payee, month) index leads with it
        verbose_name=_("payee"),
    )
    month = models.DateField(_("month"))
    # What is paid: the month's entitlement, pro-rated for a last part month, less `deducted`.
    amount = models.DecimalField(_("amount, GEL"), max_digits=12, decimal_places=2)
    # The month's entitlement before pro-rating a last part month.
    monthly = models.DecimalField(_("monthly amount, GEL"), max_digits=12, decimal_places=2)
    # Kept back to repay an overpayment (`recovery`), within the monthly cap.
    deducted = models.DecimalField(_("deducted, GEL"), max_digits=12, decimal_places=2, default=0)
    recovery = models.ForeignKey(
        "Recovery",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deductions",
        verbose_name=_("recovery"),
        db_index=False,  # the partial index below: the few lines with a deduction
    )
    decision = models.ForeignKey(
        "programmes.Decision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    account = models.ForeignKey(
        PaymentAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("payment account"),
        db_constraint=False,
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices)
    # Whether the line counts as made (due or paid): what the never-twice indexes read, rather
    # than the status itself, so that marking a due line paid changes no indexed value and
    # PostgreSQL rewrites it in place (a HOT update, in the room the table's fillfactor leaves:
    # migration 0008), not in each of its eight indexes.
    paying = models.GeneratedField(
        expression=Q(status__in=PAYING),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name=_("counts as made"),
    )
    hold_reason = models.CharField(
        _("held because"), max_length=12, choices=HoldReason.choices, blank=True
    )
    # The bank's ISO 20022 return reason (AC04: closed account, MD07: the holder has died, …).
    return_reason = models.CharField(_("returned because"), max_length=4, blank=True)
    reconciliation = models.ForeignKey(
        "Reconciliation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("bank's answer"),
        db_index=False,  # set by UPDATE on lines found by id; read rarely
        # Set only by `reconciliation_apply` to the answer it has just saved, and answers are
        # never deleted: a deferred key would check every line again at commit (4 s a million).
        db_constraint=False,
    )

    class Meta:
        ordering = ["payroll_id", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "programme", "month"],
                condition=Q(person__isnull=False) & Q(paying=True),
                name="payment_once_per_person_month",
            ),
            models.UniqueConstraint(
                fields=["household", "programme", "month"],
                condition=Q(person__isnull=True) & Q(paying=True),
                name="payment_once_per_household_month",
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="payment_month_first_day"),
            models.CheckConstraint(
                condition=Q(amount__gte=0)
                & Q(deducted__gte=0)
                & Q(amount__lte=F("monthly") - F("deducted")),
                name="payment_amount_within_month",
            ),
            models.CheckConstraint(
                condition=Q(deducted=0) | Q(recovery__isnull=False),
                name="payment_deducted_for_a_recovery",
            ),
            models.CheckConstraint(
                condition=(Q(status=PaymentStatus.HELD) & ~Q(hold_reason=""))
                | (~Q(status=PaymentStatus.HELD) & Q(hold_reason="")),
                name="payment_held_with_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["payee", "month"], name="payment_payee_month"),
            # The few lines a bank returned (each with its reason), where a payroll looks for
            # the months to pay again. Not on `status`: a line marked paid stays in place.
            models.Index(
                fields=["household", "month"],
                condition=~Q(return_reason=""),
                name="payment_returned",
            ),
            models.Index(
                fields=["recovery"],
                condition=Q(recovery__isnull=False),
                name="payment_recovery",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payroll_id}: {self.programme_id} {self.month:%Y-%m} {self.amount}"


class OwedMonth(models.Model):
    """A month an enrolment may still be owed, of a month a payroll tracks (`TrackedMonth`):
    its line was held, or not written because the rules did not pay the month then, or its
    payment was returned, held back or cancelled after it was made. A payroll reads these for
    its arrears instead of every enrolment of every month of the window, and deletes a row once
    the month is paid or found not owed (`payments.payroll`)."""

    enrolment = models.ForeignKey(
        "applications.Enrolment",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,  # the unique constraint leads with it
    )
    programme = models.ForeignKey(
        "programmes.Programme",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,  # read by programme and month: the index below
    )
    month = models.DateField(_("month"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "month"], name="owed_month_once"),
        ]
        indexes = [models.Index(fields=["programme", "month"], name="owed_month_programme")]

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.month:%Y-%m}"


class TrackedEnrolments(models.Model):
    """Enrolments a payroll has read every month of the arrears window for, as a run of
    consecutive ids (`first_id` to `last_id`, each of them read): from then on the months a later
    payroll may owe them are their `OwedMonth` rows (in the months tracked). An enrolment made
    since is read, every month of its window, by the next payroll. A first payroll tracks a
    million enrolments made together in a few runs, not a row each. An id inside a run was
    read: one uncommitted when the payroll read (or of a programme it did not pay) splits the
    run, so it is never taken for tracked."""

    first_id = models.BigIntegerField(_("first enrolment id"))
    last_id = models.BigIntegerField(_("last enrolment id"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_id__lte=models.F("last_id")), name="tracked_run_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id}–{self.last_id}"


class TrackedMonth(models.Model):
    """A programme's month a payroll has read whole (its own month, or a month of arrears no
    payroll had read): every enrolment then known that it did not pay has an `OwedMonth` row.
    A month no payroll tracks is read whole."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    month = models.DateField(_("month"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "month"], name="tracked_month_once"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.month:%Y-%m}"


class Suspension(models.Model):
    """Payment of an enrolment stopped from a month (the enrolment goes on): its lines are held
    until it is lifted. Lifting it either releases the months suspended as arrears or cancels
    them, with a reason. At most one in force per enrolment."""

    enrolment = models.ForeignKey(
        "applications.Enrolment",
        on_delete=models.PROTECT,
        related_name="suspensions",
        verbose_name=_("enrolment"),
    )
    reason = models.CharField(_("reason"), max_length=16, choices=SuspensionReason.choices)
    starts = models.DateField(_("suspended from"), help_text=_("The first month not paid."))
    resumes = models.DateField(
        _("paid again from"), null=True, blank=True, help_text=_("The first month paid again.")
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=SuspensionOutcome.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True, max_length=1000)
    resolution_note = models.TextField(_("note on resuming"), blank=True, max_length=1000)
    # Empty: the daily job (money not collected, an expired assessment).
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("suspended by"),
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resumed by"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resumed"), null=True, blank=True)

    class Meta:
        ordering = ["enrolment_id", "-starts", "-id"]
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=Q(outcome=""),
                name="suspension_one_in_force",
                violation_error_message=_("Payment of this enrolment is already suspended."),
            ),
            models.CheckConstraint(
                condition=Q(starts__day=1) & (Q(resumes__isnull=True) | Q(resumes__day=1)),
                name="suspension_whole_months",
            ),
            models.CheckConstraint(
                condition=(Q(outcome="") & Q(resumes__isnull=True))
                | (~Q(outcome="") & Q(resumes__gte=F("starts"))),
                name="suspension_resumes_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id}: {self.reason} from {self.starts:%Y-%m}"

    def get_additional_data(self) -> dict:
        return {"enrolment_id": self.enrolment_id}


class Recovery(models.Model):
    """Money paid that was not due (an overpayment), to be recovered from the payee's later
    payments, at most `PAYMENT_DEDUCTION_CAP` of each: found when an enrolment is ended before
    months already paid, or recorded by an officer with a reason; deducted only once approved
    by someone other than who recorded it (four eyes). What is left is the amount less the
    deductions of payments due or paid (`selectors.recovery_outstanding`)."""

    enrolment = models.ForeignKey(
        "applications.Enrolment",
        on_delete=models.PROTECT,
        related_name="recoveries",
        verbose_name=_("enrolment"),
    )
    # Who repays: the person the overpaid payments went to.
    payee = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("payee")
    )
    amount = models.DecimalField(_("amount, GEL"), max_digits=12, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=16, choices=RecoveryReason.choices)
    months = models.CharField(_("months overpaid"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=1000)
    status = models.CharField(
        _("status"), max_length=10, choices=RecoveryStatus.choices, default=RecoveryStatus.PROPOSED
    )
    # Empty: found by the system when the enrolment was ended.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id}: {self.amount} ({self.status})"

    def get_additional_data(self) -> dict:
        return {"enrolment_id": self.enrolment_id, "payee_id": self.payee_id}


def _private_storage():
    # Outside MEDIA_ROOT and STATIC_ROOT: no URL reaches these files; a staff view serves them.
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


class PayrollFile(models.Model):
    """A bank file of an exported payroll, for one payment provider (the bank an IBAN names),
    with the figures its header states and its SHA-256, so what was sent can be shown to be
    what is stored."""

    payroll = models.ForeignKey(
        Payroll, on_delete=models.PROTECT, related_name="files", verbose_name=_("payroll")
    )
    bank_code = models.CharField(_("bank code"), max_length=4)
    kind = models.CharField(_("format"), max_length=8, choices=FileKind.choices)
    file = models.FileField(_("file"), storage=_private_storage, upload_to="payrolls/")
    count = models.PositiveIntegerField(_("payments"))
    total = models.DecimalField(_("total, GEL"), max_digits=14, decimal_places=2)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["payroll_id", "bank_code", "kind"]
        verbose_name = _("bank file")
        verbose_name_plural = _("bank files")
        constraints = [
            models.UniqueConstraint(
                fields=["payroll", "bank_code", "kind"], name="payroll_file_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.payroll_id}: {self.bank_code} {self.kind}"


class Reconciliation(models.Model):
    """A bank's answer to an exported payroll (camt.054 or CSV), applied whole: every line
    named a payment of the payroll, with its amount, once. The file is kept, with its SHA-256."""

    payroll = models.ForeignKey(
        Payroll, on_delete=models.PROTECT, related_name="reconciliations", verbose_name=_("payroll")
    )
    kind = models.CharField(_("format"), max_length=8, choices=ReconciliationKind.choices)
    file = models.FileField(_("file"), storage=_private_storage, upload_to="reconciliations/")
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    paid = models.PositiveIntegerField(_("paid"))
    returned = models.PositiveIntegerField(_("returned"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["payroll_id", "id"]
        verbose_name = _("bank's answer")
        verbose_name_plural = _("banks' answers")

    def __str__(self) -> str:
        return f"{self.payroll_id}: {self.kind} {self.uploaded_at:%Y-%m-%d}"
