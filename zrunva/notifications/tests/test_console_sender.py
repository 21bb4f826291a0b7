"""The console sender, SMS's default until a gateway is configured: the log never gets a
phone, an e-mail address or a personal number, and outside debug mode not the text either."""

import logging

import pytest

from zrunva.notifications.senders import ConsoleSender
from zrunva.notifications.tests.factories import queued_message

pytestmark = pytest.mark.django_db

LOGGER = "zrunva.notifications.senders"
BODY = "ნინო ბერიძე (01001012345): your application ZR-ABCDE-FGHJK was received."


def sent(caplog) -> list:
    # Only the sender's: in debug mode Django also logs the test's queries.
    return [record for record in caplog.records if record.name == LOGGER]


def test_in_production_the_log_says_which_message_and_not_what_or_to_whom(settings, caplog):
    settings.DEBUG = False
    message = queued_message(to="+995555123456", body=BODY, reference="ZR-ABCDE-FGHJK")
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        ConsoleSender().send(message)
    (record,) = sent(caplog)
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"message {message.pk} (sms, about ZR-ABCDE-FGHJK) only logged, not sent: its channel "
        "has no real sender (NOTIFICATION_SENDERS)"
    )


def test_in_the_demo_the_text_is_shown_masked(settings, caplog):
    settings.DEBUG = True
    message = queued_message(channel="email", to="nino@example.ge", subject="Hello", body=BODY)
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        ConsoleSender().send(message)
    (record,) = sent(caplog)
    assert record.getMessage() == (
        "email to [e-mail]: Hello ნინო ბერიძე ([number]): your application ZR-ABCDE-FGHJK "
        "was received."
    )
