"""The outbox's readiness check (zrunva.notifications.health)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from health_check.exceptions import ServiceUnavailable

from zrunva.notifications.health import OutboxBacklog
from zrunva.notifications.models import Message, MessageStatus
from zrunva.notifications.tests.factories import queued_message

pytestmark = pytest.mark.django_db


def due(minutes_ago: int, *, status=MessageStatus.PENDING) -> Message:
    message = queued_message()
    Message.objects.filter(pk=message.pk).update(
        status=status, next_attempt_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return message


def test_the_outbox_passes_up_to_the_limit_of_overdue_messages(settings):
    settings.OUTBOX_OVERDUE_MINUTES = 30
    settings.OUTBOX_OVERDUE_LIMIT = 2
    due(31), due(45)
    due(29)  # late, but not yet by OUTBOX_OVERDUE_MINUTES
    due(90, status=MessageStatus.SENT), due(90, status=MessageStatus.FAILED)
    OutboxBacklog().check()


def test_the_outbox_fails_past_the_limit_without_saying_how_many(settings):
    settings.OUTBOX_OVERDUE_MINUTES = 30
    settings.OUTBOX_OVERDUE_LIMIT = 2
    due(31), due(45), due(600)
    with pytest.raises(ServiceUnavailable) as failed:
        OutboxBacklog().check()
    assert str(failed.value) == "Unavailable: Too many messages are waiting past their time."


def test_readiness_reports_the_outbox(client, settings):
    settings.OUTBOX_OVERDUE_LIMIT = 0
    due(settings.OUTBOX_OVERDUE_MINUTES + 1)
    response = client.get("/readyz", HTTP_ACCEPT="application/json")
    assert response.status_code == 503
    assert response.json()["OutboxBacklog()"].startswith("Unavailable: Too many messages")
