from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zrunva.core.casework import Case, Event
from zrunva.grievances.choices import UNRESOLVED, Category, Channel, EventKind, Language, Status


class Grievance(Case):
    """A complaint or an appeal from a citizen, filed on the portal, at an office or through the
    API. It may name an application (an appeal must: the one whose decision it contests) or
    another record by its reference. It is answered by its due date, or escalated. A case
    (`zrunva.core.casework`): number, the complainant's contact details, who entered it and who
    has it, its event log."""

    PREFIX = "GR"

    number = models.CharField(_("grievance number"), max_length=20, unique=True)
    category = models.CharField(
        _("category"),
        max_length=20,
        choices=Category.choices,
        error_messages={
            "blank": _("Choose what the grievance is about."),
            "invalid_choice": _("Choose what the grievance is about."),
        },
    )
    text = models.TextField(
        _("grievance"),
        max_length=4000,
        validators=[MaxLengthValidator(4000)],
        error_messages={"blank": _("Describe what happened and what you ask for.")},
    )
    language = models.CharField(
        _("language for the answer"),
        max_length=2,
        choices=Language.choices,
        default=Language.KA,
        error_messages={"invalid_choice": _("Choose Georgian or English.")},
    )
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grievances",
        verbose_name=_("application"),
    )
    # Another record the grievance is about (a payment, a household, a letter): its number as
    # the complainant gives it. Apps above this one link their records here by this reference.
    reference = models.CharField(
        _("other record"),
        max_length=60,
        blank=True,
        help_text=_("The number of a payment, letter or other record the grievance is about."),
    )
    municipality = models.ForeignKey(
        "geo.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    filed_at = models.DateTimeField(_("filed"), auto_now_add=True)
    due_date = models.DateField(_("answer due"))
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    resolution = models.TextField(
        _("answer"), max_length=4000, blank=True, validators=[MaxLengthValidator(4000)]
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("grievance")
        verbose_name_plural = _("grievances")
        indexes = [
            models.Index(fields=["municipality", "status", "due_date"], name="grievance_queue"),
            models.Index(fields=["status", "due_date"], name="grievance_overdue"),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in UNRESOLVED

    @property
    def is_appeal(self) -> bool:
        return self.category == Category.DECISION_APPEAL

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None


class GrievanceEvent(Event):
    """One thing that happened to a grievance: filed, assigned, escalated, the application's
    review reopened, resolved. By whom (none: the complainant or the escalation run), when."""

    grievance = models.ForeignKey(
        Grievance, on_delete=models.CASCADE, related_name="events", verbose_name=_("grievance")
    )
    kind = models.CharField(_("what"), max_length=10, choices=EventKind.choices)

    class Meta:
        ordering = ["grievance_id", "at", "id"]
        verbose_name = _("grievance event")
        verbose_name_plural = _("grievance events")

    def __str__(self) -> str:
        return f"{self.grievance_id}: {self.get_kind_display()}"

    def by(self) -> str:
        if self.kind == EventKind.ESCALATED:
            return str(_("The system"))
        return str(_("The complainant"))
