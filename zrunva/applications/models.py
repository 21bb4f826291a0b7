import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zrunva.applications.choices import FINAL, STAGES, Channel, Status

# Crockford's base 32: no I, L, O or U, so a number read aloud or retyped is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Illustrative service standards, in working days to reach each stage from the one before.
DEFAULT_DEADLINES = {
    Status.REGISTERED: 2,
    Status.HOME_VISIT_SCHEDULED: 5,
    Status.ASSESSED: 10,
    Status.DECIDED: 5,
    Status.ENROLLED: 5,
}


def new_number() -> str:
    """An application number nobody can guess: 50 random bits, as ZR-XXXXX-XXXXX."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"ZR-{chars[:5]}-{chars[5:]}"


class Workflow(models.Model):
    """How a programme's applications move: whether a home visit and assessment are needed
    (TSA's rating score is; a pension is not) and the deadline of each stage."""

    programme = models.OneToOneField(
        "programmes.Programme",
        on_delete=models.CASCADE,
        related_name="workflow",
        verbose_name=_("programme"),
    )
    home_visit = models.BooleanField(
        _("home visit and assessment"),
        default=True,
        help_text=_("Whether applicants are visited and assessed before the decision."),
    )
    deadlines = models.JSONField(
        _("deadlines, working days"),
        default=dict,
        help_text=_("Per stage: working days to reach it from the stage before."),
    )
    source = models.CharField(_("source"), max_length=300)
    illustrative = models.BooleanField(_("illustrative"), default=True)

    class Meta:
        verbose_name = _("workflow")
        verbose_name_plural = _("workflows")

    def __str__(self) -> str:
        return f"{self.programme_id}: {', '.join(self.stages)}"

    @property
    def stages(self) -> tuple[str, ...]:
        skipped = () if self.home_visit else (Status.HOME_VISIT_SCHEDULED, Status.ASSESSED)
        return tuple(s for s in STAGES if s not in skipped)

    def deadline(self, stage: str) -> int:
        return int(self.deadlines.get(stage, DEFAULT_DEADLINES.get(stage, 0)))


class Application(models.Model):
    """A request for a programme, from the citizen portal or entered at an office. It holds what
    the applicant declared; the registry is written only when an officer registers it (matching
    or registering the household)."""

    number = models.CharField(_("application number"), max_length=20, unique=True)
    programme = models.ForeignKey(
        "programmes.Programme",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("programme"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.SUBMITTED
    )
    personal_number = models.CharField(_("personal number"), max_length=11)
    first_name = models.CharField(_("first name"), max_length=120)
    last_name = models.CharField(_("last name"), max_length=120)
    birth_date = models.DateField(_("birth date"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=5, default="ka")
    members = models.JSONField(_("household members declared"), default=list, blank=True)
    consent_purpose = models.TextField(_("consent to data processing, for the purpose"))
    municipality = models.ForeignKey(
        "geo.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    household = models.ForeignKey(
        "registry.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("household"),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    stage_since = models.DateField(_("in this stage since"))
    due_date = models.DateField(_("next stage due"), null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "personal_number"],
                condition=~Q(status__in=sorted(s.value for s in FINAL)),
                name="application_one_open_per_person_programme",
                violation_error_message=_(
                    "This person already has an open application for this programme."
                ),
            )
        ]
        indexes = [
            models.Index(fields=["municipality", "status", "due_date"], name="application_queue")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL

    def get_additional_data(self) -> dict:
        return {"household_id": self.household_id}


class ApplicationEvent(models.Model):
    """One move of an application: from which status to which, by whom (none: the applicant on
    the portal), when, and why."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="events", verbose_name=_("application")
    )
    from_status = models.CharField(_("from"), max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=24, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["application_id", "at", "id"]
        verbose_name = _("application event")
        verbose_name_plural = _("application events")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status or '—'} → {self.to_status}"
