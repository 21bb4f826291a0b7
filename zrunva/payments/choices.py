from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMethod(models.TextChoices):
    BANK = "bank", _("Bank account")
    CASH = "cash", _("Cash at the post office")


class PayrollStep(models.TextChoices):
    """Where a payroll is in its approval; its preparation is a batch job (its `status`)."""

    PREPARING = "preparing", _("Being prepared")
    PREPARED = "prepared", _("Prepared")
    CHECKED = "checked", _("Checked")
    APPROVED = "approved", _("Approved")
    EXPORTED = "exported", _("Sent to the banks")
    RECONCILED = "reconciled", _("Reconciled")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentStatus(models.TextChoices):
    DUE = "due", _("To be paid")
    PAID = "paid", _("Paid")
    RETURNED = "returned", _("Returned by the bank")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


# A payment that counts as made (or about to be): at most one per beneficiary, programme, month.
PAYING = (PaymentStatus.DUE, PaymentStatus.PAID)
# Payrolls whose due lines have not gone to the banks yet, and those whose have.
UNSENT = (PayrollStep.PREPARING, PayrollStep.PREPARED, PayrollStep.CHECKED, PayrollStep.APPROVED)
SENT = (PayrollStep.EXPORTED, PayrollStep.RECONCILED)


class HoldReason(models.TextChoices):
    """Why a line is held rather than paid: never dropped silently."""

    NOT_ELIGIBLE = "not_eligible", _("The rules now say not eligible")
    NEEDS_DATA = "needs_data", _("The rules need data the registry lacks")
    NO_DECISION = "no_decision", _("No decision for the month")
    NO_ACCOUNT = "no_account", _("No payment account")
    MANDATE = "mandate", _("The account holder's mandate as representative has ended")
    RETURNED = "returned", _("Returned from this account: waiting for a corrected one")
    SUSPENDED = "suspended", _("Payment suspended")
    ENDED = "ended", _("The enrolment ended before this month")


class FileKind(models.TextChoices):
    PAIN001 = "pain001", _("ISO 20022 pain.001.001.09 (XML)")
    CSV = "csv", _("CSV")


class ReconciliationKind(models.TextChoices):
    CAMT054 = "camt054", _("ISO 20022 camt.054 (XML)")
    CSV = "csv", _("CSV")


class SuspensionReason(models.TextChoices):
    """Why payment stops for a while (the enrolment goes on): lifted by resuming."""

    NON_COLLECTION = "non_collection", _("The money was not collected for months")
    ABROAD = "abroad", _("The beneficiary lives abroad")
    ASSESSMENT = "assessment", _("The household's assessment expired")
    OTHER = "other", _("Other")


# The reasons the daily job suspends for, and lifts when the reason is gone; officers give the
# others (and may lift any).
JOB_SUSPENSION_REASONS = frozenset({SuspensionReason.NON_COLLECTION, SuspensionReason.ASSESSMENT})


class SuspensionOutcome(models.TextChoices):
    OPEN = "", _("In force")
    RESUMED = "resumed", _("Resumed, the months suspended paid as arrears")
    CANCELLED = "cancelled", _("Resumed, the months suspended not paid")


class RecoveryReason(models.TextChoices):
    ENDED_EARLIER = "ended_earlier", _("Paid for months after the enrolment ended")
    OFFICER = "officer", _("Recorded by an officer")


class RecoveryStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for approval")
    APPROVED = "approved", _("Being recovered")
    CANCELLED = "cancelled", _("Cancelled")
