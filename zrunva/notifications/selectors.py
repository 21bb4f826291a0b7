from django.db.models import QuerySet

from zrunva.accounts import permissions
from zrunva.notifications.models import Message


def message_list(*, actor, status: str = "") -> QuerySet[Message]:
    """The outbox, newest first, for those who manage it; `status` narrows it."""
    permissions.require(actor, permissions.NOTIFICATIONS_MANAGE)
    qs = Message.objects.order_by("-created_at", "-id")
    return qs.filter(status=status) if status else qs
