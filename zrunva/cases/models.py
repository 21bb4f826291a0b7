"""Social work cases: a person's (or family's) case from intake to closure, its timeline of
contacts, visits, notes and documents, its care plans, who works on it and who else may read
it. Built on the casework kit (`zrunva.core.casework`): number, contact details, assignment,
event log."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.cases.choices import (
    CARRIED_OUT,
    OPEN_STAGES,
    ActionStatus,
    Category,
    EntryKind,
    EventKind,
    JobSeekerStatus,
    Outcome,
    OutreachList,
    RecordKind,
    ReferralStatus,
    Risk,
    SessionKind,
    Source,
    Specialisation,
    Stage,
    TransferStatus,
    VisitOutcome,
)
from zrunva.core.casework import Case, Event

TEXT_MAX = 4000


def _text(verbose_name, *, blank: bool = False):
    """A free text of at most TEXT_MAX characters, the bound checked by forms and models."""
    return models.TextField(
        verbose_name, max_length=TEXT_MAX, blank=blank, validators=[MaxLengthValidator(TEXT_MAX)]
    )


def _user(verbose_name, **more):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=verbose_name,
        **more,
    )


class SocialCase(Case):
    """A social worker's case about a person (and their family): its category, how it came in,
    its risk, the stage it is at, the office that holds it. Sensitive cases (violence,
    trafficking, or marked so) are read only by the assigned worker, the office's supervisors
    and colleagues named on the case, or by emergency access (`BreakGlass`)."""

    PREFIX = "SC"

    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("family"),
    )
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    specialisation = models.CharField(
        _("specialisation"), max_length=12, choices=Specialisation.choices
    )
    source = models.CharField(_("came from"), max_length=10, choices=Source.choices)
    risk = models.CharField(_("risk"), max_length=6, choices=Risk.choices)
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_("Read only by the assigned worker, the supervisors and named colleagues."),
    )
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.INTAKE)
    intake = _text(_("what was reported"))
    office = models.ForeignKey(
        "geo.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("office")
    )
    municipality = models.ForeignKey(
        "geo.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    first_contact_due = models.DateTimeField(_("first contact due"))
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    next_review = models.DateField(_("next review"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    closing_note = _text(_("why it closed"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("social work case")
        verbose_name_plural = _("social work cases")
        indexes = [
            models.Index(fields=["assigned_to", "stage"], name="case_worker"),
            models.Index(fields=["office", "stage"], name="case_office"),
            models.Index(fields=["municipality", "opened_at"], name="case_municipality"),
            # What the supervisor's page lists of an area's open cases, each from the few rows
            # it is about rather than every case of the area (bench/README.md, `cases.py`).
            models.Index(
                fields=["municipality", "opened_at"],
                condition=Q(first_contact_at__isnull=True, stage__in=OPEN_STAGES),
                name="case_not_contacted",
            ),
            models.Index(
                fields=["municipality", "next_review"],
                condition=Q(stage__in=OPEN_STAGES),
                name="case_review",
            ),
            models.Index(
                fields=["municipality", "opened_at"],
                condition=Q(stage__in=CARRIED_OUT),
                name="case_carried_out",
            ),
            models.Index(
                fields=["municipality", "assigned_to", "risk"],
                condition=Q(stage__in=OPEN_STAGES),
                name="case_load",
            ),
            # The quality indicators: the open cases counted from this index alone (an
            # index-only scan on PostgreSQL, in the order of its GROUP BY), and the cases opened
            # or closed in the months counted live found without reading every case
            # (bench/README.md, `cases.py`).
            models.Index(
                fields=["municipality", "office", "specialisation", "assigned_to", "risk"],
                include=["first_contact_at", "first_contact_due", "next_review"],
                condition=Q(stage__in=OPEN_STAGES),
                name="case_open_counts",
            ),
            models.Index(fields=["opened_at"], name="case_opened"),
            models.Index(fields=["closed_at"], name="case_closed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage=Stage.CLOSED, closed_at__isnull=False)
                | (~Q(stage=Stage.CLOSED) & Q(closed_at__isnull=True)),
                name="case_closed_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(category__in=["violence", "trafficking"]) | Q(sensitive=True),
                name="case_violence_is_sensitive",
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.stage != Stage.CLOSED


class CaseEvent(Event):
    """One step of a case: opened, a stage, an assignment, a transfer, emergency access."""

    case = models.ForeignKey(
        SocialCase, on_delete=models.CASCADE, related_name="events", verbose_name=_("case")
    )
    kind = models.CharField(_("what"), max_length=10, choices=EventKind.choices)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, blank=True)

    class Meta:
        ordering = ["case_id", "at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.get_kind_display()}"

    def what(self) -> str:
        if self.kind == EventKind.STAGE and self.stage:
            return f"{self.get_kind_display()}: {self.get_stage_display()}"
        return self.get_kind_display()


class Entry(models.Model):
    """The case's timeline: a visit (home, office), a call, a note or a document, on the day it
    happened (never before the case opened nor in the future), by whom."""

    case = models.ForeignKey(
        SocialCase, on_delete=models.CASCADE, related_name="entries", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    happened_on = models.DateField(_("date"))
    note = _text(_("note"), blank=True)
    file = models.FileField(_("document"), upload_to="cases/%Y/%m/", blank=True)
    author = _user(_("by"))
    written_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        ordering = ["case", "-happened_on", "-id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [models.Index(fields=["case", "happened_on"], name="entry_case_day")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.happened_on}: {self.get_kind_display()}"


class CarePlan(models.Model):
    """A care plan: the goals agreed with the person and when it is reviewed. A case's latest
    plan is its plan; an earlier one stays as it was."""

    case = models.ForeignKey(
        SocialCase, on_delete=models.CASCADE, related_name="plans", verbose_name=_("case")
    )
    goals = _text(_("goals"))
    review_on = models.DateField(_("review on"))
    written_by = _user(_("written by"))
    written_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        ordering = ["case", "-written_at", "-id"]
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.review_on}"


class PlanAction(models.Model):
    """Who does what by when in a care plan: a worker, the family, or a service from the
    catalogue."""

    plan = models.ForeignKey(
        CarePlan, on_delete=models.CASCADE, related_name="actions", verbose_name=_("care plan")
    )
    text = models.CharField(_("action"), max_length=500)
    responsible = models.CharField(_("who"), max_length=200)
    service = models.ForeignKey(
        "services.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    due = models.DateField(_("by"))
    status = models.CharField(
        _("status"), max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["plan", "due", "id"]
        verbose_name = _("care plan action")
        verbose_name_plural = _("care plan actions")
        # The open ones by date: what is overdue, on the supervisor's and worker's pages.
        indexes = [
            models.Index(
                fields=["due", "id"],
                condition=Q(status=ActionStatus.OPEN),
                name="action_overdue",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ActionStatus.DONE) | Q(done_on__isnull=False),
                name="planaction_done_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class Colleague(models.Model):
    """A colleague named on a sensitive case, who may read it."""

    case = models.ForeignKey(
        SocialCase, on_delete=models.CASCADE, related_name="colleagues", verbose_name=_("case")
    )
    user = _user(_("colleague"))
    named_by = _user(_("named by"))
    named_at = models.DateTimeField(_("named"), auto_now_add=True)

    class Meta:
        verbose_name = _("named colleague")
        verbose_name_plural = _("named colleagues")
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="colleague_once"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.user_id}"


class BreakGlass(models.Model):
    """Emergency access to one sensitive case by someone who may not otherwise read it: with a
    stated reason, for a limited time; the DPO and the case's supervisors are told, and the DPO
    reviews every grant."""

    case = models.ForeignKey(
        SocialCase, on_delete=models.PROTECT, related_name="break_glass", verbose_name=_("case")
    )
    user = _user(_("who"))
    reason = models.TextField(_("reason"), max_length=1000, validators=[MaxLengthValidator(1000)])
    granted_at = models.DateTimeField(_("from"), auto_now_add=True)
    expires_at = models.DateTimeField(_("until"))
    reviewed_by = _user(_("reviewed by"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.TextField(_("review"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        indexes = [models.Index(fields=["user", "expires_at"], name="breakglass_active")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.user_id}"


class Transfer(models.Model):
    """A case asked to move to another office (the family moved): that office's supervisor
    accepts it (the case is theirs to assign) or returns it with a reason."""

    case = models.ForeignKey(
        SocialCase, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("case")
    )
    from_office = models.ForeignKey(
        "geo.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    to_office = models.ForeignKey(
        "geo.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    asked_by = _user(_("asked by"))
    asked_at = models.DateTimeField(_("asked"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.ASKED
    )
    decided_by = _user(_("decided by"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status="asked"),
                name="transfer_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_office_id} → {self.to_office_id}"


class Referral(models.Model):
    """A case referred to a service of the catalogue: the provider's staff accept it, decline it
    with a reason, or complete it with feedback; the worker sees each step. Referred to the
    waiting list when the service had no place."""

    case = models.ForeignKey(
        SocialCase, on_delete=models.CASCADE, related_name="referrals", verbose_name=_("case")
    )
    service = models.ForeignKey(
        "services.Service", on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    note = _text(_("what the provider should know"))
    waiting_list = models.BooleanField(_("to the waiting list"), default=False)
    referred_by = _user(_("referred by"))
    referred_at = models.DateTimeField(_("referred"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )
    answered_by = _user(_("answered by"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answer = models.TextField(_("the provider's answer"), max_length=TEXT_MAX, blank=True)

    class Meta:
        ordering = ["-referred_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "service"],
                condition=Q(status__in=["sent", "accepted"]),
                name="referral_one_open_per_service",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.service_id}"


class CaseAssessment(models.Model):
    """An assessment of the case's person with a questionnaire form (a child's needs, an older
    person's functioning): the response keeps its form version and answers; the case links it."""

    case = models.ForeignKey(
        SocialCase, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("case")
    )
    response = models.OneToOneField(
        "questionnaires.Response",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("answers"),
    )

    class Meta:
        ordering = ["case", "-id"]
        verbose_name = _("case assessment")
        verbose_name_plural = _("case assessments")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.response_id}"


class SupervisionSession(models.Model):
    """A supervision session: individual or with a group, the workers in it, the cases
    discussed and the actions agreed."""

    supervisor = _user(_("supervisor"))
    kind = models.CharField(_("kind"), max_length=10, choices=SessionKind.choices)
    held_on = models.DateField(_("held on"))
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("workers")
    )
    cases = models.ManyToManyField(
        SocialCase, related_name="supervision", blank=True, verbose_name=_("cases discussed")
    )
    notes = _text(_("notes"), blank=True)
    agreed = _text(_("actions agreed"), blank=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("supervision session")
        verbose_name_plural = _("supervision sessions")

    def __str__(self) -> str:
        return f"{self.held_on}: {self.get_kind_display()}"


class WorkerRecord(models.Model):
    """A social worker's qualification, training or certification, with when it expires (a
    certification lapses)."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="worker_records",
        verbose_name=_("worker"),
    )
    kind = models.CharField(_("kind"), max_length=14, choices=RecordKind.choices)
    name = models.CharField(_("name"), max_length=300)
    specialisation = models.CharField(
        _("specialisation"), max_length=12, choices=Specialisation.choices, blank=True
    )
    obtained_on = models.DateField(_("obtained on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    recorded_by = _user(_("recorded by"))

    class Meta:
        ordering = ["worker", "-obtained_on", "-id"]
        verbose_name = _("qualification or training")
        verbose_name_plural = _("qualifications and trainings")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=models.F("obtained_on")),
                name="workerrecord_expires_after",
                violation_error_message=_("It expires after it was obtained."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OutreachVisit(models.Model):
    """A visit to someone found on an outreach list, and what came of it. A person visited
    within `OUTREACH_VISIT_DAYS` drops off the list they were visited from; "needs help" opens
    a case (`case`)."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    municipality = models.ForeignKey(
        "geo.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    list = models.CharField(_("list"), max_length=10, choices=OutreachList.choices)
    visited_on = models.DateField(_("visited on"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=VisitOutcome.choices)
    note = _text(_("note"), blank=True)
    case = models.ForeignKey(
        SocialCase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case opened"),
    )
    visited_by = _user(_("visited by"))
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("outreach visit")
        verbose_name_plural = _("outreach visits")
        indexes = [
            models.Index(fields=["person", "list", "visited_on"], name="outreach_person_list"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="needs_help") | Q(case__isnull=False),
                name="outreach_needs_help_has_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.visited_on}: {self.get_outcome_display()}"


class JobSeekerReferral(models.Model):
    """A working-age benefit recipient referred to Worknet, the state employment service: by a
    worker from a case, or in bulk for a municipality by the SSA; sent in an export file
    (`sent_in` names the file), its outcome read back from Worknet's file
    (docs/worknet-exchange.md). One open referral per person (until placed or not reached)."""

    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    municipality = models.ForeignKey(
        "geo.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    programme = models.ForeignKey(
        "programmes.Programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("benefit programme"),
        help_text=_("The programme whose benefit made the person eligible to be referred."),
    )
    case = models.ForeignKey(
        SocialCase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jobseeker_referrals",
        verbose_name=_("case"),
    )
    referred_by = _user(_("referred by"))
    referred_at = models.DateTimeField(_("referred"), default=timezone.now, editable=False)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=JobSeekerStatus.choices,
        default=JobSeekerStatus.REFERRED,
    )
    sent_in = models.CharField(
        _("sent in file"), max_length=32, blank=True, help_text=_("The export file's batch id.")
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    outcome_on = models.DateField(_("outcome date"), null=True, blank=True)

    class Meta:
        ordering = ["-referred_at", "-id"]
        verbose_name = _("job-seeker referral")
        verbose_name_plural = _("job-seeker referrals")
        indexes = [
            models.Index(fields=["municipality", "status"], name="jobseeker_municipality"),
            models.Index(fields=["sent_in"], name="jobseeker_sent_in"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(
                    status__in=[
                        JobSeekerStatus.REFERRED,
                        JobSeekerStatus.SENT,
                        JobSeekerStatus.REGISTERED,
                        JobSeekerStatus.TRAINING,
                    ]
                ),
                name="jobseeker_one_open_per_person",
                violation_error_message=_("This person already has an open referral to Worknet."),
            ),
            models.CheckConstraint(
                condition=Q(status=JobSeekerStatus.REFERRED) | ~Q(sent_in=""),
                name="jobseeker_sent_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.get_status_display()}"


# -- The quality indicators of months gone by, kept ------------------------------------------


class _MonthPlace(models.Model):
    """What a kept row of the indicators is counted for: a month, an office, a municipality and
    a specialisation of the cases."""

    month = models.DateField(_("month"))  # its first day
    office = models.ForeignKey(
        "geo.Office", on_delete=models.CASCADE, related_name="+", verbose_name=_("office")
    )
    municipality = models.ForeignKey(
        "geo.Municipality",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("municipality"),
    )
    specialisation = models.CharField(
        _("specialisation"), max_length=12, choices=Specialisation.choices
    )

    class Meta:
        abstract = True


class IndicatorMonth(_MonthPlace):
    """The monthly indicators of one month, office, municipality and specialisation, as
    `indicators.refresh` counted them from the cases for a month before its own (nightly, with
    the dashboards' tables). The indicators page reads these for past months instead of
    counting every case again, as DHIS2 reads its analytics tables; the months from the
    refresh's on it counts live. Derived: rebuilt whole by each refresh."""

    opened = models.PositiveIntegerField(_("opened"))
    closed = models.PositiveIntegerField(_("closed"))
    contacted = models.PositiveIntegerField(_("with a first contact"))
    contact_median_hours = models.FloatField(_("median hours to first contact"), null=True)
    contact_p90_hours = models.FloatField(_("90th percentile, hours"), null=True)
    referrals_completed = models.PositiveIntegerField(_("referrals completed"))
    # The hours to the first contact behind the median, sorted: the median of several places
    # (the months' chart, an area's) is taken over all of theirs, not from their medians.
    hours = models.JSONField(_("hours to first contact"), default=list)

    class Meta:
        verbose_name = _("indicators of a month")
        verbose_name_plural = _("indicators of months")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "office", "municipality", "specialisation"],
                name="indicator_month_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.municipality_id} {self.specialisation}"


class OutcomeMonth(_MonthPlace):
    """Cases closed in a month with an outcome, per office, municipality and specialisation:
    the outcomes table of `IndicatorMonth`'s months, kept by the same refresh."""

    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    closed = models.PositiveIntegerField(_("closed"))

    class Meta:
        verbose_name = _("outcomes of a month")
        verbose_name_plural = _("outcomes of months")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "office", "municipality", "specialisation", "outcome"],
                name="outcome_month_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.office_id} {self.municipality_id} {self.outcome}"


class IndicatorsCounted(models.Model):
    """The last refresh of `IndicatorMonth` and `OutcomeMonth` (one row): when, and the month
    from which the page counts live (`before`: the refresh's month in Georgia's time; every
    earlier month is kept)."""

    counted_at = models.DateTimeField(_("counted"))
    before = models.DateField(_("months kept before"))
    cells = models.PositiveIntegerField(_("rows of months"))
    outcomes = models.PositiveIntegerField(_("rows of outcomes"))
    seconds = models.FloatField(_("seconds"))

    class Meta:
        verbose_name = _("indicators counted")
        verbose_name_plural = _("indicators counted")

    def __str__(self) -> str:
        return f"{self.counted_at:%Y-%m-%d %H:%M}: months before {self.before:%Y-%m}"
