"""Filing, assigning, escalating and resolving grievances; an appeal reopens the review of the
decision it contests."""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.accounts import permissions
from zrunva.applications.choices import Status as ApplicationStatus
from zrunva.applications.choices import public_status_label
from zrunva.applications.models import Application
from zrunva.applications.services import application_reopen
from zrunva.core.casework import (
    case_assign,
    case_event,
    case_lock,
    new_number,
    normalised_number,
)
from zrunva.core.text import long_date
from zrunva.core.trail import acting_as, bulk_run_log
from zrunva.core.validators import contact_required, phone_e164
from zrunva.core.workdays import is_working_day, working_days_after
from zrunva.grievances.choices import UNRESOLVED, Category, Channel, EventKind, Status
from zrunva.grievances.models import Grievance, GrievanceEvent
from zrunva.grievances.selectors import decided_by, grievances_overdue
from zrunva.notifications.services import message_to_case

# Illustrative service standards: working days to answer each kind of grievance (no published
# standard exists for them; set here, in one place).
DEADLINE_WORKING_DAYS = {
    Category.SERVICE_QUALITY: 10,
    Category.PAYMENT: 10,
    Category.DATA_CORRECTION: 10,
    Category.STAFF_CONDUCT: 15,
    Category.OTHER: 10,
}
# An administrative complaint is decided within one month of its filing (General Administrative
# Code of Georgia, Article 202); illustrative and configurable here. A deadline that ends on a
# day off moves to the next working day.
APPEAL_REVIEW_MONTHS = 1
# Who takes over an escalated grievance: its assignment is theirs alone from then on.
# Public channels: the complainant files for themselves and is answered only by SMS or e-mail.
PUBLIC_CHANNELS = frozenset({Channel.PORTAL, Channel.API})
# The decisions an appeal can contest.
APPEALABLE = frozenset({ApplicationStatus.DECIDED, ApplicationStatus.REJECTED})
# An appeal is answered once the application has a new decision (or has been closed).
DECIDED_AGAIN = frozenset(
    {
        ApplicationStatus.DECIDED,
        ApplicationStatus.REJECTED,
        ApplicationStatus.ENROLLED,
        ApplicationStatus.WITHDRAWN,
        ApplicationStatus.DUPLICATE,
    }
)
# One message for a wrong number, a wrong personal number or both: it tells no one which exists.
NOT_FOUND = gettext_lazy("No grievance has this number and personal number.")
COMPLAINANT_FIELDS = ("personal_number", "first_name", "last_name", "phone", "email", "language")
FIELD_ORDER = (*COMPLAINANT_FIELDS, "category", "application", "municipality", "reference", "text")


def grievance_due(category: str, filed: date) -> date:
    """When the answer is due: working days after filing, or for an appeal one month, on the
    next working day if that month ends on a day off."""
    if category == Category.DECISION_APPEAL:
        day = filed + relativedelta(months=APPEAL_REVIEW_MONTHS)
        return day if is_working_day(day) else working_days_after(day, 1)
    return working_days_after(filed, DEADLINE_WORKING_DAYS[category])


def _notify(grievance: Grievance, event: str) -> int:
    """Tell the complainant, in their language, that their grievance was received, escalated or
    answered: by SMS and e-mail if they gave them. Queued in the same transaction as the change.
    Returns how many messages were queued."""
    number = grievance.number
    with translation.override(grievance.language or "ka"):
        due = long_date(grievance.due_date)
        if event == EventKind.FILED and grievance.is_appeal:
            subject = _("Appeal %(number)s received") % {"number": number}
            body = _(
                "We received your appeal %(number)s against the decision on application "
                "%(application)s. An officer who did not make the decision reviews it; the "
                "answer is due by %(date)s."
            ) % {"number": number, "application": grievance.application.number, "date": due}
        elif event == EventKind.FILED:
            subject = _("Grievance %(number)s received") % {"number": number}
            body = _(
                "We received your grievance %(number)s. The answer is due by %(date)s. Keep its "
                "number to follow it on the portal."
            ) % {"number": number, "date": due}
        elif event == EventKind.ESCALATED:
            subject = _("Grievance %(number)s: passed to a supervisor") % {"number": number}
            body = _(
                "Your grievance %(number)s was not answered by %(date)s. A supervisor now deals "
                "with it. We apologise for the delay."
            ) % {"number": number, "date": due}
        else:
            subject = _("Grievance %(number)s answered") % {"number": number}
            body = _("Your grievance %(number)s was answered on %(date)s: %(resolution)s") % {
                "number": number,
                "date": long_date(timezone.localdate(grievance.resolved_at)),
                "resolution": grievance.resolution,
            }
    return message_to_case(grievance, body=body, subject=subject)


def _event(grievance: Grievance, kind: str, *, actor, note: str = "") -> GrievanceEvent:
    return case_event(grievance, kind=kind, actor=actor, note=note)


def _appealed_application(
    *, application_number: str, personal_number: str, category: str, errors: dict
) -> Application | None:
    """The application the grievance names, if it is the complainant's own; for an appeal, one
    with a decision that can still be appealed. Problems go into `errors` under "application".
    A number that is not the complainant's gets the same message as one that does not exist."""
    appeal = category == Category.DECISION_APPEAL
    if not application_number:
        if appeal:
            errors["application"] = _(
                "An appeal names the application whose decision it contests: give its number."
            )
        return None
    application = (
        Application.objects.select_related("municipality")
        .filter(number=application_number, personal_number=personal_number)
        .first()
    )
    if application is None:
        errors["application"] = _("No application has this number and personal number.")
        return None
    if not appeal:
        return application
    if Grievance.objects.filter(
        application=application, category=Category.DECISION_APPEAL, status__in=UNRESOLVED
    ).exists():
        errors["application"] = _("An appeal against this decision is already being reviewed.")
    elif application.status not in APPEALABLE:
        errors["application"] = _(
            "This application has no decision to appeal: it is %(status)s."
        ) % {"status": public_status_label(application.status)}  # as the status check says
    elif application.appeal_until and timezone.localdate() > application.appeal_until:
        errors["application"] = _("The time to appeal this decision ended on %(date)s.") % {
            "date": long_date(application.appeal_until)
        }
    return application


@transaction.atomic
def grievance_file(
    *,
    actor=None,
    channel: str,
    complainant: dict,
    category: str,
    text: str,
    municipality=None,
    application_number: str = "",
    reference: str = "",
) -> Grievance:
    """A new grievance, from the portal or the public API (no actor: the complainant files for
    themselves) or entered at an office by staff who handle grievances, in their area.

    It may name one of the complainant's own applications (by number, with their personal
    number); an appeal must, and only against a decision (granted or refused) still within its
    appeal period (the decision letter's `appeal_until`). Filing an appeal reopens the
    application's review in the same transaction, so that an officer who did not decide it
    decides again. The grievance is handled in the application's municipality, or else the one
    given. The complainant is told by SMS or e-mail: on the public channels they must give one.
    The answer is due by `grievance_due`."""
    if channel == Channel.WALK_IN:
        permissions.require(actor, permissions.GRIEVANCES_HANDLE)
    elif channel in PUBLIC_CHANNELS:
        actor = None  # the complainant files for themselves
    else:
        raise ValidationError({"channel": _("Unknown channel.")})
    data = {name: str(complainant.get(name) or "").strip() for name in COMPLAINANT_FIELDS}
    data["language"] = data["language"] or "ka"
    grievance = Grievance(
        number=new_number(Grievance.PREFIX),
        category=category or "",
        text=(text or "").strip(),
        reference=(reference or "").strip(),
        channel=channel,
        entered_by=actor,
        **data,
    )
    errors: dict = {}
    try:
        grievance.full_clean(exclude=["municipality", "due_date", "application"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if channel in PUBLIC_CHANNELS:
        try:
            contact_required(data["phone"], data["email"])
        except ValidationError as error:
            errors.setdefault("phone", []).extend(error.message_dict["phone"])
    application = None
    if "personal_number" not in errors and "category" not in errors:
        found: dict = {}
        application = _appealed_application(
            application_number=normalised_number(application_number or "", "ZR"),
            personal_number=data["personal_number"],
            category=category,
            errors=found,
        )
        errors.update({k: [v] for k, v in found.items()})
    if channel == Channel.WALK_IN and application is not None:
        # Before any word about the application (its status, its appeal period).
        permissions.require_in_scope(actor, application.municipality_id)
    if application is not None:
        municipality = application.municipality
    if municipality is None and "application" not in errors:
        errors["municipality"] = [_("Choose the municipality.")]
    if errors:
        # In the order the form shows the fields, so the API lists them as the page does.
        order = {name: i for i, name in enumerate(FIELD_ORDER)}
        raise ValidationError(dict(sorted(errors.items(), key=lambda e: order.get(e[0], 99))))
    if channel == Channel.WALK_IN:
        permissions.require_in_scope(actor, municipality.pk)
    grievance.phone = phone_e164(grievance.phone)
    grievance.application = application
    grievance.municipality = municipality
    grievance.due_date = grievance_due(category, timezone.localdate())
    with acting_as(actor):
        grievance.save()
        _event(grievance, EventKind.FILED, actor=actor)
        if grievance.is_appeal:
            note = _("Appeal %(number)s against the decision.") % {"number": grievance.number}
            application_reopen(actor=actor, application=application, note=str(note))
            _event(grievance, EventKind.REOPENED, actor=actor, note=application.number)
        _notify(grievance, EventKind.FILED)
    return grievance


def _locked(grievance: Grievance) -> Grievance:
    return case_lock(grievance, "application", "assigned_to")


def can_handle(user, grievance: Grievance) -> bool:
    """Whether `user` may be given the grievance: they handle grievances in its area, and for an
    appeal they did not make the decision it contests."""
    if not (
        permissions.has_perm(user, permissions.GRIEVANCES_HANDLE)
        and permissions.in_scope(user, grievance.municipality_id)
    ):
        return False
    return not (grievance.is_appeal and user.pk in decided_by(grievance))


@transaction.atomic
def grievance_assign(*, actor, grievance: Grievance, to) -> Grievance:
    """Give an unresolved grievance to a staff member who handles grievances in its area (or
    take it: `to` is the actor); it is then in review. An appeal is never given to an officer
    who made the decision it contests. Once escalated, a grievance is assigned only by a
    supervisor or an administrator."""
    grievance = _locked(grievance)
    permissions.require(actor, permissions.GRIEVANCES_HANDLE)
    permissions.require_in_scope(actor, grievance.municipality_id)
    if not grievance.is_open:
        raise ValidationError({"assigned_to": _("A resolved grievance is not assigned.")})
    if grievance.is_escalated and not permissions.has_perm(actor, permissions.GRIEVANCES_SUPERVISE):
        raise PermissionDenied(_("An escalated grievance is assigned by a supervisor."))
    if not (
        permissions.has_perm(to, permissions.GRIEVANCES_HANDLE)
        and permissions.in_scope(to, grievance.municipality_id)
    ):
        raise ValidationError(
            {"assigned_to": _("This person does not handle grievances in this municipality.")}
        )
    if grievance.is_appeal and to.pk in decided_by(grievance):
        raise ValidationError(
            {
                "assigned_to": _(
                    "This officer made the decision the appeal contests; another officer "
                    "reviews it."
                )
            }
        )
    grievance.status = Status.IN_REVIEW
    return case_assign(grievance, actor=actor, to=to, also=("status",), kind=EventKind.ASSIGNED)


@transaction.atomic
def grievance_resolve(*, actor, grievance: Grievance, resolution: str) -> Grievance:
    """Answer a grievance: by the officer it is assigned to, or by a supervisor or administrator
    in its area. An appeal is answered by an officer who did not make the contested decision,
    once the application has been decided again. The complainant is sent the answer in their
    language."""
    grievance = _locked(grievance)
    permissions.require(actor, permissions.GRIEVANCES_HANDLE)
    permissions.require_in_scope(actor, grievance.municipality_id)
    if not grievance.is_open:
        raise ValidationError({"resolution": _("This grievance is already resolved.")})
    if grievance.assigned_to_id != actor.pk and not permissions.has_perm(
        actor, permissions.GRIEVANCES_SUPERVISE
    ):
        raise PermissionDenied(
            _("A grievance is resolved by the officer it is assigned to, or by a supervisor.")
        )
    if grievance.is_appeal:
        if actor.pk in decided_by(grievance):
            raise PermissionDenied(
                _("You made the decision this appeal contests; another officer answers it.")
            )
        if grievance.application.status not in DECIDED_AGAIN:
            raise ValidationError(
                {"resolution": _("Decide the application again before answering the appeal.")}
            )
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("Write the answer to the complainant.")})
    try:
        Grievance._meta.get_field("resolution").run_validators(resolution)
    except ValidationError as error:
        raise ValidationError({"resolution": error.messages}) from error
    grievance.resolution = resolution
    grievance.status, grievance.resolved_at, grievance.resolved_by = (
        Status.RESOLVED,
        timezone.now(),
        actor,
    )
    with acting_as(actor):
        grievance.save(update_fields=["resolution", "status", "resolved_at", "resolved_by"])
        _event(grievance, EventKind.RESOLVED, actor=actor, note=resolution)
        _notify(grievance, EventKind.RESOLVED)
    return grievance


@transaction.atomic
def grievances_escalate(*, today: date | None = None) -> dict:
    """Escalate every unresolved grievance whose answer was due before `today` (default: today),
    once: it is marked escalated, the event recorded and the complainant told. From then on the
    grievance is the business of the supervisors and administrators of its area: it heads their
    queue (filter "Escalated"), and only they assign it (`grievance_assign`); the officer it is
    assigned to may still answer it. Running it again escalates nothing twice. Returns the
    counts, also written to the audit log."""
    today = today or timezone.localdate()
    unanswered = Grievance.objects.filter(status__in=UNRESOLVED, escalated_at__isnull=True)
    due = grievances_overdue(unanswered.select_for_update(), today=today)
    due = due.order_by("due_date", "id")
    counts = {"escalated": 0, "messages": 0}
    now = timezone.now()
    with acting_as(None):
        for grievance in due:
            grievance.escalated_at = now
            grievance.save(update_fields=["escalated_at"])
            _event(
                grievance,
                EventKind.ESCALATED,
                actor=None,
                note=_("Not answered by %(date)s.") % {"date": long_date(grievance.due_date)},
            )
            counts["escalated"] += 1
            counts["messages"] += _notify(grievance, EventKind.ESCALATED)
    if counts["escalated"]:
        bulk_run_log(actor=None, model=Grievance, job="grievances_escalate", counts=counts)
    return counts
