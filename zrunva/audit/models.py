from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Law of Georgia on Personal Data Protection (№3144 of 14 June 2023): a data subject's request
# to learn what is held about them is answered within 10 days of its receipt.
ANSWER_WITHIN_DAYS = 10


def answer_due(received_on: date) -> date:
    """The day an answer to a subject-access request is due: 10 days after it was received
    (Law №3144 on Personal Data Protection)."""
    return received_on + timedelta(days=ANSWER_WITHIN_DAYS)


class SubjectAccessRequest(models.Model):
    """A person's request to learn what data about them is held and who accessed it, as the data
    protection officer received it, and when and by whom it was answered (Law of Georgia on
    Personal Data Protection №3144: the answer is due 10 days after receipt).

    The person is named by their personal number and, when registered, the registry's person id
    as a plain number: this base app knows no domain models."""

    received_on = models.DateField(_("received on"))
    requester_name = models.CharField(_("requester"), max_length=200)
    requester_contact = models.CharField(
        _("requester's contact"),
        max_length=254,
        blank=True,
        help_text=_("Address, phone or e-mail the answer goes to."),
    )
    personal_number = models.CharField(_("personal number"), max_length=11)
    person_id = models.PositiveBigIntegerField(_("person in the registry"), null=True, blank=True)
    due_on = models.DateField(_("answer due"))
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("answered by"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("subject-access request")
        verbose_name_plural = _("subject-access requests")
        indexes = [models.Index(fields=["answered_on", "due_on"], name="sar_open_idx")]

    def __str__(self) -> str:
        return f"{self.personal_number} ({self.received_on})"

    @property
    def is_open(self) -> bool:
        return self.answered_on is None

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()

    def get_additional_data(self) -> dict:
        return {"person_id": self.person_id}
