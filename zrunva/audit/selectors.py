from datetime import date, datetime, time

from auditlog.models import LogEntry
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from zrunva.accounts import permissions
from zrunva.audit.models import SubjectAccessRequest
from zrunva.audit.subject_access import Section, Subject


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def log_list(
    *,
    actor,
    user_id: int | None = None,
    action: int | None = None,
    model: str = "",
    object_pk: str = "",
    since: date | None = None,
    until: date | None = None,
    attempts: bool = False,
) -> QuerySet[LogEntry]:
    """The audit trail for the data protection officer, newest first."""
    permissions.require(actor, permissions.AUDIT_VIEW)
    qs = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-id")
    if user_id:
        qs = qs.filter(actor_id=user_id)
    if action is not None:
        qs = qs.filter(action=action)
    if model:
        app_label, _, name = model.partition(".")
        qs = qs.filter(content_type__app_label=app_label, content_type__model=name)
    if object_pk:
        qs = qs.filter(object_pk=object_pk)
    if attempts:
        qs = qs.filter(additional_data__attempt=True)
    if since:
        qs = qs.filter(timestamp__gte=_day_start(since))
    if until:
        qs = qs.filter(timestamp__lt=_day_start(until) + timezone.timedelta(days=1))
    return qs


def log_entry_get(*, actor, pk: int) -> LogEntry:
    """One entry of the trail, for the data protection officer."""
    permissions.require(actor, permissions.AUDIT_VIEW)
    try:
        return LogEntry.objects.select_related("actor", "content_type").get(pk=pk)
    except LogEntry.DoesNotExist:
        raise Http404 from None


def subject_access_requests_open(*, actor) -> QuerySet[SubjectAccessRequest]:
    """The subject-access requests not yet answered, the most overdue first (all are listed:
    they are few, and the DPO must see every one)."""
    permissions.require(actor, permissions.SUBJECT_ACCESS)
    return (
        SubjectAccessRequest.objects.filter(answered_on__isnull=True)
        .select_related("recorded_by")
        .order_by("due_on", "id")
    )


def subject_access_requests_of(*, actor, personal_number: str) -> QuerySet[SubjectAccessRequest]:
    """Every request about one person, the newest first."""
    permissions.require(actor, permissions.SUBJECT_ACCESS)
    return (
        SubjectAccessRequest.objects.filter(personal_number=personal_number)
        .select_related("recorded_by", "answered_by")
        .order_by("-received_on", "-id")
    )


def subject_access_request_get(*, actor, pk: int) -> SubjectAccessRequest:
    permissions.require(actor, permissions.SUBJECT_ACCESS)
    try:
        return SubjectAccessRequest.objects.get(pk=pk)
    except SubjectAccessRequest.DoesNotExist:
        raise Http404 from None


def subject_access_section(subject: Subject) -> Section:
    """Subject access: the person's own earlier requests and their answers."""
    section = Section()
    requests = SubjectAccessRequest.objects.filter(personal_number=subject.personal_number)
    for request in requests.order_by("received_on", "id"):
        section.add(request)
    return section
