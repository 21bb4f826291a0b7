"""Where messages go. A sender takes a message and raises on failure; which sender serves a
channel is a setting (`NOTIFICATION_SENDERS`), so an SMS gateway plugs in without code here."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from zrunva.core.logs import mask

logger = logging.getLogger(__name__)


class ConsoleSender:
    """Writes the message to the log instead of sending it: for development and the demo, and
    the SMS channel's default until a gateway's sender is configured.

    In debug mode (`make demo`, synthetic people) the log shows the text, with phone numbers,
    e-mail addresses and personal numbers masked. Otherwise the log gets only which message
    it was and a warning: the text names the person, and staff read it on the outbox page."""

    def send(self, message) -> None:
        if settings.DEBUG:
            logger.info(
                "%s to %s: %s %s",
                message.channel,
                mask(message.to),
                mask(message.subject),
                mask(message.body),
            )
            return
        logger.warning(
            "message %s (%s, about %s) only logged, not sent: its channel has no real sender "
            "(NOTIFICATION_SENDERS)",
            message.pk,
            message.channel,
            message.reference or "-",
        )


class SmtpSender:
    """E-mail through Django's mail settings (EMAIL_HOST and the rest)."""

    def send(self, message) -> None:
        send_mail(
            message.subject,
            message.body,
            settings.DEFAULT_FROM_EMAIL,
            [message.to],
            fail_silently=False,
        )


def sender_for(channel: str):
    return import_string(settings.NOTIFICATION_SENDERS[channel])()
