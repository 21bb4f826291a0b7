"""Failure drill (issue 19, item 7): the outbox's SMTP sender failing for an hour delivers
everything afterwards, once.

A real SMTP exchange: `SmtpSender` through Django's SMTP backend to a small SMTP server this
test runs on a local port. For the first half hour nothing listens there (connection refused),
for the second the server answers every connection with "421 service not available" (a real
refusal); then it accepts mail. The outbox's clock is moved forward a minute at a time over
three hours of simulated time, the outbox run after every minute as the worker would."""

import socket
import socketserver
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from zrunva.notifications import services
from zrunva.notifications.models import Message, MessageStatus
from zrunva.notifications.tests.factories import queued_message

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class SmtpServer(socketserver.ThreadingTCPServer):
    """A minimal SMTP server: refuses (421) while `refusing`, else records each message's
    recipient and subject in `received`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int):
        self.refusing = True
        self.received: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", port), SmtpHandler)


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        server: SmtpServer = self.server
        if server.refusing:
            self.reply("421 4.3.2 Service not available, closing transmission channel")
            return
        self.reply("220 drill.example ESMTP")
        recipient = None
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 drill.example")
            elif verb == "MAIL":
                self.reply("250 OK")
            elif verb == "RCPT":
                recipient = command.split(":", 1)[1].strip().strip("<>")
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                subject = ""
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    if data.lower().startswith(b"subject:"):
                        subject = data.decode().split(":", 1)[1].strip()
                with server.lock:
                    server.received.append((recipient, subject))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("250 OK")  # RSET, NOOP


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def clock(monkeypatch):
    """The time the outbox reads (`timezone.now`), moved forward by the test."""
    now = [START]
    monkeypatch.setattr(timezone, "now", lambda: now[0])
    return now


def test_an_hour_of_smtp_failures_then_every_message_is_delivered_once(settings, clock):
    port = free_port()
    settings.NOTIFICATION_SENDERS = {
        "sms": "zrunva.notifications.senders.ConsoleSender",
        "email": "zrunva.notifications.senders.SmtpSender",
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""

    early = [
        queued_message(channel="email", to=f"person{n}@example.ge", subject=f"Decision {n}")
        for n in range(5)
    ]
    server = None
    attempts_seen: dict[int, list[int]] = {m.pk: [] for m in early}
    late = None
    try:
        for minute in range(0, 181):
            clock[0] = START + timedelta(minutes=minute)
            if minute == 20:
                late = queued_message(channel="email", to="late@example.ge", subject="Late")
                attempts_seen[late.pk] = []
            if minute == 30:
                server = SmtpServer(port)  # listening now, but refusing
                threading.Thread(target=server.serve_forever, daemon=True).start()
            if minute == 60:
                server.refusing = False  # the hour is over
            before = dict(Message.objects.values_list("pk", "attempts"))
            services.outbox_send()
            for pk, attempts in Message.objects.values_list("pk", "attempts"):
                if attempts != before[pk]:
                    attempts_seen[pk].append(minute)
            if minute == 59:
                # An hour of failures: nothing sent, nothing given up, each tried as designed.
                assert not Message.objects.exclude(status=MessageStatus.PENDING).exists()
                errors = set(Message.objects.values_list("last_error", flat=True))
                assert any("SMTPConnectError" in e and "421" in e for e in errors), errors
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()

    # The waits are 1, 5, 25 and 125 minutes: the early messages were tried at minutes 0, 1,
    # 6 and 31 (refused: connection refused, then 421), and sent at 156; the late one at 20,
    # 21, 26 and 51, and sent at 176.
    for message in early:
        assert attempts_seen[message.pk] == [0, 1, 6, 31, 156]
    assert attempts_seen[late.pk] == [20, 21, 26, 51, 176]
    messages = Message.objects.order_by("pk")
    assert {m.status for m in messages} == {MessageStatus.SENT}
    assert [m.attempts for m in messages] == [5] * 6
    # Delivered once each: the server received every message exactly once.
    expected = sorted((m.to, m.subject) for m in messages)
    assert sorted(server.received) == expected
    first_error = Message.objects.get(pk=early[0].pk).last_error
    assert first_error  # the last failure is kept for staff to see
    assert services.MAX_ATTEMPTS == 6 and timedelta(minutes=1) == services.BACKOFF
