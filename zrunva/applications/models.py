import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from zrunva.applications.choices import (
    FINAL,
    STAGES,
    BatchStatus,
    Channel,
    DocumentKind,
    EnrolmentEndReason,
    EventKind,
    Status,
    public_status_label,
)
from zrunva.core.casework import Case, Event
from zrunva.core.text import long_date
from zrunva.core.validators import FIRST_LIFE_DAY
from zrunva.registry.choices import Relationship

# Illustrative service standards, in working days to reach each stage from the one before.
DEFAULT_DEADLINES = {
    Status.REGISTERED: 2,
    Status.HOME_VISIT_SCHEDULED: 5,
    Status.ASSESSED: 10,
    Status.DECIDED: 5,
    Status.ENROLLED: 5,
}


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
    enrols_in_bulk = models.BooleanField(
        _("enrolled in bulk from runs"),
        default=False,
        help_text=_(
            "Whether those a run finds newly eligible may be enrolled without an application "
            "each (the state pension), by one officer's request and another's confirmation."
        ),
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

    @property
    def stages_all(self) -> tuple[str, ...]:
        """Every stage after submission, those this workflow skips included."""
        return STAGES[1:]

    def deadline(self, stage: str) -> int:
        return int(self.deadlines.get(stage, DEFAULT_DEADLINES.get(stage, 0)))


class Application(Case):
    """A request for a programme, from the citizen portal or entered at an office. It holds what
    the applicant declared; the registry is written only when an officer registers it (matching
    or registering the household). A case (`zrunva.core.casework`): number, the applicant's
    contact details, who entered it and who has it, its event log."""

    PREFIX = "ZR"

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
    birth_date = models.DateField(_("birth date"))
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
    # Set at submission when the registry already holds, for this person and programme, an
    # open application or an enrolment (theirs, or their household's for a programme that pays
    # the household): the earlier application. The applicant is told nothing different; the
    # back office resolves it (`application_transition` to "duplicate"), and the person is then
    # told through the earlier application's contact details.
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("possible duplicate of"),
    )
    # The form's one-time key: the same form sent twice (a double click, a retry after a
    # timeout) finds the application it already created instead of making a second one.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision = models.ForeignKey(
        "programmes.Decision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        # Decisions are partitioned by month on PostgreSQL (programmes' migration 0015): a
        # key into them would need the month too. Services set it; decisions are never deleted
        # once an application read them (runs replace only a month's own unread rows).
        db_constraint=False,
        verbose_name=_("decision for the month"),
        help_text=_("The run's decision the application's decision read, or the one it stored."),
    )
    decision_amount = models.DecimalField(
        _("monthly amount decided, GEL"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    decision_reasons = models.JSONField(
        _("reasons for the decision"),
        default=dict,
        blank=True,
        help_text=_("The eligibility explanation the decision rests on, as the letter gives it."),
    )
    appeal_until = models.DateField(_("appeal until"), null=True, blank=True)
    stage_since = models.DateField(_("in this stage since"))
    due_date = models.DateField(_("next stage due"), null=True, blank=True)
    # What the home-visit steps rest on: the day the visit was scheduled for, and the household's
    # assessment (the home-visit record) the "assessed" step was taken on.
    visit_date = models.DateField(_("home visit on"), null=True, blank=True)
    assessment = models.ForeignKey(
        "assessment.Assessment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assessment"),
        help_text=_("The household's home-visit record the assessed step rests on."),
    )

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            # One unflagged open application per person and programme; a submission that finds
            # one is stored flagged (`duplicate_of`), never refused, so that no answer says what
            # the registry holds about a personal number.
            models.UniqueConstraint(
                fields=["programme", "personal_number"],
                condition=~Q(status__in=sorted(s.value for s in FINAL))
                & Q(duplicate_of__isnull=True),
                name="application_one_open_per_person_programme",
                violation_error_message=_(
                    "This person already has an open application for this programme."
                ),
            )
        ]
        indexes = [
            models.Index(fields=["municipality", "status", "due_date"], name="application_queue")
        ]

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL

    @property
    def public_status_label(self) -> str:
        """The status as the applicant's status check shows it."""
        return public_status_label(self.status)

    @property
    def declared_members(self) -> list[dict]:
        """The members as declared, for reading: the relationship by its label in the page's
        language and the birth date as a date (both are stored as the form's codes and text)."""
        labels = dict(Relationship.choices)
        rows = []
        for member in self.members or []:
            code = member.get("relationship", "")
            born = member.get("birth_date")
            rows.append(
                member
                | {
                    "relationship_label": labels.get(code, code),
                    "birth_date": parse_date(born) if isinstance(born, str) else born,
                }
            )
        return rows

    def clean(self):
        """The applicant's birth date is a date of a life (from 1900, not in the future), as
        the registry holds people's: for every entry point, not only the API's schema."""
        super().clean()
        if self.birth_date and not FIRST_LIFE_DAY <= self.birth_date <= timezone.localdate():
            raise ValidationError({"birth_date": _("Give a birth date from 1900 to today.")})

    def get_additional_data(self) -> dict:
        return {"household_id": self.household_id}


class ApplicationEvent(Event):
    """One thing that happened to an application: a move from one status to another, an
    assignment, a document added. By whom (none: the applicant on the portal), when, and why."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="events", verbose_name=_("application")
    )
    from_status = models.CharField(_("from"), max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=24, choices=Status.choices)
    kind = models.CharField(
        _("kind"), max_length=10, choices=EventKind.choices, default=EventKind.STATUS
    )
    # What the step was taken on, kept with the step so that the history says it as it was.
    visit_date = models.DateField(_("home visit on"), null=True, blank=True)
    assessment = models.ForeignKey(
        "assessment.Assessment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assessment"),
    )

    class Meta:
        ordering = ["application_id", "at", "id"]
        verbose_name = _("application event")
        verbose_name_plural = _("application events")

    def __str__(self) -> str:
        old = self.get_from_status_display() or "—"
        return f"{self.application_id}: {old} → {self.get_to_status_display()}"

    @property
    def public_status_label(self) -> str:
        return public_status_label(self.to_status)

    def what(self) -> str:
        if self.kind == EventKind.ASSIGNMENT:
            # The note holds the officer's name as it was then (`case_assign`).
            if not self.note:
                return str(_("Unassigned"))
            return str(_("Assigned to %(name)s")) % {"name": self.note}
        if self.kind != EventKind.STATUS:
            return self.get_kind_display()
        moved = self.get_to_status_display()
        if self.visit_date is not None:
            moved = str(_("%(status)s: visit on %(date)s")) % {
                "status": moved,
                "date": long_date(self.visit_date),
            }
        elif self.assessment_id is not None:
            moved = str(_("%(status)s: on the home visit of %(date)s")) % {
                "status": moved,
                "date": long_date(self.assessment.visit_date),
            }
        return f"{self.get_from_status_display()} → {moved}" if self.from_status else moved

    def remark(self) -> str:
        # An assignment's note is the officer's name, which `what` already says.
        return "" if self.kind == EventKind.ASSIGNMENT else self.note

    def link(self) -> str:
        if self.assessment_id is None:
            return ""
        return reverse("assessment:detail", args=[self.assessment_id])

    def by(self) -> str:
        if self.kind == EventKind.ENROLMENT_END:
            return str(_("The daily job, from the registry"))
        return str(_("The applicant"))


def _private_storage():
    # Outside MEDIA_ROOT and STATIC_ROOT: no URL reaches these files; a staff view serves them.
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def _document_path(document, filename: str) -> str:
    # The applicant's file name is kept in the row, never in the path.
    return f"applications/{document.application_id}/{uuid.uuid4().hex}"


class Document(models.Model):
    """A supporting document an applicant sent (a PDF or a photo of a certificate). Its type was
    read from its content; it is served only to staff who process the application."""

    application = models.ForeignKey(
        Application,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("application"),
    )
    file = models.FileField(_("file"), storage=_private_storage, upload_to=_document_path)
    name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("type"), max_length=5, choices=DocumentKind.choices)
    size = models.PositiveIntegerField(_("size, bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        ordering = ["application_id", "uploaded_at", "id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.name


class BulkEnrolment(models.Model):
    """Enrolling, without an application each, the beneficiaries a run found newly eligible for
    a programme decided in bulk (the state pension): asked for by one officer, confirmed by
    another (four eyes), then written in one statement."""

    run = models.ForeignKey(
        "programmes.Run", on_delete=models.PROTECT, related_name="+", verbose_name=_("run")
    )
    programme = models.ForeignKey(
        "programmes.Programme",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("programme"),
    )
    municipality = models.ForeignKey(
        "geo.Municipality",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
        help_text=_("Empty for the whole country."),
    )
    starts = models.DateField(_("paid from"))
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.REQUESTED
    )
    gained = models.PositiveIntegerField(_("gained in the run"))
    enrolled = models.PositiveIntegerField(_("enrolled"), default=0)
    skipped = models.JSONField(_("not enrolled, by reason"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("asked for by"),
    )
    requested_at = models.DateTimeField(_("asked for"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("confirmed or cancelled by"),
    )
    decided_at = models.DateTimeField(_("confirmed or cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("bulk enrolment")
        verbose_name_plural = _("bulk enrolments")
        constraints = [
            # Four eyes: whoever confirms did not ask.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True)
                | ~Q(decided_by=models.F("requested_by"))
                | Q(status=BatchStatus.CANCELLED),
                name="bulk_enrolment_four_eyes",
            ),
            # One request at a time for a run's programme.
            models.UniqueConstraint(
                fields=["run", "programme"],
                condition=Q(status=BatchStatus.REQUESTED),
                name="bulk_enrolment_one_open",
                violation_error_message=_(
                    "A bulk enrolment from this run for this programme awaits confirmation."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.programme_id} run {self.run_id}"


class Enrolment(models.Model):
    """A beneficiary on a programme's rolls from a date: what an accepted application, or a
    confirmed bulk enrolment, creates and what payments are made from. The monthly amount paid
    is the decision in force each month (`programmes.selectors.entitlements`); `amount` is the
    one decided when enrolled. `ends` is the last day paid (inclusive), set once, with its
    reason, by `services.enrolment_end`."""

    application = models.OneToOneField(
        Application,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolment",
        verbose_name=_("application"),
        help_text=_("Empty for an enrolment made in bulk from a run."),
    )
    batch = models.ForeignKey(
        BulkEnrolment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("bulk enrolment"),
    )
    programme = models.ForeignKey(
        "programmes.Programme",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("programme"),
    )
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("household"),
    )
    person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("person"),
        help_text=_("For a programme that pays a person; empty when it pays the household."),
    )
    amount = models.DecimalField(_("monthly amount, GEL"), max_digits=10, decimal_places=2)
    starts = models.DateField(_("paid from"))
    ends = models.DateField(_("paid until"), null=True, blank=True)
    end_reason = models.CharField(
        _("reason it ended"), max_length=24, choices=EnrolmentEndReason.choices, blank=True
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ended by"),
        help_text=_("Empty when the daily job ended it (a death or an overdue re-assessment)."),
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("enrolled by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-starts", "id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        indexes = [models.Index(fields=["programme", "household"], name="enrolment_beneficiary")]
        # One open enrolment per programme and beneficiary: the household for a programme that
        # pays the household (no person), the person for one that pays a person. Two members of
        # a household enrolled for the child benefit would be paid twice.
        constraints = [
            models.CheckConstraint(
                condition=Q(application__isnull=False) | Q(batch__isnull=False),
                name="enrolment_has_origin",
            ),
            models.UniqueConstraint(
                fields=["programme", "household"],
                condition=Q(ends__isnull=True, person__isnull=True),
                name="enrolment_one_open_per_household",
                violation_error_message=_("This household is already enrolled in this programme."),
            ),
            models.UniqueConstraint(
                fields=["programme", "person"],
                condition=Q(ends__isnull=True, person__isnull=False),
                name="enrolment_one_open_per_person",
                violation_error_message=_("This person is already enrolled in this programme."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} / {self.household_id}: {self.amount}"
