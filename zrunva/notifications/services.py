from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core.trail import acting_as
from zrunva.notifications.models import Channel, Message, MessageStatus
from zrunva.notifications.senders import sender_for

MAX_ATTEMPTS = 6
# Waits between attempts: 1 minute, then 5, 25, about 2 hours, then 10.
BACKOFF = timedelta(minutes=1)
BACKOFF_FACTOR = 5


def message_queue(
    *, channel: str, to: str, body: str, language: str, subject: str = "", reference: str = ""
) -> Message:
    """Put a message in the outbox, in the caller's transaction: it exists if, and only if, what
    it announces was saved. The worker is woken once the transaction commits."""
    message = Message.objects.create(
        channel=channel,
        to=to,
        body=body,
        language=language,
        subject=subject,
        reference=reference,
        next_attempt_at=timezone.now(),
    )

    def wake():
        from zrunva.notifications.tasks import outbox_send

        outbox_send.enqueue()

    transaction.on_commit(wake)
    return message


def outbox_send(*, batch: int = 100) -> dict:
    """Send the messages that are due, each in its own transaction. A failure is kept with its
    error and tried again later, waiting longer each time; after MAX_ATTEMPTS it is marked
    failed for staff to see. Several workers may run: each takes rows the others have not
    locked (PostgreSQL)."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for _attempt in range(batch):
        with transaction.atomic():
            due = Message.objects.filter(
                status=MessageStatus.PENDING, next_attempt_at__lte=timezone.now()
            ).order_by("next_attempt_at", "id")
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            message = due.first()
            if message is None:
                break
            message.attempts += 1
            try:
                sender_for(message.channel).send(message)
            except Exception as error:  # any sender's failure: keep the message, try again
                message.last_error = f"{type(error).__name__}: {error}"[:2000]
                if message.attempts >= MAX_ATTEMPTS:
                    message.status = MessageStatus.FAILED
                    counts["failed"] += 1
                else:
                    wait = BACKOFF * BACKOFF_FACTOR ** (message.attempts - 1)
                    message.next_attempt_at = timezone.now() + wait
                    counts["retry"] += 1
            else:
                message.status, message.sent_at = MessageStatus.SENT, timezone.now()
                counts["sent"] += 1
            message.save()
    return counts


def message_to_contact(
    *, phone: str, email: str, body: str, subject: str, language: str, reference: str
) -> int:
    """Queue the same message by SMS and by e-mail, to whichever of the two addresses a person
    gave; returns how many were queued."""
    queued = 0
    for channel, address in ((Channel.SMS, phone), (Channel.EMAIL, email)):
        if address:
            message_queue(
                channel=channel,
                to=address,
                body=str(body),
                subject=str(subject),
                language=language,
                reference=reference,
            )
            queued += 1
    return queued


def message_to_case(case, *, body: str, subject: str, reference: str = "") -> int:
    """Queue a message about a case (`zrunva.core.casework.Case`) to the contact details it
    holds, in its language, under its number unless `reference` names another record."""
    return message_to_contact(
        phone=case.phone,
        email=case.email,
        body=body,
        subject=subject,
        language=case.language or "ka",
        reference=reference or case.number,
    )


@transaction.atomic
def message_retry(*, actor, message: Message) -> Message:
    """Send a failed message again: back in the queue with its attempts counted afresh."""
    permissions.require(actor, permissions.NOTIFICATIONS_MANAGE)
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status != MessageStatus.FAILED:
        raise ValidationError(_("Only a failed message is sent again."))
    message.status, message.attempts = MessageStatus.PENDING, 0
    message.next_attempt_at = timezone.now()
    with acting_as(actor):
        message.save()

    def wake():
        from zrunva.notifications.tasks import outbox_send

        outbox_send.enqueue()

    transaction.on_commit(wake)
    return message


def next_due() -> Message | None:
    return Message.objects.filter(status=MessageStatus.PENDING).order_by("next_attempt_at").first()
