"""Where messages go. A sender takes a message and raises on failure; which sender serves a
channel is a setting (`NOTIFICATION_SENDERS`), so an SMS gateway plugs in without code here."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class ConsoleSender:
    """Writes the message to the log: for development and the demo."""

    def send(self, message) -> None:
        logger.info("%s to %s: %s %s", message.channel, message.to, message.subject, message.body)


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
