"""Issue 9, finding 1: what anyone can learn by applying with a personal number. The answer
to a submission, the status page and API, and the messages sent to the contact details given
must be the same whether the registry holds nothing for the person, an enrolment in the
disability package (which would reveal a disability) or an open application."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Status
from zrunva.applications.models import Application
from zrunva.geo.models import Municipality
from zrunva.notifications.models import Message
from zrunva.portal.tests.factories import registry_holds
from zrunva.programmes.models import Programme

pytestmark = pytest.mark.django_db
API = "/api/v1/portal/applications"
FRESH, ENROLLED, OPEN = "01001070001", "01001070002", "01001070003"
FRESH_TOO = "01001070004"  # the form's fresh number: FRESH has applied through the API
SUBMITTER = {"first_name": "ნინო", "last_name": "ბერიძე", "birth_date": "1985-03-01"}


def _messages(number: str) -> list[tuple]:
    return sorted(
        (m.channel, m.to, m.language, m.subject.replace(number, "N"), m.body.replace(number, "N"))
        for m in Message.objects.filter(reference=number)
    )


def _api_answers(personal_number: str, address: str) -> dict:
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    body = {
        "programme": "disability_package",
        "municipality": "kutaisi",
        "applicant": SUBMITTER | {"personal_number": personal_number, "phone": "555 99 88 77"},
        "consent": True,
    }
    submitted = client.post(API, json.dumps(body), content_type="application/json")
    number = submitted.json().get("number", "")
    lookup = {"number": number, "personal_number": personal_number}
    status = client.post(f"{API}/status", json.dumps(lookup), content_type="application/json")
    status_data = json.loads(status.content.decode().replace(number, "N"))
    for step in status_data.get("steps", []):
        step.pop("at")
    submitted_data = json.loads(submitted.content.decode().replace(number, "N"))
    return {
        "submitted": (submitted.status_code, submitted_data),
        "status": (status.status_code, status_data),
        "messages": _messages(number),
    }


def _page(response, number: str) -> str:
    html = response.content.decode().replace(number, "N")
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", html)


def _form_answers(personal_number: str, address: str) -> dict:
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    data = {
        "submission_key": f"1b4e28ba-2fa1-11d2-883f-{personal_number[-12:].zfill(12)}",
        "programme": Programme.objects.get(code="disability_package").pk,
        "municipality": Municipality.objects.get(code="kutaisi").pk,
        "personal_number": personal_number,
        "phone": "555 11 22 33",
        "email": "",
        "language": "en",
        "consent": "on",
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
    } | SUBMITTER
    response = client.post(reverse("portal:apply"), data)
    confirmation = client.get(reverse("portal:submitted"))
    number = confirmation.context["number"] if confirmation.status_code == 200 else ""
    checked = client.post(
        reverse("portal:status"), {"number": number, "personal_number": personal_number}
    )
    page = client.get(reverse("portal:application"))
    return {
        "apply": (response.status_code, response.get("Location")),
        "confirmation": (confirmation.status_code, _page(confirmation, number)),
        "status": (checked.status_code, checked.get("Location")),
        "page": (page.status_code, _page(page, number)),
        "messages": _messages(number),
    }


def test_the_portal_answers_the_same_whatever_theregistry_holds(enrolled=ENROLLED, applying=OPEN):
    enrolled = registry_holds(enrolled=ENROLLED, applying=OPEN)
    fresh, on_rolls, open_ = (
        _api_answers(FRESH, "10.1.0.1"),
        _api_answers(ENROLLED, "10.1.0.2"),
        _api_answers(OPEN, "10.1.0.3"),
    )
    assert fresh["submitted"][0] == 201 and fresh["status"][0] == 200
    assert fresh["status"][1]["status"] == "submitted" and fresh["messages"]
    assert fresh == on_rolls == open_
    forms = [
        _form_answers(FRESH_TOO, "10.2.0.1"),
        _form_answers(ENROLLED, "10.2.0.2"),
        _form_answers(OPEN, "10.2.0.3"),
    ]
    assert forms[0]["apply"] == (302, reverse("portal:submitted"))
    assert forms[0]["page"][0] == 200 and forms[0]["messages"]
    assert forms[0] == forms[1] == forms[2]
    # Stored all the same, and flagged for the back office only.
    flagged = Application.objects.filter(personal_number=ENROLLED, duplicate_of=enrolled)
    assert flagged.count() == 2
    assert Application.objects.filter(personal_number=OPEN, duplicate_of__isnull=False).count() == 2
    assert not Application.objects.filter(
        personal_number__in=[FRESH, FRESH_TOO], duplicate_of__isnull=False
    )


def test_an_officer_sees_the_flag_and_closes_a_duplicate_telling_the_real_person(login_as):
    enrolled = registry_holds(enrolled=ENROLLED, applying=OPEN)
    client = Client(REMOTE_ADDR="10.3.0.1", HTTP_ACCEPT_LANGUAGE="en")
    body = {
        "programme": "disability_package",
        "municipality": "kutaisi",
        "applicant": SUBMITTER | {"personal_number": ENROLLED, "phone": "555 99 88 77"},
        "consent": True,
    }
    number = client.post(API, json.dumps(body), content_type="application/json").json()["number"]
    flagged = Application.objects.get(number=number)
    officer = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    queue = officer.get(reverse("applications:queue"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Possible duplicate" in queue.content.decode()
    only = officer.get(reverse("applications:queue"), {"duplicates": "on"})
    assert list(only.context["page"].items) == [flagged]
    page = officer.get(reverse("applications:detail", args=[flagged.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "Possible duplicate" in html and enrolled.number in html
    assert Status.DUPLICATE in page.context["form"].fields["to"].choices[-1]
    # An officer of another area sees no flag at all: it would tell them what the registry
    # holds about the person outside their area (test_duplicate_scope.py).
    elsewhere = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    zugdidi = Municipality.objects.get(code="zugdidi")
    other = Application.objects.create(
        **{
            f.attname: getattr(flagged, f.attname)
            for f in Application._meta.concrete_fields
            if f.attname not in ("id", "number", "submission_key", "municipality_id")
        }
        | {"number": "ZR-BBBBB-00002", "municipality_id": zugdidi.pk}
    )
    html = elsewhere.get(
        reverse("applications:detail", args=[other.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Possible duplicate" not in html and enrolled.number not in html
    # Closing it tells the person at the enrolled application's phone, not the submitter's.
    Message.objects.all().delete()
    moved = officer.post(
        reverse("applications:move", args=[flagged.pk]),
        {"to": Status.DUPLICATE, "note": "Same person, already enrolled"},
    )
    assert moved.status_code == 302
    flagged.refresh_from_db()
    assert flagged.status == Status.DUPLICATE and flagged.due_date is None
    sent = list(Message.objects.values_list("to", "reference"))
    assert sent == [("+995 555 00 00 01", number)]
    # Only a flagged application can be closed as a duplicate.
    fresh = Application.objects.create(
        **{
            f.attname: getattr(flagged, f.attname)
            for f in Application._meta.concrete_fields
            if f.attname not in ("id", "number", "submission_key", "duplicate_of_id", "status")
        }
        | {"number": "ZR-CCCCC-00003", "personal_number": FRESH}
    )
    refused = officer.post(reverse("applications:move", args=[fresh.pk]), {"to": "duplicate"})
    assert refused.status_code == 200
    fresh.refresh_from_db()
    assert fresh.status == Status.SUBMITTED
    # The submitter's status answer says it is closed by the office, not why: "duplicate" would
    # tell them the registry held something for that personal number.
    lookup = {"number": number, "personal_number": ENROLLED}
    answer = client.post(f"{API}/status", json.dumps(lookup), content_type="application/json")
    data = answer.json()
    assert data["status"] == "closed" and [s["status"] for s in data["steps"]] == [
        "submitted",
        "closed",
    ]
    assert "duplicate" not in answer.content.decode() and enrolled.number not in str(data)
    client.post(reverse("portal:status"), lookup)
    page = client.get(reverse("portal:application")).content.decode()
    assert "Closed by the office" in page and "duplicate" not in page.lower()
