""" "I lost my number": the page answers the same whether or not an application exists, the
number goes through the outbox only to the contact details stored on each application (never
to anything the requester types), each sending is audited, and requests are throttled."""

import re
from datetime import date

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from zrunva.applications.choices import Channel
from zrunva.applications.services import application_submit
from zrunva.geo.models import Municipality
from zrunva.notifications.models import Message
from zrunva.programmes.models import Programme

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PN, BORN = "01001012345", date(1985, 3, 1)
URL = "/en/portal/status/lost-number/"


def _apply(programme: str, **contact) -> str:
    return application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code=programme),
        municipality=Municipality.objects.get(code="kutaisi"),
        applicant={
            "personal_number": PN,
            "first_name": "ნინო",
            "last_name": "ბერიძე",
            "birth_date": BORN,
            "language": "en",
        }
        | contact,
        consent=True,
    ).number


def _ask(client, personal_number=PN, birth_date="1985-03-01"):
    return client.post(URL, {"personal_number": personal_number, "birth_date": birth_date}, **EN)


def _answer(personal_number: str, address: str) -> tuple:
    client = Client(REMOTE_ADDR=address)
    asked = _ask(client, personal_number)
    page = client.get(asked["Location"], **EN)
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page.content.decode())
    html = re.sub(r'"X-CSRFToken": "[^"]*"', "", html)
    return asked.status_code, asked["Location"], page.status_code, html


def test_the_answer_is_the_same_whether_or_not_an_application_exists():
    _apply("tsa", phone="555 12 34 56")
    found = _answer(PN, "10.4.0.1")
    nothing = _answer("01001099999", "10.4.0.2")
    assert found[:3] == (302, "/en/portal/status/lost-number/sent/", 200)
    assert found == nothing
    assert "If we hold an application for these details, we have sent its number" in found[3]


def test_each_number_goes_only_to_the_contacts_stored_on_its_application():
    mine = _apply("tsa", phone="555 12 34 56", email="nino@example.org")
    # An application someone else made with the same personal number and birth date, with
    # their own phone: it learns only its own number.
    theirs = _apply("state_pension", phone="599 00 00 00")
    Message.objects.all().delete()
    assert _ask(Client()).status_code == 302
    sent = sorted(Message.objects.values_list("reference", "channel", "to"))
    assert sent == sorted(
        [
            (mine, "sms", "+995555123456"),  # stored, and texted, in E.164
            (mine, "email", "nino@example.org"),
            (theirs, "sms", "+995599000000"),
        ]
    )
    for message in Message.objects.all():
        assert message.reference in message.body
        other = theirs if message.reference == mine else mine
        assert other not in message.body
    # A wrong birth date sends nothing, and looks the same.
    Message.objects.all().delete()
    assert _ask(Client(), birth_date="1985-03-02")["Location"] == reverse("portal:lost_number_sent")
    assert not Message.objects.exists()


def test_each_sending_is_audited_on_its_application():
    number = _apply("tsa", phone="555 12 34 56")
    _ask(Client())
    entry = LogEntry.objects.get(object_repr=number, additional_data__purpose="number_resent")
    assert entry.actor is None and entry.action == LogEntry.Action.ACCESS


def test_bad_input_is_refused_on_its_field():
    html = _ask(Client(), personal_number="123", birth_date="2999-01-01").content.decode()
    assert '<a href="#id_personal_number">' in html and "exactly 11 digits" in html
    assert "The birth date cannot be in the future." in html
    assert not Message.objects.exists()


def test_requests_are_throttled_per_personal_number_and_per_address(settings):
    _apply("tsa", phone="555 12 34 56")
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {"apply_person": (2, 3600)}
    for personal_number in (PN, "01001099999"):  # known or not, held alike
        codes = [_ask(Client(REMOTE_ADDR=f"10.5.0.{i}"), personal_number) for i in range(3)]
        assert [c.status_code for c in codes] == [302, 302, 429]
        assert "Retry-After" in codes[-1]
    # Two messages sent (one a request), none for the throttled third.
    assert Message.objects.filter(body__contains="asked for on the portal").count() == 2
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {"status_address": (1, 3600)}
    client = Client(REMOTE_ADDR="10.6.0.1")
    assert _ask(client, "01001011111").status_code == 302
    assert _ask(client, "01001022222").status_code == 429


def test_the_status_page_links_to_it(client):
    assert URL in client.get("/en/portal/status/").content.decode()
    assert client.get(f"{URL}sent/").url == URL
