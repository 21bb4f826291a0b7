from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.applications.choices import FINAL
from zrunva.applications.models import Application
from zrunva.audit.services import access_log


def application_list(*, actor) -> QuerySet[Application]:
    """Applications the actor processes: in their area, and of the programmes their office
    owns (the state's for the SSA, their municipality's for a municipal officer)."""
    permissions.require(actor, permissions.APPLICATIONS_PROCESS)
    qs = permissions.scoped(
        Application.objects.select_related("programme", "municipality", "assigned_to"),
        actor,
        "municipality_id",
    )
    if actor.role == Role.MUNICIPAL_OFFICER:
        qs = qs.filter(programme__municipality_id=actor.municipality_id)
    elif actor.role == Role.SSA_OFFICER:
        qs = qs.filter(programme__municipality__isnull=True)
    return qs


def application_queue(*, actor, status: str = "", overdue: bool = False) -> QuerySet[Application]:
    """The open applications to work on, the most urgent first; overdue ones are those whose
    next stage was due before today."""
    qs = application_list(actor=actor).exclude(status__in=FINAL)
    if status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(due_date__lt=timezone.localdate())
    return qs.order_by("due_date", "id")


def application_get(*, actor, pk: int) -> Application:
    """An application the actor processes (else 404), with its events; the read is audited."""
    try:
        application = (
            application_list(actor=actor)
            .select_related("household", "entered_by")
            .prefetch_related("events__actor")
            .get(pk=pk)
        )
    except Application.DoesNotExist:
        raise Http404 from None
    access_log(actor=actor, instance=application, purpose="view")
    return application


def overdue_count(*, actor) -> int:
    return application_queue(actor=actor, overdue=True).count()
