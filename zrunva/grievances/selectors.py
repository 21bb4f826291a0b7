from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.applications.choices import EventKind as ApplicationEventKind
from zrunva.applications.choices import Status as ApplicationStatus
from zrunva.applications.models import ApplicationEvent
from zrunva.audit.subject_access import Section, Subject
from zrunva.core import casework
from zrunva.core.casework import case_get, normalised_number
from zrunva.grievances.choices import UNRESOLVED
from zrunva.grievances.models import Grievance


def grievance_list(*, actor) -> QuerySet[Grievance]:
    """Grievances in the actor's area, for those who handle them."""
    permissions.require(actor, permissions.GRIEVANCES_HANDLE)
    qs = Grievance.objects.select_related("municipality", "assigned_to", "application")
    return permissions.scoped(qs, actor)


def grievance_queue(
    *,
    actor,
    status: str = "",
    overdue: bool = False,
    escalated: bool = False,
    mine: bool = False,
) -> QuerySet[Grievance]:
    """The grievances to work on, the answer due soonest first: the unresolved ones unless a
    status is asked for. Overdue ones were due before today; escalated ones are the
    supervisors'; `mine` are those assigned to the actor."""
    qs = grievance_list(actor=actor)
    qs = qs.filter(status=status) if status else qs.filter(status__in=UNRESOLVED)
    if overdue:
        qs = grievances_overdue(qs)
    if escalated:
        qs = qs.filter(escalated_at__isnull=False)
    if mine:
        qs = qs.filter(assigned_to=actor)
    return qs.order_by("due_date", "id")


def grievances_overdue(qs: QuerySet[Grievance] | None = None, *, today=None) -> QuerySet[Grievance]:
    """The unresolved grievances of `qs` (default: all of them) whose answer was due before
    `today` (default: today): the queue's "overdue", the escalation's and the metric's."""
    qs = Grievance.objects.all() if qs is None else qs
    return casework.overdue(qs.filter(status__in=UNRESOLVED), today=today or timezone.localdate())


def grievance_get(*, actor, pk: int, purpose: str = "view") -> Grievance:
    """A grievance in the actor's area (else 404), with its history; the read is audited."""
    return case_get(
        grievance_list(actor=actor).select_related("entered_by", "resolved_by"),
        actor=actor,
        pk=pk,
        purpose=purpose,
    )


def grievance_find(*, number: str, personal_number: str) -> Grievance | None:
    """The complainant's own grievance, by its number and their personal number; None when
    either is wrong (the caller says so without telling which)."""
    number, personal_number = normalised_number(number, "GR"), personal_number.strip()
    if not (number and personal_number):
        return None
    return (
        Grievance.objects.select_related("application")
        .filter(number=number, personal_number=personal_number)
        .first()
    )


def decided_by(grievance: Grievance) -> frozenset[int]:
    """The officers who made the decisions an appeal contests: who granted or refused its
    application before it was filed (the new decision after it is not contested by it)."""
    if grievance.application_id is None:
        return frozenset()
    return frozenset(
        ApplicationEvent.objects.filter(
            application_id=grievance.application_id,
            kind=ApplicationEventKind.STATUS,
            to_status__in=[ApplicationStatus.DECIDED, ApplicationStatus.REJECTED],
            at__lte=grievance.filed_at,
            actor__isnull=False,
        ).values_list("actor_id", flat=True)
    )


def _handling_roles() -> list[str]:
    # Asked of permissions rather than listed again here, so that a change of grants there
    # changes who may be given a grievance.
    User = get_user_model()
    return [
        role
        for role in Role
        if permissions.has_perm(User(role=role, is_active=True), permissions.GRIEVANCES_HANDLE)
    ]


def grievance_assignees(*, grievance: Grievance) -> QuerySet:
    """The active staff a grievance may be given to: those who handle grievances with its
    municipality in their area (a municipal officer's municipality, an office's municipalities,
    or the whole country), less, for an appeal, those who made the contested decision."""
    qs = permissions.holders(
        permissions.GRIEVANCES_HANDLE, municipality_id=grievance.municipality_id
    ).order_by("last_name", "first_name", "username")
    if grievance.is_appeal:
        qs = qs.exclude(pk__in=decided_by(grievance))
    return qs


def subject_access_grievances(subject: Subject) -> Section:
    """Subject access: the grievances the person filed and those about their applications, with
    their events. Their phones, e-mails and numbers are passed on for the outbox's section."""
    applications = sorted(r for r in subject.references if r.startswith("ZR-"))
    grievances = (
        Grievance.objects.filter(
            Q(personal_number=subject.personal_number) | Q(application__number__in=applications)
        )
        .select_related("application")
        .prefetch_related("events")
        .order_by("filed_at", "id")
    )
    section = Section()
    for grievance in grievances:
        section.add(
            grievance,
            application_number=grievance.application.number if grievance.application else None,
            labels={"application_number": _("Application number")},
        )
        subject.contacts.update(c for c in (grievance.phone, grievance.email) if c)
        subject.references.add(grievance.number)
        for event in grievance.events.all():
            section.add(
                event,
                exclude=("grievance",),
                grievance_number=grievance.number,
                labels={"grievance_number": _("Grievance number")},
            )
    return section


# -- A person's and a household's grievances (panels on their pages) ---------------------------
# Scoped as the queue is (`grievance_list`: those who handle grievances, in their area), every
# status; the person or household was read, and audited, by the registry's selector.


def person_grievances(*, actor, person) -> QuerySet[Grievance]:
    """The grievances the person filed and those about the applications they made, the latest
    first."""
    number = person.personal_number
    about = Q(personal_number=number) | Q(application__personal_number=number)
    return grievance_list(actor=actor).filter(about).order_by("-filed_at", "-id")


def household_grievances(*, actor, household) -> QuerySet[Grievance]:
    """The grievances about the household's applications and those its current members filed,
    the latest first. `household.current_members` is `registry.selectors.household_get`'s."""
    numbers = sorted(m.person.personal_number for m in household.current_members)
    about = Q(application__household_id=household.pk) | Q(personal_number__in=numbers)
    return grievance_list(actor=actor).filter(about).order_by("-filed_at", "-id")
