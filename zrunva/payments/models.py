from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from zrunva.core.validators import iban_validator
from zrunva.payments.choices import PaymentMethod


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
                condition=(Q(method=PaymentMethod.BANK) & ~Q(iban=""))
                | (Q(method=PaymentMethod.CASH) & Q(iban="")),
                name="payment_account_iban_for_bank_only",
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
