"""The outbox's part of readiness (`/readyz`, zrunva.core.health)."""

import dataclasses
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import Error as DatabaseError
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from zrunva.notifications.models import Message, MessageStatus


def overdue_count(*, minutes: int, limit: int) -> int:
    """Messages still waiting `minutes` after their attempt was due, counted up to `limit` + 1
    (a backlog of a million costs no more to find than one of a hundred)."""
    overdue = Message.objects.filter(
        status=MessageStatus.PENDING,
        next_attempt_at__lt=timezone.now() - timedelta(minutes=minutes),
    )
    return overdue.values("id")[: limit + 1].count()


@dataclasses.dataclass
class OutboxBacklog(HealthCheck):
    """At most OUTBOX_OVERDUE_LIMIT messages are OUTBOX_OVERDUE_MINUTES late: more means the
    worker or a sender (SMS gateway, SMTP) is failing and applicants are not being told."""

    async def run(self):
        await sync_to_async(self.check)()

    def check(self) -> None:
        limit = settings.OUTBOX_OVERDUE_LIMIT
        try:
            count = overdue_count(minutes=settings.OUTBOX_OVERDUE_MINUTES, limit=limit)
        except DatabaseError as e:
            raise ServiceUnavailable("The database did not answer.") from e
        if count > limit:
            raise ServiceUnavailable("Too many messages are waiting past their time.")
