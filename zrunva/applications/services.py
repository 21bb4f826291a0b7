from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.accounts import permissions
from zrunva.applications.choices import (
    FINAL,
    JOB_END_REASONS,
    STAGES,
    BatchStatus,
    Channel,
    EnrolmentEndReason,
    EventKind,
    Status,
)
from zrunva.applications.decisions import decision_basis
from zrunva.applications.documents import document_check
from zrunva.applications.models import (
    Application,
    BulkEnrolment,
    Document,
    Enrolment,
    Workflow,
)
from zrunva.applications.selectors import (
    application_of_applicant,
    applications_of_person,
    duplicate_visible,
    enrolment_end_due,
    visit_assessments,
    visit_day,
    workflow_of,
)
from zrunva.applications.signals import enrolment_ended
from zrunva.assessment.models import Assessment
from zrunva.core.casework import case_assign, case_event, case_lock, four_eyes, new_number
from zrunva.core.text import long_date
from zrunva.core.trail import access_log, acting_as, bulk_run_log
from zrunva.core.validators import birth_date_validator, contact_required, phone_e164
from zrunva.core.workdays import working_days_after
from zrunva.notifications.services import message_to_case
from zrunva.programmes.choices import DecisionStatus, ProgrammeLevel, RunStatus
from zrunva.programmes.models import Decision, DecisionChange, Programme, Run
from zrunva.programmes.selectors import of_beneficiary
from zrunva.programmes.services import can_define, decision_record, decisions_enrol
from zrunva.registry import services as registry_services
from zrunva.registry.models import Household, Person

# Who moves an application into each status (besides the scope and programme checks).
STAGE_PERMISSIONS = {
    Status.REGISTERED: permissions.APPLICATIONS_PROCESS,
    Status.HOME_VISIT_SCHEDULED: permissions.ASSESSMENT_RECORD,
    Status.ASSESSED: permissions.ASSESSMENT_RECORD,
    Status.DECIDED: permissions.APPLICATIONS_PROCESS,
    Status.REJECTED: permissions.APPLICATIONS_PROCESS,
    Status.ENROLLED: permissions.APPLICATIONS_PROCESS,
    Status.WITHDRAWN: permissions.APPLICATIONS_PROCESS,
    Status.DUPLICATE: permissions.APPLICATIONS_PROCESS,
}
# Other household members an application may declare (the forms' and the API's limit).
MEMBERS_MAX = 15
CONSENT_PURPOSE = gettext_lazy(
    "I agree that the Social Service Agency and my municipality process the personal data in "
    "this application, and those of the household members I name, to decide on it and to pay "
    "the benefit (Law of Georgia on Personal Data Protection)."
)


def _notify_duplicate(application: Application) -> None:
    """Tell the person an application made with their personal number was closed as a
    duplicate: through the contact details of the earlier application (theirs, or the one that
    put their household on the rolls), never those the unknown submitter gave."""
    earlier = application.duplicate_of
    with translation.override(earlier.language or "ka"):
        body = _(
            "An application %(number)s for %(programme)s was made with your personal number. "
            "You already have application %(earlier)s, so it is closed as a duplicate. If you "
            "did not make it, tell the office that processes your application."
        ) % {
            "number": application.number,
            "programme": application.programme.name,
            "earlier": earlier.number,
        }
        subject = _("Application %(number)s: closed as a duplicate") % {
            "number": application.number
        }
    message_to_case(earlier, body=body, subject=subject, reference=application.number)


def _notify(application: Application) -> None:
    """Tell the applicant, in their language, where their application is now: by SMS and
    e-mail if they gave them. Queued in the same transaction as the change."""
    with translation.override(application.language or "ka"):
        status = Status(application.status).label
        body = _("Your application %(number)s for %(programme)s is now: %(status)s.") % {
            "number": application.number,
            "programme": application.programme.name,
            "status": status,
        }
        subject = _("Application %(number)s: %(status)s") % {
            "number": application.number,
            "status": status,
        }
    message_to_case(application, body=body, subject=subject)


@transaction.atomic
def workflow_save(
    *, actor, programme, home_visit: bool, deadlines: dict, source: str, illustrative: bool
) -> Workflow:
    """Set how a programme's applications move: whether a home visit and assessment come before
    the decision, and each stage's deadline in working days (1 to 60), with their source. Who
    defines the programme sets its workflow. Open applications keep the due date they have; the
    new deadlines count from their next step."""
    if not can_define(actor, programme.municipality_id):
        raise PermissionDenied(_("Only those who define this programme set its workflow."))
    stages = [s for s in STAGES if s != Status.SUBMITTED]
    errors = {}
    for stage in stages:
        days = deadlines.get(stage)
        if not isinstance(days, int) or not 1 <= days <= 60:
            errors[f"deadline_{stage}"] = _("Give a number of working days from 1 to 60.")
    if not source.strip():
        errors["source"] = _("Give the source of these deadlines.")
    if errors:
        raise ValidationError(errors)
    workflow = Workflow.objects.select_for_update().filter(programme=programme).first() or Workflow(
        programme=programme
    )
    workflow.home_visit = home_visit
    workflow.deadlines = {stage: deadlines[stage] for stage in stages}
    workflow.source, workflow.illustrative = source.strip(), illustrative
    with acting_as(actor):
        workflow.save()
    return workflow


def _due(workflow: Workflow, status: str, since: date) -> date | None:
    """When the stage after `status` is due, counted in working days from `since`."""
    stages = workflow.stages
    if status in FINAL or status not in stages or stages.index(status) + 1 == len(stages):
        return None
    return working_days_after(since, workflow.deadline(stages[stages.index(status) + 1]))


def _require_process(actor, application: Application, perm: str) -> None:
    _require_processes(
        actor,
        programme=application.programme,
        municipality_id=application.municipality_id,
        perm=perm,
    )


def _require_processes(actor, *, programme, municipality_id: int, perm: str) -> None:
    """The SSA processes the state's programmes; a municipality's officers only their own
    municipality's programmes. Everyone only in their area. Checked on every step and before
    a walk-in application is stored."""
    permissions.require(actor, perm)
    permissions.require_in_scope(actor, municipality_id)
    own = programme.municipality_id
    if not permissions.processes_programme(actor, own):
        if own is None:
            raise PermissionDenied(_("The state's programmes are processed by the SSA."))
        raise PermissionDenied(_("A municipality's programmes are processed by its officers."))
    permissions.require_health_programme(actor, programme.pk)


CONSENT_REQUIRED = gettext_lazy("The application needs your consent to process it.")


def consent_check(consent: bool) -> None:
    """An application is processed only with the applicant's consent (CONSENT_PURPOSE). The
    forms check it with their other fields, so that it shows in the same error summary."""
    if not consent:
        raise ValidationError({"consent": CONSENT_REQUIRED}, code="consent_required")


def _birth_date_check(field: str, value) -> None:
    try:
        birth_date_validator(value)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from error


def members_check(members: list[dict]) -> None:
    """The other members an application declares: at most MEMBERS_MAX, each born (the
    registry's birth-date rule). Errors are named `members.<i>.<field>`, as the API's body
    places them."""
    if len(members) > MEMBERS_MAX:
        raise ValidationError(
            {"members": _("Name at most %(count)d other members.") % {"count": MEMBERS_MAX}}
        )
    errors = {}
    for index, member in enumerate(members):
        born = member.get("birth_date") if isinstance(member, dict) else None
        try:
            born = date.fromisoformat(born) if isinstance(born, str) else born
        except ValueError:
            born = None
        if not isinstance(born, date):
            errors[f"members.{index}.birth_date"] = _("Enter a valid date.")
            continue
        try:
            _birth_date_check(f"members.{index}.birth_date", born)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)


def documents_check(uploads: list, *, held: int = 0) -> tuple[list, list[str]]:
    """The supporting documents sent with an application, each checked (`document_check`:
    type from the content, size): the (upload, Checked) pairs accepted and the messages of
    those refused, every file's. `held`: documents already kept for the same form (the portal
    keeps those accepted when a form is refused), which count towards the limit of
    DOCUMENTS_PER_APPLICATION. Files past the limit are refused unread (reading costs time)."""
    checked, refused = [], []
    room = max(settings.DOCUMENTS_PER_APPLICATION - held, 0)
    if len(uploads) > room:
        refused.append(
            _("Send at most %(count)d documents.") % {"count": settings.DOCUMENTS_PER_APPLICATION}
        )
    for upload in uploads[:room]:
        try:
            checked.append((upload, document_check(upload)))
        except ValidationError as error:
            refused.extend(error.messages)
    return checked, refused


@transaction.atomic
def application_submit(
    *,
    actor=None,
    channel: str,
    programme,
    municipality,
    applicant: dict,
    members: list | None = None,
    consent: bool,
    documents: list | None = None,
    submission_key=None,
) -> Application:
    """A new application, from the portal (no actor) or entered at an office by staff for the
    applicant: staff who process the programme (`permissions.processes_programme`), in their
    area, checked before anything is stored or sent. Consent to the processing, its purpose
    stated, is required. The same form sent twice (`submission_key`) gives back the application
    it created.

    No answer depends on what the registry holds about the personal number (issue 9): an
    application for a person who already has an open one for the programme, or is on its rolls
    (their household, for a programme that pays the household), is stored like any other and
    flagged for the back office (`duplicate_of`), which closes it as a duplicate or processes
    it. The applicant sees the same answer, status and messages either way."""
    if channel == Channel.WALK_IN:
        _require_processes(
            actor,
            programme=programme,
            municipality_id=municipality.pk,
            perm=permissions.APPLICATIONS_PROCESS,
        )
    elif channel == Channel.PORTAL:
        actor = None  # the applicant applies for themselves
    else:
        raise ValidationError({"channel": _("Unknown channel.")})
    earlier = _resubmitted(submission_key, applicant)
    if earlier is not None:
        return earlier
    # Every rule is checked before any is reported, so that one answer names every field to
    # correct (the API's one pass, as the forms' is).
    errors: dict[str, list] = {}

    def refuse(check, *args) -> None:
        try:
            check(*args)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.setdefault(field, []).extend(messages)

    refuse(consent_check, consent)
    if channel == Channel.PORTAL:
        # Every step is announced by SMS or e-mail, whichever entry point the applicant used.
        refuse(contact_required, applicant.get("phone", ""), applicant.get("email", ""))
    refuse(members_check, members or [])
    if not programme.is_active or (
        programme.municipality_id is not None and programme.municipality_id != municipality.pk
    ):
        errors["programme"] = [_("This programme does not take applications here.")]
    checked, refused = documents_check(list(documents or []))
    if refused:
        errors["documents"] = refused
    personal_number = applicant.get("personal_number", "")
    today = timezone.localdate()
    # What the applicant agreed to, in the words they read.
    with translation.override(applicant.get("language") or "ka"):
        purpose = str(CONSENT_PURPOSE)
    application = Application(
        number=new_number(Application.PREFIX),
        programme=programme,
        channel=channel,
        municipality=municipality,
        members=members or [],
        consent_purpose=purpose,
        entered_by=actor,
        stage_since=today,
        submission_key=submission_key,
        **applicant,
    )
    application.due_date = _due(workflow_of(programme), Status.SUBMITTED, today)
    if isinstance(application.birth_date, date):
        refuse(_birth_date_check, "birth_date", application.birth_date)
    try:
        application.full_clean(validate_constraints=False)
    except ValidationError as error:
        # The model's own checks, for the fields not already refused above.
        for field, messages in error.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
    application.phone = phone_e164(application.phone)
    application.duplicate_of = earlier_application(
        programme=programme, personal_number=personal_number, on=today
    )
    with acting_as(actor):
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError:
            # The same form, sent twice at once: the other request's application.
            earlier = _resubmitted(submission_key, applicant)
            if earlier is not None:
                return earlier
            # Another application for this person and programme was stored at the same moment
            # (the unique index waited for it): this one is its duplicate.
            application.duplicate_of = earlier_application(
                programme=programme, personal_number=personal_number, on=today
            )
            if application.duplicate_of is None:
                raise
            with transaction.atomic():
                application.save()
        case_event(application, to_status=Status.SUBMITTED, actor=actor)
        for upload, check in checked:
            _document_save(application, upload, check, actor=actor)
        _notify(application)
    return application


def _resubmitted(submission_key, applicant: dict) -> Application | None:
    """The application an earlier sending of the same form made. A key is only the applicant's
    own: with another personal number it is refused, never answered with someone's number."""
    if submission_key is None:
        return None
    earlier = Application.objects.filter(submission_key=submission_key).first()
    if earlier is not None and earlier.personal_number != applicant.get("personal_number"):
        raise ValidationError(
            {"submission_key": _("This form was already used; reload the page to apply again.")}
        )
    return earlier


def _current_enrolments(programme, on: date):
    return Enrolment.objects.filter(programme=programme).filter(
        Q(ends__isnull=True) | Q(ends__gte=on)
    )


def enrolment_of(*, programme, personal_number: str, on: date) -> Enrolment | None:
    """The enrolment that has the person on the programme's rolls on a date or from a later
    one: their own, or, for a programme that pays the household, their household's."""
    current = _current_enrolments(programme, on).select_related("application").order_by("id")
    if programme.level == ProgrammeLevel.PERSON:
        return current.filter(person__personal_number=personal_number).first()
    return current.filter(
        household__memberships__person__personal_number=personal_number,
        household__memberships__end_date__isnull=True,
    ).first()


def earlier_application(*, programme, personal_number: str, on: date) -> Application | None:
    """The application a new one for this person and programme would duplicate: the one that
    put them (or their household) on the programme's rolls, else their open (unflagged)
    application. Only for the flag the back office sees; never for an answer to the submitter."""
    enrolment = enrolment_of(programme=programme, personal_number=personal_number, on=on)
    if enrolment is not None and enrolment.application_id is not None:
        return enrolment.application
    return (
        Application.objects.filter(
            programme=programme, personal_number=personal_number, duplicate_of__isnull=True
        )
        .exclude(status__in=FINAL)
        .order_by("id")
        .first()
    )


def _document_save(application: Application, upload, check, *, actor) -> Document:
    document = Document(
        application=application,
        name=(getattr(upload, "name", "") or "document")[-200:],
        kind=check.kind,
        size=check.size,
        sha256=check.sha256,
        uploaded_by=actor,
    )
    # The file is written first: a rolled-back transaction may leave a file no row names (never
    # served), but never a row without its file.
    document.file.save(document.name, upload, save=False)
    document.save()
    return document


def next_statuses(application: Application, *, actor=None) -> list[str]:
    """Where an application may go from here: its workflow's next stage; rejection before the
    decision; withdrawal until enrolment; closing as a duplicate, when it is flagged as one and
    the actor (if named) is shown the flag."""
    if application.status in FINAL:
        return []
    stages = workflow_of(application.programme).stages
    options = []
    position = stages.index(application.status)
    if position + 1 < len(stages):
        options.append(stages[position + 1])
    if position < stages.index(Status.DECIDED):
        options.append(Status.REJECTED)
    options.append(Status.WITHDRAWN)
    # Closing as a duplicate: only for those shown the flag (selectors.duplicate_visible).
    if application.duplicate_of_id is not None and (
        actor is None or duplicate_visible(actor=actor, application=application)
    ):
        options.append(Status.DUPLICATE)
    return options


DECISIONS = (Status.DECIDED, Status.REJECTED)


def _deciders(application: Application) -> set[int]:
    return set(
        application.events.filter(kind=EventKind.STATUS, to_status__in=DECISIONS)
        .exclude(actor=None)
        .values_list("actor_id", flat=True)
    )


def _decision_basis(actor, application: Application, to: str, note: str, today: date):
    """The eligibility explanation a decision rests on, checked: granting needs the rules to say
    eligible, with an amount; a refusal the rules do not make needs the officer's reasons. After
    an appeal, the decision is made by an officer who did not decide before. For the decision
    and for its confirmation page alike."""
    if actor.pk in _deciders(application):
        raise PermissionDenied(
            _("You decided this application before; after an appeal another officer decides.")
        )
    basis, computed = decision_basis(application, on=today)
    status = basis["status"]
    if to == Status.DECIDED:
        if status == DecisionStatus.NEEDS_DATA:
            raise ValidationError(
                {
                    "status": _("The rules need data the registry lacks: %(missing)s.")
                    % {"missing": ", ".join(basis["missing"])}
                }
            )
        if status != DecisionStatus.ELIGIBLE or not basis["amount"]:
            raise ValidationError(
                {"status": _("The programme's rules do not make this applicant eligible.")}
            )
    elif status == DecisionStatus.ELIGIBLE and not note:
        raise ValidationError(
            {"note": _("The rules make the applicant eligible: give the reasons for refusing.")}
        )
    elif status == DecisionStatus.NEEDS_DATA and not note:
        raise ValidationError(
            {"note": _("The rules cannot decide without data: give the reasons for refusing.")}
        )
    return basis, computed


def _decide(actor, application: Application, to: str, note: str, today: date) -> None:
    """Record the decision on the eligibility explanation of the applicant's household today
    (`_decision_basis` checks it)."""
    basis, computed = _decision_basis(actor, application, to, note, today)
    if computed is not None:
        # No run's decision for the month stands: this one becomes the beneficiary's.
        application.decision = decision_record(
            result=computed,
            household_id=application.household_id,
            on=today,
            application_id=application.pk,
        )
        basis["decision"] = application.decision.pk
    else:
        application.decision_id = basis["decision"]
    basis["note"] = note
    application.decision_reasons = basis
    application.decided_on = today
    granted = to == Status.DECIDED
    application.decision_amount = application.decision.amount if granted else None
    application.appeal_until = today + relativedelta(months=settings.APPEAL_MONTHS)


def _enrol(actor, application: Application, today: date) -> Enrolment:
    """Put the beneficiary on the rolls at the amount decided, paid from the first day of the
    next month (illustrative: the SSA's payment calendar is not published). One open enrolment
    per programme and beneficiary, the household for a programme that pays the household, the
    person for one that pays a person (issue 9: two members of one household each applied for
    the child benefit and both were enrolled): checked under a lock of the beneficiary's row,
    so two enrolments of one beneficiary wait for each other, and held by the database's
    unique constraints."""
    programme = application.programme
    person_id = application.decision.person_id
    household_id = application.household_id
    if person_id is not None:
        list(Person.objects.select_for_update().filter(pk=person_id).values_list("pk"))
    else:
        list(Household.objects.select_for_update().filter(pk=household_id).values_list("pk"))
    starts = enrolment_start(today)
    message = _enrolled_already(application, starts)
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                application=application,
                programme=programme,
                household=application.household,
                person_id=person_id,
                amount=application.decision_amount,
                starts=starts,
                enrolled_by=actor,
            )
    except IntegrityError as error:
        # An enrolment of the same beneficiary committed since the check: the database's
        # constraint holds even where a lock was not taken.
        found = _beneficiary_enrolment(
            programme, person_id=person_id, household_id=household_id, on=starts
        )
        if found is None:
            raise
        raise ValidationError({"status": message % {"number": _origin(found)}}) from error
    decisions_enrol(enrolment=enrolment)
    return enrolment


def enrolment_start(today: date) -> date:
    """The day an enrolment made today is paid from: the first day of the next month."""
    return today.replace(day=1) + relativedelta(months=1)


def _enrolled_already(application: Application, starts: date) -> str:
    """Refuse enrolling a beneficiary already enrolled in the programme from `starts`; the
    message to give should the database's constraint find one committed since. An enrolment
    that ended is no obstacle once it is paid no more: one paid until the end of this month
    does not overlap one paid from the next."""
    person_id = application.decision.person_id
    if person_id is not None:
        message = _(
            "This person is already enrolled in this programme (application %(number)s): "
            "they are not enrolled twice. Close this application as a duplicate or withdraw it."
        )
    else:
        message = _(
            "This household is already enrolled in this programme (application %(number)s): "
            "it is not enrolled twice. Close this application as a duplicate or withdraw it."
        )
    found = _beneficiary_enrolment(
        application.programme,
        person_id=person_id,
        household_id=application.household_id,
        on=starts,
    )
    if found is not None:
        raise ValidationError({"status": message % {"number": _origin(found)}})
    return message


def _origin(enrolment: Enrolment) -> str:
    """What an enrolment came from, as an officer would look it up."""
    if enrolment.application_id is not None:
        return enrolment.application.number
    return _("bulk enrolment #%(id)s") % {"id": enrolment.batch_id}


def _household_duplicate(application: Application, today: date) -> Application | None:
    """For a programme that pays the household, once the application is matched to its
    household: the household's enrolment's application, or another open application of the
    same household (another member's), so that the officer sees the duplicate before the
    decision. The enrolment check (`_enrol`) refuses the second enrolment in any case."""
    if application.programme.level == ProgrammeLevel.PERSON:
        return None
    enrolment = _beneficiary_enrolment(
        application.programme, person_id=None, household_id=application.household_id, on=today
    )
    if enrolment is not None and enrolment.application_id is not None:
        return enrolment.application
    return (
        Application.objects.filter(
            programme=application.programme, household_id=application.household_id
        )
        .exclude(status__in=FINAL)
        .exclude(pk=application.pk)
        .order_by("id")
        .first()
    )


def _beneficiary_enrolment(programme, *, person_id, household_id, on: date) -> Enrolment | None:
    """The beneficiary's current enrolment in the programme: the person's for a programme that
    pays a person, else the household's."""
    current = _current_enrolments(programme, on).select_related("application").order_by("id")
    return of_beneficiary(current, household_id=household_id, person_id=person_id).first()


def _step_allowed(actor, application: Application, to: str) -> None:
    """Only to a status the application's workflow allows from here, only by a role that may,
    in their area."""
    if to not in next_statuses(application, actor=actor):
        raise ValidationError(
            {
                "status": _("An application that is %(now)s cannot become %(to)s.")
                % {"now": Status(application.status).label, "to": Status(to).label}
            }
        )
    _require_process(actor, application, STAGE_PERMISSIONS[to])


# How far ahead a home visit is scheduled (illustrative: the SSA's own standard is not
# published); further than this, the date is more likely a typing slip than a plan.
VISIT_AHEAD_DAYS = 60


def visit_date_check(visit_date: date | None, today: date) -> None:
    """A home visit is scheduled for a day from today to `VISIT_AHEAD_DAYS` ahead."""
    if visit_date is None:
        raise ValidationError({"visit_date": _("Give the day of the home visit.")})
    last = today + timedelta(days=VISIT_AHEAD_DAYS)
    if visit_date < today:
        raise ValidationError({"visit_date": _("The home visit cannot be in the past.")})
    if visit_date > last:
        raise ValidationError(
            {
                "visit_date": _("Schedule the home visit within %(days)d days: by %(date)s.")
                % {"days": VISIT_AHEAD_DAYS, "date": long_date(last)}
            }
        )


def _visit_assessment(application: Application, assessment: Assessment | int | None) -> Assessment:
    """The home-visit record the "assessed" step rests on: an assessment of the application's
    household from on or after the day the visit was scheduled for (`visit_assessments`), the
    one the officer chose, else the only one there is."""
    fitting = visit_assessments(application)
    if assessment is not None:
        # An instance (the form's choice) or an id (the API's): only one that fits is taken.
        assessment = fitting.filter(pk=getattr(assessment, "pk", assessment)).first()
        if assessment is None:
            raise ValidationError(
                {
                    "assessment": _(
                        "Choose an assessment of this household from the home visit, on or "
                        "after %(date)s."
                    )
                    % {"date": long_date(visit_day(application))}
                }
            )
        return assessment
    found = list(fitting[:2])
    if not found:
        raise ValidationError(
            {
                "assessment": _(
                    "Record the home visit first: the household has no assessment from "
                    "%(date)s or later."
                )
                % {"date": long_date(visit_day(application))}
            }
        )
    if len(found) > 1:
        raise ValidationError(
            {"assessment": _("The household has several assessments since: choose one.")}
        )
    return found[0]


@transaction.atomic
def application_transition(
    *,
    actor,
    application: Application,
    to: str,
    note: str = "",
    household=None,
    visit_date: date | None = None,
    assessment: Assessment | int | None = None,
) -> Application:
    """Move an application one step: only to a status its workflow allows from here, only by a
    role that may (registering, deciding and enrolling: the programme's own office; home visits:
    SSA social agents), in their area. Each move is recorded with who, when and why. Registering
    needs the household matched or registered in the registry; scheduling the home visit, its
    day (`visit_date_check`); "assessed", the household's assessment from that visit
    (`_visit_assessment`); deciding records the eligibility explanation it rests on; enrolling
    creates the enrolment payments are made from. Granting, enrolling and withdrawing are
    confirmed on the screen first (`step_preview` says what they will do); the service takes
    them as they come, and the API in one call."""
    application = case_lock(application, "programme", also=("programme",))
    _step_allowed(actor, application, to)
    note = note.strip()
    today = timezone.localdate()
    fields: list[str] = []
    event: dict = {}
    if to == Status.HOME_VISIT_SCHEDULED:
        visit_date_check(visit_date, today)
        application.visit_date = event["visit_date"] = visit_date
        fields.append("visit_date")
    if to == Status.ASSESSED:
        application.assessment = event["assessment"] = _visit_assessment(application, assessment)
        fields.append("assessment")
    if to == Status.REGISTERED:
        if household is None:
            raise ValidationError(
                {"household": _("Match the applicant's household in the registry, or register it.")}
            )
        permissions.require_in_scope(actor, household.municipality_id)
        application.household = household
        fields.append("household")
        if application.duplicate_of_id is None:
            application.duplicate_of = _household_duplicate(application, today)
            fields.append("duplicate_of")
    if to == Status.REJECTED and application.household_id is None:
        if not note:
            raise ValidationError({"note": _("Give the reasons for the refusal.")})
        application.decision_reasons = {"note": note}
        application.decided_on = today
        application.appeal_until = today + relativedelta(months=settings.APPEAL_MONTHS)
        fields += ["decision_reasons", "decided_on", "appeal_until"]
    elif to in DECISIONS:
        _decide(actor, application, to, note, today)
        fields += ["decision", "decision_reasons", "decided_on", "decision_amount", "appeal_until"]
    with acting_as(actor):
        if to == Status.ENROLLED:
            _enrol(actor, application, today)
        if to == Status.DUPLICATE:
            # The person is told through the earlier application's contact details.
            _step(application, to, actor=actor, note=note, notify=False)
            _notify_duplicate(application)
        else:
            _step(application, to, actor=actor, note=note, fields=fields, event=event)
    return application


# The steps the screen asks the officer to confirm, saying what they will do: each pays, or
# ends the application for good, and tells the applicant.
CONFIRMED_STEPS = frozenset({Status.DECIDED, Status.ENROLLED, Status.WITHDRAWN})


@dataclass(frozen=True)
class StepPreview:
    """What a step will do, for its confirmation page: the monthly amount and the day it is paid
    from (granting: if enrolled today), whether it pays a person or the household, until when
    the decision can be appealed, and how the applicant is told (the channels they gave, in
    their language)."""

    to: str
    channels: tuple[str, ...]
    language: str
    amount: Decimal | None = None
    starts: date | None = None
    appeal_until: date | None = None
    pays_person: bool = False

    @property
    def label(self) -> str:
        return str(Status(self.to).label)


def step_preview(*, actor, application: Application, to: str, note: str = "") -> StepPreview:
    """What the step will do, with the step's own checks (`_step_allowed`, `_decision_basis`,
    `_enrolled_already`), so that a step the service would refuse is refused before its
    confirmation page rather than after. Reads only; nothing is locked or written."""
    _step_allowed(actor, application, to)
    today = timezone.localdate()
    told = {
        "to": to,
        "channels": tuple(
            c for c, given in (("sms", application.phone), ("email", application.email)) if given
        ),
        "language": application.language or "ka",
    }
    if to == Status.DECIDED:
        basis, _computed = _decision_basis(actor, application, to, note.strip(), today)
        return StepPreview(
            **told,
            amount=Decimal(basis["amount"]),
            starts=enrolment_start(today),
            appeal_until=today + relativedelta(months=settings.APPEAL_MONTHS),
            pays_person=application.programme.level == ProgrammeLevel.PERSON,
        )
    if to == Status.ENROLLED:
        starts = enrolment_start(today)
        _enrolled_already(application, starts)
        return StepPreview(
            **told,
            amount=application.decision_amount,
            starts=starts,
            pays_person=application.decision.person_id is not None,
        )
    return StepPreview(**told)


@transaction.atomic
def application_reopen(*, actor, application: Application, note: str) -> Application:
    """Reopen a decided or refused application for review, on an appeal against the decision:
    back to the stage before the decision, unassigned, so that another officer reviews it
    (`_decide` refuses those who decided it before)."""
    application = case_lock(application, "programme", also=("programme",))
    if application.status not in DECISIONS:
        raise ValidationError(
            {"application": _("Only a decided or refused application can be appealed.")}
        )
    stages = workflow_of(application.programme).stages
    before = stages[stages.index(Status.DECIDED) - 1]
    if application.household_id is None:  # refused before it was registered
        before = Status.SUBMITTED
    deciders = _deciders(application)
    if application.assigned_to_id in deciders:
        application.assigned_to = None
    decided = application.status
    with acting_as(actor):
        try:
            with transaction.atomic():
                _step(application, before, actor=actor, note=note, fields=["assigned_to"])
        except IntegrityError:
            # The applicant has applied again since the refusal: the appeal is reviewed all the
            # same, flagged as a duplicate of that application for the back office.
            application.status = decided
            application.duplicate_of = earlier_application(
                programme=application.programme,
                personal_number=application.personal_number,
                on=timezone.localdate(),
            )
            if application.duplicate_of is None:
                raise
            fields = ["assigned_to", "duplicate_of"]
            _step(application, before, actor=actor, note=note, fields=fields)
    return application


@transaction.atomic
def application_assign(*, actor, application: Application, to) -> Application:
    """Give an open application to an officer (or take it: `to` is the actor), or leave it
    unassigned (`to` None). The officer must process the programme in the application's area;
    an appealed application is not given to an officer who decided it."""
    application = case_lock(application, "programme", also=("programme",))
    _require_process(actor, application, permissions.APPLICATIONS_PROCESS)
    if application.status in FINAL:
        raise ValidationError({"assigned_to": _("A closed application is not assigned.")})
    if to is not None:
        try:
            _require_process(to, application, permissions.APPLICATIONS_PROCESS)
        except PermissionDenied as error:
            raise ValidationError(
                {"assigned_to": _("This officer does not process this application.")}
            ) from error
        if to.pk in _deciders(application):
            raise ValidationError(
                {"assigned_to": _("This officer decided the application; another reviews it.")}
            )
    return case_assign(
        application,
        actor=actor,
        to=to,
        kind=EventKind.ASSIGNMENT,
        from_status=application.status,
        to_status=application.status,
    )


@transaction.atomic
def document_add(*, actor, application: Application, upload) -> Document:
    """A document added to an open application: by the officer processing it, or by the
    applicant (`actor` None; the caller has checked the number and personal number). The
    application is locked: its status and document count are read as they are now."""
    application = case_lock(application, "programme", also=("programme",))
    if actor is not None:
        _require_process(actor, application, permissions.APPLICATIONS_PROCESS)
    if application.status in FINAL:
        raise ValidationError({"file": _("A closed application takes no more documents.")})
    if application.documents.count() >= settings.DOCUMENTS_PER_APPLICATION:
        raise ValidationError(
            {
                "file": _("Send at most %(count)d documents.")
                % {"count": settings.DOCUMENTS_PER_APPLICATION}
            }
        )
    try:
        check = document_check(upload)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    with acting_as(actor):
        document = _document_save(application, upload, check, actor=actor)
        case_event(
            application,
            kind=EventKind.DOCUMENT,
            from_status=application.status,
            to_status=application.status,
            actor=actor,
            note=document.name,
        )
    return document


def _step(
    application: Application,
    to: str,
    *,
    actor,
    note: str,
    fields: list[str] | tuple[str, ...] = (),
    notify: bool = True,
    event: dict | None = None,
) -> None:
    """Record the move (with the `event` fields saying what it rests on), set the stage's
    deadline and tell the applicant. The caller holds the application's row lock; only the
    status, its dates and the `fields` the caller changed are written, never a whole row read
    earlier."""
    today = timezone.localdate()
    case_event(
        application,
        from_status=application.status,
        to_status=to,
        actor=actor,
        note=note,
        **(event or {}),
    )
    application.status, application.stage_since = to, today
    application.due_date = _due(workflow_of(application.programme), to, today)
    application.save(update_fields=["status", "stage_since", "due_date", *fields])
    if notify:
        _notify(application)


@transaction.atomic
def application_withdraw(*, number: str, personal_number: str) -> Application:
    """The applicant withdraws on the portal, proving it is theirs with their personal number.
    The application is locked and its status read again under the lock: an application being
    enrolled at the same moment is either enrolled (and not withdrawn) or withdrawn first (and
    not enrolled)."""
    found = application_of_applicant(number=number, personal_number=personal_number)
    if found is None:
        raise ValidationError(_("No application has this number and personal number."))
    application = (
        Application.objects.select_for_update().select_related("programme").get(pk=found.pk)
    )
    if application.status in FINAL:
        raise ValidationError(_("This application is closed and cannot be withdrawn."))
    _step(
        application,
        Status.WITHDRAWN,
        actor=None,
        note=str(_("Withdrawn by the applicant on the portal.")),
    )
    return application


# Applications whose numbers one "I lost my number" request sends again, newest first.
RESEND_MAX = 5


@transaction.atomic
def application_number_resend(*, personal_number: str, birth_date: date) -> int:
    """ "I lost my number" on the portal: each application made with this personal number and
    birth date (at most RESEND_MAX, the newest) has its number sent again to the contact details
    given on it, in its language; never to details the requester gives, and one message per
    application, so that nobody learns a number they did not give their own details for. The
    requester is answered the same whatever is found (issue 9): the count returned is for the
    caller's tests, never for an answer. Each sending is audited on its application (an access
    by the anonymous requester)."""
    found = applications_of_person(
        personal_number=personal_number, birth_date=birth_date, most=RESEND_MAX
    )
    for application in found:
        with translation.override(application.language or "ka"):
            body = _(
                "The number of your application for %(programme)s is %(number)s. It was asked "
                "for on the portal; if you did not ask, you need do nothing."
            ) % {"programme": application.programme.name, "number": application.number}
            subject = _("Your application number")
        message_to_case(application, body=body, subject=subject)
        access_log(actor=None, instance=application, purpose="number_resent")
    return len(found)


def last_day_paid(*, starts: date, on: date) -> date:
    """The last day an enrolment ending on `on` is paid for: the last day of the month of the
    event (a death, a request, a decision), so that a month begun is paid in full
    (illustrative: the SSA's rule for the last payment is not published). An event before the
    first month paid (a death recorded after the enrolment was made) means it was never paid:
    the day before `starts`."""
    month_end = on.replace(day=1) + relativedelta(months=1) - timedelta(days=1)
    return max(month_end, starts - timedelta(days=1))


# What the beneficiary is told the payment ends for: neutral words, in their language.
END_REASON_TEXTS = {
    EnrolmentEndReason.DEATH: gettext_lazy("the registry records the beneficiary's death"),
    EnrolmentEndReason.LOST_ELIGIBILITY: gettext_lazy(
        "a review found that the programme's conditions are no longer met"
    ),
    EnrolmentEndReason.WITHDRAWN: gettext_lazy("it was withdrawn at your request"),
    EnrolmentEndReason.REASSESSMENT_OVERDUE: gettext_lazy(
        "the household's re-assessment (home visit) is overdue"
    ),
    EnrolmentEndReason.OTHER: gettext_lazy("the office decided so"),
}


def _notify_enrolment_end(enrolment: Enrolment) -> int:
    """Tell the beneficiary (for a death, the household, through the same contact details: the
    application's) that the payment ends, until when and why, and where to ask, in the
    application's language. Queued in the same transaction as the end. An enrolment made in
    bulk has no application, hence no contact details: nothing is sent."""
    application = enrolment.application
    if application is None:
        return 0
    with translation.override(application.language or "ka"):
        body = _(
            "The payment of %(programme)s under application %(number)s ends: the last month "
            "paid ends on %(ends)s, because %(reason)s. If you have questions, contact the "
            "office that processed your application."
        ) % {
            "programme": enrolment.programme.name,
            "number": application.number,
            "ends": long_date(enrolment.ends),
            "reason": END_REASON_TEXTS[enrolment.end_reason],
        }
        subject = _("Application %(number)s: the payment ends") % {"number": application.number}
    return message_to_case(application, body=body, subject=subject)


@transaction.atomic
def enrolment_end(*, enrolment: Enrolment, on: date, reason: str, actor) -> Enrolment:
    """End an enrolment for the event of `on`: paid to the end of that month (`last_day_paid`).
    A death or an overdue re-assessment is ended by the daily job (`actor` None), from what the
    registry records; a withdrawal at the beneficiary's request, a run's loss the officer
    confirmed, or another reason by those who process the programme (the SSA the state's, a
    municipality's officers their own), in the application's area. Refused, with nothing
    written: an enrolment already ended, and an officer's end dated before the enrolment was
    made (a death may be: it was then never paid). The application's history records it and
    the beneficiary is told in the application's language."""
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("application__programme", "programme", "household")
        .get(pk=enrolment.pk)
    )
    if reason not in EnrolmentEndReason.values:
        raise ValidationError({"reason": _("Choose why the enrolment ends.")})
    reason = EnrolmentEndReason(reason)
    application = enrolment.application
    if actor is None:
        if reason not in JOB_END_REASONS:
            raise PermissionDenied(_("An officer ends an enrolment for this reason."))
    else:
        _require_processes(
            actor,
            programme=enrolment.programme,
            municipality_id=(
                application.municipality_id if application else enrolment.household.municipality_id
            ),
            perm=permissions.APPLICATIONS_PROCESS,
        )
        if reason in JOB_END_REASONS:
            raise ValidationError(
                {
                    "reason": _(
                        "Deaths and overdue re-assessments end enrolments through the daily "
                        "job, from the registry: record the death or the visit there."
                    )
                }
            )
    if enrolment.ends is not None:
        raise ValidationError(
            {
                "on": _("This enrolment already ended on %(date)s.")
                % {"date": long_date(enrolment.ends)}
            }
        )
    made = timezone.localdate(enrolment.created_at)
    if reason != EnrolmentEndReason.DEATH and on < made:
        raise ValidationError(
            {
                "on": _("This enrolment cannot end before it starts: it was made on %(date)s.")
                % {"date": long_date(made)}
            }
        )
    enrolment.ends = last_day_paid(starts=enrolment.starts, on=on)
    enrolment.end_reason, enrolment.ended_by = reason, actor
    with acting_as(actor):
        enrolment.save(update_fields=["ends", "end_reason", "ended_by"])
        note = _("%(reason)s, on %(on)s: paid until %(ends)s.") % {
            "reason": reason.label,
            "on": long_date(on),
            "ends": long_date(enrolment.ends),
        }
        if application is not None:
            case_event(
                application,
                kind=EventKind.ENROLMENT_END,
                from_status=application.status,
                to_status=application.status,
                actor=actor,
                note=note,
            )
        _notify_enrolment_end(enrolment)
        enrolment_ended.send(sender=Enrolment, enrolment=enrolment, actor=actor)
    return enrolment


@transaction.atomic
def enrolment_end_on_loss(*, change: DecisionChange, actor) -> Enrolment:
    """An officer confirms a run's "lost" line (the run's changes page): the beneficiary's open
    enrolment in the programme ends as of the run's date, reason "no longer eligible", through
    `enrolment_end` (which checks the officer again on the enrolment's application). Checked
    first, before anything about the beneficiary is said: the officer processes the programme
    in the household's area. Refused: a line of a run not finished, a line that is not a
    loss, a beneficiary a later finished run has changed since (confirm from that run), or
    one not enrolled."""
    change = DecisionChange.objects.select_related("run", "programme", "household").get(
        pk=change.pk
    )
    _require_processes(
        actor,
        programme=change.programme,
        municipality_id=change.household.municipality_id,
        perm=permissions.APPLICATIONS_PROCESS,
    )
    run = change.run
    if run.status != RunStatus.DONE:
        raise ValidationError({"change": _("Only a finished run's losses are confirmed.")})
    eligible = DecisionStatus.ELIGIBLE
    if change.old_status != eligible or change.new_status == eligible:
        raise ValidationError({"change": _("This line is not a loss of the benefit.")})
    later = DecisionChange.objects.filter(
        run_id__gt=run.pk,
        run__status=RunStatus.DONE,
        programme_id=change.programme_id,
        household_id=change.household_id,
        person_id=change.person_id,
    )
    if later.exists():
        raise ValidationError(
            {"change": _("A later run changed this beneficiary's decision: confirm from that run.")}
        )
    enrolment = (
        Enrolment.objects.filter(programme_id=change.programme_id, ends__isnull=True)
        .filter(
            Q(person_id=change.person_id)
            if change.person_id is not None
            else Q(person__isnull=True, household_id=change.household_id)
        )
        .order_by("id")
        .first()
    )
    if enrolment is None:
        raise ValidationError(
            {"change": _("This beneficiary has no open enrolment in this programme.")}
        )
    return enrolment_end(
        enrolment=enrolment, on=run.on, reason=EnrolmentEndReason.LOST_ELIGIBILITY, actor=actor
    )


def enrolments_end_due(*, on: date | None = None) -> dict:
    """The daily job: end every enrolment `selectors.enrolment_end_due` finds as of `on`
    (default: today) — recorded deaths and re-assessments overdue past the grace period —
    through `enrolment_end`, one transaction each, so that one refused does not undo the
    others. Running it again ends nothing twice (an ended enrolment is no longer open).
    Returns the counts, also written as one audit row."""
    on = on or timezone.localdate()
    counts = {EnrolmentEndReason.DEATH.value: 0, EnrolmentEndReason.REASSESSMENT_OVERDUE.value: 0}
    skipped = 0
    for enrolment, reason, event_on in enrolment_end_due(on=on):
        try:
            enrolment_end(enrolment=enrolment, on=event_on, reason=reason, actor=None)
        except ValidationError:
            # Ended by an officer since the list was read: the others still end.
            skipped += 1
            continue
        counts[reason.value] += 1
    if skipped:
        counts["skipped"] = skipped
    if any(counts.values()):
        with transaction.atomic():
            bulk_run_log(actor=None, model=Enrolment, job="end_enrolments", counts=counts)
    return counts


# -- Bulk enrolment from a run's gains (four eyes) -----------------------------------------


def _require_bulk(actor, *, run: Run, programme) -> None:
    """The SSA enrols the state's programmes in bulk: national staff from a national run, an
    office's staff from a run of a municipality in their area."""
    permissions.require(actor, permissions.ENROLMENT_BULK)
    if not permissions.processes_programme(actor, programme.municipality_id):
        raise PermissionDenied(_("The state's programmes are processed by the SSA."))
    if run.municipality_id is None:
        if permissions.municipality_scope(actor) is not None:
            raise PermissionDenied(
                _("Only national staff enrol from a run over the whole country.")
            )
    else:
        permissions.require_in_scope(actor, run.municipality_id)
    permissions.require_health_programme(actor, programme.pk)


def _require_latest(run: Run, programme) -> None:
    """Enrolling from a run needs the run finished, the latest over its area, and a programme
    decided in bulk."""
    if not workflow_of(programme).enrols_in_bulk:
        raise ValidationError(
            {"programme": _("This programme is enrolled through applications, not in bulk.")}
        )
    if run.status != RunStatus.DONE:
        raise ValidationError({"run": _("The run has not finished.")})
    later = Run.objects.filter(pk__gt=run.pk, status=RunStatus.DONE)
    if run.municipality_id is not None:
        later = later.filter(Q(municipality__isnull=True) | Q(municipality_id=run.municipality_id))
    newest = later.order_by("-pk").first()
    if newest is not None:
        raise ValidationError(
            {
                "run": _("Run #%(later)s has decided since: enrol from the latest run.")
                % {"later": newest.pk}
            }
        )


def gained_count(run: Run, programme) -> int:
    """How many the run found newly eligible for the programme (no one is named)."""
    return _gained(run, programme).count()


def _gained(run: Run, programme) -> QuerySet[DecisionChange]:
    return run.changes.filter(programme=programme, new_status=DecisionStatus.ELIGIBLE).exclude(
        old_status=DecisionStatus.ELIGIBLE
    )


@transaction.atomic
def bulk_enrolment_request(*, actor, run: Run, programme) -> BulkEnrolment:
    """Ask to enrol everyone the run found newly eligible for the programme; another officer
    confirms (`bulk_enrolment_confirm`). Refused: a programme not decided in bulk, a run not
    finished or not the latest, a run with no one gained, a request already waiting."""
    _require_bulk(actor, run=run, programme=programme)
    _require_latest(run, programme)
    done = BulkEnrolment.objects.filter(
        run=run, programme=programme, status=BatchStatus.CONFIRMED
    ).first()
    if done is not None:
        raise ValidationError(
            {
                "run": _("Those gained in this run are enrolled already (bulk enrolment #%(id)s).")
                % {"id": done.pk}
            }
        )
    gained = _gained(run, programme).count()
    if not gained:
        raise ValidationError({"run": _("Nobody became eligible for this programme in this run.")})
    try:
        with transaction.atomic(), acting_as(actor):
            return BulkEnrolment.objects.create(
                run=run,
                programme=programme,
                municipality_id=run.municipality_id,
                starts=timezone.localdate().replace(day=1) + relativedelta(months=1),
                gained=gained,
                requested_by=actor,
            )
    except IntegrityError as error:
        raise ValidationError(
            {"run": _("A bulk enrolment from this run for this programme awaits confirmation.")}
        ) from error


def _locked_request(batch: BulkEnrolment) -> BulkEnrolment:
    batch = (
        BulkEnrolment.objects.select_for_update()
        .select_related("run", "programme")
        .get(pk=batch.pk)
    )
    if batch.status != BatchStatus.REQUESTED:
        raise ValidationError(
            {
                "status": _("This bulk enrolment is already %(status)s.")
                % {"status": BatchStatus(batch.status).label.lower()}
            }
        )
    return batch


@transaction.atomic
def bulk_enrolment_cancel(*, actor, batch: BulkEnrolment) -> BulkEnrolment:
    """Withdraw a request (its author) or turn it down (another officer who may confirm it)."""
    batch = _locked_request(batch)
    _require_bulk(actor, run=batch.run, programme=batch.programme)
    batch.status, batch.decided_by, batch.decided_at = (
        BatchStatus.CANCELLED,
        actor,
        timezone.now(),
    )
    with acting_as(actor):
        batch.save(update_fields=["status", "decided_by", "decided_at"])
    return batch


def _beneficiary_join(programme) -> str:
    """How a run's change finds its decision and an enrolment its beneficiary, by level."""
    if programme.level == ProgrammeLevel.PERSON:
        return "{a}.person_id = {b}.person_id"
    return "{a}.household_id = {b}.household_id AND {a}.person_id IS NULL AND {b}.person_id IS NULL"


@transaction.atomic
def bulk_enrolment_confirm(*, actor, batch: BulkEnrolment) -> BulkEnrolment:
    """Confirm another officer's request (four eyes): everyone the run found newly eligible
    is enrolled from `starts` at the amount decided, in one statement, and their decisions are
    linked to the enrolment. Not enrolled, and counted by reason: those already enrolled (the
    database's one-open-enrolment constraints hold here as for applications: a concurrent
    enrolment of the same beneficiary wins and this one skips), those who died, and those whose
    decision has changed since the run. Checked again at confirmation: the run is still the
    latest, the programme's rows are locked against a run or a decision writing meanwhile."""
    batch = _locked_request(batch)
    run, programme = batch.run, batch.programme
    four_eyes(
        prepared_by=batch.requested_by_id,
        approver=actor,
        message=_("Another officer confirms what you asked for: four eyes."),
    )
    _require_bulk(actor, run=run, programme=programme)
    list(Programme.objects.select_for_update().filter(pk=programme.pk).values_list("pk"))
    _require_latest(run, programme)
    quote = connection.ops.quote_name
    c, d = quote(DecisionChange._meta.db_table), quote(Decision._meta.db_table)
    e, p = quote(Enrolment._meta.db_table), quote(Person._meta.db_table)
    beneficiary = _beneficiary_join(programme)
    open_then = "(x.ends IS NULL OR x.ends >= %s)"
    source = f"""
        FROM {c} c JOIN {d} d ON d.programme_id = c.programme_id AND d.period = %s
             AND d.run_id = c.run_id AND {beneficiary.format(a="d", b="c")}
        WHERE c.run_id = %s AND c.programme_id = %s AND c.new_status = %s
          AND c.old_status <> %s AND d.status = %s
    """  # noqa: S608 (table names from models; values bound)
    eligible = DecisionStatus.ELIGIBLE.value
    params = [run.period, run.pk, programme.pk, eligible, eligible, eligible]
    enrolled = f"""EXISTS (SELECT 1 FROM {e} x WHERE x.programme_id = d.programme_id
        AND {beneficiary.format(a="x", b="d")} AND {open_then})"""  # noqa: S608
    died = f"EXISTS (SELECT 1 FROM {p} q WHERE q.id = d.person_id AND q.date_of_death IS NOT NULL)"  # noqa: S608
    ignore = "ON CONFLICT DO NOTHING" if connection.vendor == "postgresql" else ""
    insert = "INSERT INTO" if ignore else "INSERT OR IGNORE INTO"
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) {source}", params)  # noqa: S608
        matched = cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(*) {source} AND {enrolled}", [*params, batch.starts])  # noqa: S608
        already = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT COUNT(*) {source} AND NOT {enrolled} AND {died}", [*params, batch.starts]
        )  # noqa: S608
        dead = cursor.fetchone()[0]
        cursor.execute(
            f"""{insert} {e} (batch_id, application_id, programme_id, household_id, person_id,
                amount, starts, ends, end_reason, ended_by_id, enrolled_by_id, created_at)
            SELECT %s, NULL, d.programme_id, d.household_id, d.person_id, d.amount, %s, NULL, '',
                   NULL, %s, %s
            {source} AND NOT {enrolled} AND NOT {died} {ignore}""",  # noqa: S608
            [batch.pk, batch.starts, actor.pk, now, *params, batch.starts],
        )
        cursor.execute(
            f"""UPDATE {d} SET enrolment_id = (
                SELECT x.id FROM {e} x WHERE x.batch_id = %s
                  AND x.programme_id = {d}.programme_id AND {beneficiary.format(a="x", b=d)})
            WHERE programme_id = %s AND period = %s AND run_id = %s AND EXISTS (
                SELECT 1 FROM {e} x WHERE x.batch_id = %s
                  AND x.programme_id = {d}.programme_id AND {beneficiary.format(a="x", b=d)})""",  # noqa: S608
            [batch.pk, programme.pk, run.period, run.pk, batch.pk],
        )
    made = Enrolment.objects.filter(batch=batch).count()
    batch.status, batch.decided_by, batch.decided_at = BatchStatus.CONFIRMED, actor, now
    batch.enrolled = made
    batch.skipped = {
        "already_enrolled": already + (matched - already - dead - made),  # + lost races
        "died": dead,
        "changed_since": batch.gained - matched,
    }
    with acting_as(actor):
        batch.save(update_fields=["status", "decided_by", "decided_at", "enrolled", "skipped"])
        bulk_run_log(
            actor=actor,
            model=Enrolment,
            job=f"bulk_enrolment #{batch.pk}",
            counts={"enrolled": made, **batch.skipped},
        )
    return batch


@transaction.atomic
def application_household_register(
    *, actor, application: Application, household: dict, head: dict, members: list[dict]
) -> Application:
    """Register the applicant's household in the registry, as the applicant declared it and the
    officer confirmed it (the applicant its head, each member with `relationship`), and register
    the application to it: both or neither. The registry's services check who may register a
    household where; `application_transition` who may register the application."""
    record = registry_services.household_register(actor=actor, household=household, head=head)
    for member in members:
        data = dict(member)
        relationship = data.pop("relationship")
        registry_services.member_add(
            actor=actor, household=record, relationship=relationship, person_data=data
        )
    return application_transition(
        actor=actor, application=application, to=Status.REGISTERED, household=record
    )
