"""The outbox's Prometheus gauges (zrunva.core.metrics): messages waiting and failed, and how
long the oldest due one has waited (a stopped worker or a failing sender shows here first)."""

from django.utils import timezone

from zrunva.core.metrics import counts_by, gauge
from zrunva.notifications.models import Message, MessageStatus


def metrics():
    now = timezone.now()
    unsent = [MessageStatus.PENDING.value, MessageStatus.FAILED.value]
    oldest = (
        Message.objects.filter(status=MessageStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return [
        gauge(
            "zrunva_outbox_messages",
            "Outbox messages not sent: waiting (pending) or given up after every attempt (failed).",
            counts_by(Message.objects.filter(status__in=unsent), "status", unsent),
            labels=["status"],
        ),
        gauge(
            "zrunva_outbox_oldest_due_seconds",
            "How long the oldest message due for sending has waited; 0 if none is due.",
            (now - oldest).total_seconds() if oldest else 0.0,
        ),
    ]
