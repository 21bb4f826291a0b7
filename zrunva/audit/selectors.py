from datetime import date, datetime, time

from auditlog.models import LogEntry
from django.db.models import QuerySet
from django.utils import timezone

from zrunva.accounts import permissions


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
    if since:
        qs = qs.filter(timestamp__gte=_day_start(since))
    if until:
        qs = qs.filter(timestamp__lt=_day_start(until) + timezone.timedelta(days=1))
    return qs
