from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from zrunva.notifications import services
from zrunva.notifications.models import Message, MessageStatus
from zrunva.notifications.tests.factories import queued_message

pytestmark = pytest.mark.django_db

SENT: list = []


class RecordingSender:
    def send(self, message):
        SENT.append((message.channel, message.to, message.body))


class BrokenSender:
    def send(self, message):
        raise ConnectionError("gateway down")


@pytest.fixture(autouse=True)
def senders(settings):
    SENT.clear()
    settings.NOTIFICATION_SENDERS = {
        "sms": f"{__name__}.RecordingSender",
        "email": "zrunva.notifications.senders.SmtpSender",
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


def test_messages_wait_in_the_outbox_until_the_worker_sends_them():
    message = queued_message()
    queued_message(channel="email", to="nino@example.ge", subject="Application", body="Registered")
    assert SENT == [] and message.status == MessageStatus.PENDING
    assert services.outbox_send() == {"sent": 2, "retry": 0, "failed": 0}
    assert SENT == [("sms", "+995555000111", "hello")]
    assert [m.subject for m in mail.outbox] == ["Application"]
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert services.outbox_send() == {"sent": 0, "retry": 0, "failed": 0}


def test_a_failing_sender_loses_nothing_and_is_retried_later(senders):
    senders.NOTIFICATION_SENDERS = {"sms": f"{__name__}.BrokenSender", "email": ""}
    message = queued_message()
    assert services.outbox_send() == {"sent": 0, "retry": 1, "failed": 0}
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)
    assert message.last_error == "ConnectionError: gateway down"
    assert message.next_attempt_at > timezone.now()
    # Not due yet: nothing is tried; once due, it is tried again, waiting longer each time.
    assert services.outbox_send() == {"sent": 0, "retry": 0, "failed": 0}
    waits = []
    for _ in range(services.MAX_ATTEMPTS - 1):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        before = timezone.now()
        services.outbox_send()
        message.refresh_from_db()
        waits.append(message.next_attempt_at - before)
    assert message.status == MessageStatus.FAILED and message.attempts == services.MAX_ATTEMPTS
    assert waits[0] > timedelta(minutes=4) and waits[1] > timedelta(minutes=24)
    # The gateway is back: a failed message stays failed for staff, a new one goes.
    senders.NOTIFICATION_SENDERS = {"sms": f"{__name__}.RecordingSender", "email": ""}
    queued_message(body="again")
    services.outbox_send()
    assert SENT == [("sms", "+995555000111", "again")]


def test_the_worker_is_woken_when_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queued_message()
    assert Message.objects.get().status == MessageStatus.SENT


def test_applicants_are_told_of_each_step_in_their_language(make_user):
    from zrunva.accounts.choices import Role
    from zrunva.applications.choices import Status
    from zrunva.applications.services import application_transition
    from zrunva.applications.tests.factories import submit
    from zrunva.registry.tests import factories

    application = submit(language="en", email="nino@example.ge")
    application_transition(
        actor=make_user(Role.SSA_OFFICER),
        application=application,
        to=Status.REGISTERED,
        household=factories.household("kutaisi"),
    )
    bodies = list(Message.objects.filter(channel="sms").values_list("body", flat=True))
    assert bodies == [
        f"Your application {application.number} for Targeted social assistance "
        "(subsistence allowance) is now: Submitted.",
        f"Your application {application.number} for Targeted social assistance "
        "(subsistence allowance) is now: Registered.",
    ]
    assert Message.objects.filter(channel="email", to="nino@example.ge").count() == 2
    georgian = submit(programme="child_benefit")
    body = Message.objects.filter(reference=georgian.number).get().body
    assert georgian.number in body and "ბავშვის შემწეობა" in body


def test_the_task_comes_back_when_a_retry_is_due(senders, django_capture_on_commit_callbacks):
    senders.NOTIFICATION_SENDERS = {"sms": f"{__name__}.BrokenSender", "email": ""}
    with django_capture_on_commit_callbacks(execute=True):
        queued_message()  # the immediate backend of the tests runs it at once and cannot defer
    message = Message.objects.get()
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)


def test_administrators_see_failed_messages_and_send_them_again(login_as):
    from django.urls import reverse

    from zrunva.accounts.choices import Role

    failed = services.message_queue(channel="sms", to="+995555000111", body="x", language="ka")
    Message.objects.filter(pk=failed.pk).update(
        status=MessageStatus.FAILED, attempts=6, last_error="GatewayError: 503"
    )
    sent = services.message_queue(channel="email", to="sent@example.org", body="y", language="en")
    Message.objects.filter(pk=sent.pk).update(status=MessageStatus.SENT)
    admin = login_as(Role.ADMIN)
    html = admin.get(reverse("notifications:outbox")).content.decode()
    assert "+995555000111" in html and "GatewayError: 503" in html
    assert "sent@example.org" not in html  # failed ones by default
    assert (
        "sent@example.org"
        in admin.get(reverse("notifications:outbox"), {"status": ""}).content.decode()
    )
    for role in (Role.SSA_OFFICER, Role.ANALYST, Role.MUNICIPAL_OFFICER):
        client = login_as(
            role, **({"municipality": "kutaisi"} if role == Role.MUNICIPAL_OFFICER else {})
        )
        assert client.get(reverse("notifications:outbox")).status_code == 403
        assert client.post(reverse("notifications:retry", args=[failed.pk])).status_code == 403
    admin.post(reverse("notifications:retry", args=[failed.pk]))
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (MessageStatus.PENDING, 0)
    response = admin.post(reverse("notifications:retry", args=[sent.pk]), follow=True)
    assert "Only a failed message is sent again." in response.content.decode()
