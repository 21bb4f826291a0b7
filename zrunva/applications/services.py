from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.accounts import permissions
from zrunva.applications.choices import FINAL, Channel, Status
from zrunva.applications.models import Application, ApplicationEvent, Workflow, new_number
from zrunva.applications.workdays import working_days_after
from zrunva.audit.services import acting_as
from zrunva.notifications.models import Channel as MessageChannel
from zrunva.notifications.services import message_queue

# Who moves an application into each status (besides the scope and programme checks).
STAGE_PERMISSIONS = {
    Status.REGISTERED: permissions.APPLICATIONS_PROCESS,
    Status.HOME_VISIT_SCHEDULED: permissions.ASSESSMENT_RECORD,
    Status.ASSESSED: permissions.ASSESSMENT_RECORD,
    Status.DECIDED: permissions.APPLICATIONS_PROCESS,
    Status.REJECTED: permissions.APPLICATIONS_PROCESS,
    Status.ENROLLED: permissions.APPLICATIONS_PROCESS,
    Status.WITHDRAWN: permissions.APPLICATIONS_PROCESS,
}
CONSENT_PURPOSE = gettext_lazy(
    "I agree that the Social Service Agency and my municipality process the personal data in "
    "this application, and those of the household members I name, to decide on it and to pay "
    "the benefit (Law of Georgia on Personal Data Protection)."
)


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
    for channel, address in (
        (MessageChannel.SMS, application.phone),
        (MessageChannel.EMAIL, application.email),
    ):
        if address:
            message_queue(
                channel=channel,
                to=address,
                body=str(body),
                subject=str(subject),
                language=application.language,
                reference=application.number,
            )


def _workflow(programme) -> Workflow:
    workflow = Workflow.objects.filter(programme=programme).first()
    return workflow or Workflow(programme=programme, home_visit=False, source="default")


def _due(workflow: Workflow, status: str, since: date) -> date | None:
    """When the stage after `status` is due, counted in working days from `since`."""
    stages = workflow.stages
    if status in FINAL or status not in stages or stages.index(status) + 1 == len(stages):
        return None
    return working_days_after(since, workflow.deadline(stages[stages.index(status) + 1]))


def _require_process(actor, application: Application, perm: str) -> None:
    """The SSA processes the state's programmes; a municipality's officers only their own
    municipality's programmes. Everyone only in their area."""
    permissions.require(actor, perm)
    permissions.require_in_scope(actor, application.municipality_id)
    own = application.programme.municipality_id
    if not permissions.processes_programme(actor, own):
        if own is None:
            raise PermissionDenied(_("The state's programmes are processed by the SSA."))
        raise PermissionDenied(_("A municipality's programmes are processed by its officers."))


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
) -> Application:
    """A new application, from the portal (no actor) or entered at an office by staff for the
    applicant. One open application per person and programme; none for a programme the person
    is already enrolled in; consent to the processing, its purpose stated, is required."""
    if channel == Channel.WALK_IN:
        permissions.require(actor, permissions.APPLICATIONS_PROCESS)
        permissions.require_in_scope(actor, municipality.pk)
    if not consent:
        raise ValidationError({"consent": _("The application needs your consent to process it.")})
    if not programme.is_active or (
        programme.municipality_id is not None and programme.municipality_id != municipality.pk
    ):
        raise ValidationError({"programme": _("This programme does not take applications here.")})
    personal_number = applicant.get("personal_number", "")
    enrolled = Application.objects.filter(
        programme=programme, personal_number=personal_number, status=Status.ENROLLED
    ).exists()
    if enrolled:
        raise ValidationError(
            {"personal_number": _("This person is already enrolled in this programme.")}
        )
    today = timezone.localdate()
    # What the applicant agreed to, in the words they read.
    with translation.override(applicant.get("language") or "ka"):
        purpose = str(CONSENT_PURPOSE)
    application = Application(
        number=new_number(),
        programme=programme,
        channel=channel,
        municipality=municipality,
        members=members or [],
        consent_purpose=purpose,
        entered_by=actor,
        stage_since=today,
        **applicant,
    )
    application.due_date = _due(_workflow(programme), Status.SUBMITTED, today)
    try:
        application.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise ValidationError(error.message_dict) from error
    with acting_as(actor):
        try:
            with transaction.atomic():
                application.save()
        except IntegrityError as error:
            raise ValidationError(
                {
                    "personal_number": _(
                        "This person already has an open application for this programme."
                    )
                }
            ) from error
        ApplicationEvent.objects.create(
            application=application, to_status=Status.SUBMITTED, actor=actor
        )
        _notify(application)
    return application


def next_statuses(application: Application) -> list[str]:
    """Where an application may go from here: its workflow's next stage; rejection before the
    decision; withdrawal until enrolment."""
    if application.status in FINAL:
        return []
    stages = _workflow(application.programme).stages
    options = []
    position = stages.index(application.status)
    if position + 1 < len(stages):
        options.append(stages[position + 1])
    if position < stages.index(Status.DECIDED):
        options.append(Status.REJECTED)
    options.append(Status.WITHDRAWN)
    return options


@transaction.atomic
def application_transition(
    *, actor, application: Application, to: str, note: str = "", household=None
) -> Application:
    """Move an application one step: only to a status its workflow allows from here, only by a
    role that may (registering, deciding and enrolling: the programme's own office; home visits:
    SSA social agents), in their area. Each move is recorded with who, when and why. A refusal
    needs its reasons; registering needs the household matched or registered in the registry."""
    application = (
        Application.objects.select_for_update().select_related("programme").get(pk=application.pk)
    )
    if to not in next_statuses(application):
        raise ValidationError(
            {
                "status": _("An application that is %(now)s cannot become %(to)s.")
                % {"now": Status(application.status).label, "to": Status(to).label}
            }
        )
    _require_process(actor, application, STAGE_PERMISSIONS[to])
    if to == Status.REJECTED and not note.strip():
        raise ValidationError({"note": _("Give the reasons for the refusal.")})
    if to == Status.REGISTERED:
        if household is None:
            raise ValidationError(
                {"household": _("Match the applicant's household in the registry, or register it.")}
            )
        permissions.require_in_scope(actor, household.municipality_id)
        application.household = household
    with acting_as(actor):
        _step(application, to, actor=actor, note=note.strip())
    return application


def _step(application: Application, to: str, *, actor, note: str) -> None:
    """Record the move, set the stage's deadline and tell the applicant."""
    today = timezone.localdate()
    ApplicationEvent.objects.create(
        application=application,
        from_status=application.status,
        to_status=to,
        actor=actor,
        note=note,
    )
    application.status, application.stage_since = to, today
    application.due_date = _due(_workflow(application.programme), to, today)
    application.save()
    _notify(application)


def application_withdraw(*, number: str, personal_number: str) -> Application:
    """The applicant withdraws on the portal, proving it is theirs with their personal number."""
    application = Application.objects.filter(
        number=number.strip().upper(), personal_number=personal_number.strip()
    ).first()
    if application is None:
        raise ValidationError(_("No application has this number and personal number."))
    if application.status in (Status.ENROLLED, Status.REJECTED, Status.WITHDRAWN):
        raise ValidationError(_("This application is closed and cannot be withdrawn."))
    with transaction.atomic():
        _step(
            application,
            Status.WITHDRAWN,
            actor=None,
            note=str(_("Withdrawn by the applicant on the portal.")),
        )
    return application
