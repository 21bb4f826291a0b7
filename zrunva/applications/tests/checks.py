"""Checks several applications test modules make (their assertions are rewritten by pytest:
see the root conftest.py)."""

from zrunva.applications.choices import EventKind
from zrunva.applications.models import ApplicationEvent, Enrolment
from zrunva.notifications.models import Message


def enrolment_unchanged(enrolment: Enrolment, messages: int) -> None:
    """Nothing was written: the enrolment is open, no event, no message."""
    enrolment.refresh_from_db()
    assert (enrolment.ends, enrolment.end_reason, enrolment.ended_by) == (None, "", None)
    assert not ApplicationEvent.objects.filter(kind=EventKind.ENROLMENT_END).exists()
    assert Message.objects.count() == messages
