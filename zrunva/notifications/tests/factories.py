"""Builders for the notifications' tests: messages waiting in the outbox."""

from zrunva.notifications import services
from zrunva.notifications.models import Message


def queued_message(**kwargs) -> Message:
    """A message queued in the outbox: an SMS saying hello in Georgian unless `kwargs` say
    otherwise."""
    data = {"channel": "sms", "to": "+995555000111", "body": "hello", "language": "ka"}
    return services.message_queue(**(data | kwargs))
