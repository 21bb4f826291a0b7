"""The per-person limit on public forms (applications and grievances) must not let a stranger
who knows someone's personal number use up that person's own attempts for the day: the status
check's lesson (issue 9, finding 14) applied to its siblings. The limit counts the personal
number together with the contact details given."""

import json

import pytest
from django.test import Client

from zrunva.applications.models import Application
from zrunva.core.throttle import person_key
from zrunva.grievances.models import Grievance

pytestmark = pytest.mark.django_db
PERSON = "01001077777"
APPLICANT = {
    "personal_number": PERSON,
    "first_name": "ნინო",
    "last_name": "ბერიძე",
    "birth_date": "1985-03-01",
}
GRIEVANCE = {
    "personal_number": PERSON,
    "first_name": "ნინო",
    "last_name": "ბერიძე",
    "language": "ka",
    "category": "data_correction",
    "text": "My birth date is wrong in the registry.",
    "municipality": "kutaisi",
}


@pytest.fixture
def limits(settings):
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {
        "apply_address": (1000, 3600),
        "apply_person": (2, 3600),
        "grievance_address": (1000, 3600),
        "grievance_person": (2, 3600),
    }


def _apply(client, phone: str):
    body = {
        "programme": "tsa",
        "municipality": "kutaisi",
        "applicant": APPLICANT | {"phone": phone},
        "consent": True,
    }
    return client.post(
        "/api/v1/portal/applications", json.dumps(body), content_type="application/json"
    )


def _complain(client, phone: str):
    return client.post(
        "/api/v1/portal/grievances",
        json.dumps(GRIEVANCE | {"phone": phone}),
        content_type="application/json",
    )


def test_a_stranger_cannot_use_up_a_persons_applications(limits):
    stranger = Client(REMOTE_ADDR="10.9.0.1")
    answers = [_apply(stranger, "+995 555 00 11 22").status_code for _ in range(3)]
    assert answers == [201, 201, 429]
    # The person, with their own phone, is not held by the stranger's attempts...
    person = Client(REMOTE_ADDR="10.9.0.2")
    assert _apply(person, "555 33 44 55").status_code == 201
    # ...and is held by their own: the same phone however it is written.
    assert _apply(person, "+995-555-334-455").status_code == 201
    assert _apply(person, "555334455").status_code == 429
    assert Application.objects.filter(personal_number=PERSON).count() == 4


def test_a_stranger_cannot_use_up_a_persons_grievances(limits):
    stranger = Client(REMOTE_ADDR="10.9.1.1")
    answers = [_complain(stranger, "+995555001122").status_code for _ in range(3)]
    assert answers == [201, 201, 429]
    person = Client(REMOTE_ADDR="10.9.1.2")
    assert _complain(person, "+995555334455").status_code == 201
    assert Grievance.objects.filter(personal_number=PERSON).count() == 3


def test_the_key_is_the_personal_number_with_the_contact_details():
    assert person_key("") == ""
    assert person_key(" 01001077777 ", "+995 555 33-44-55", " Nino@Example.GE ") == (
        person_key("01001077777", "555334455", "nino@example.ge")
    )
    assert person_key("01001077777", "555334455") != person_key("01001077777", "555334466")


def test_the_page_and_the_api_share_one_budget(limits):
    """`throttle_address` and `throttle_person` on the page, `throttle_submission` in the API:
    a grievance filed on the page counts against the API's limit for the same person."""
    from django.urls import reverse

    from zrunva.geo.models import Municipality

    client = Client(REMOTE_ADDR="10.9.2.1")
    kutaisi = Municipality.objects.get(code="kutaisi")
    page = client.post(
        reverse("portal_grievances:file"),
        GRIEVANCE | {"phone": "555 12 34 56", "municipality": kutaisi.pk},
    )
    assert page.status_code == 302
    assert _complain(client, "555 12 34 56").status_code == 201
    assert _complain(client, "555 12 34 56").status_code == 429
    refused = client.post(
        reverse("portal_grievances:file"),
        GRIEVANCE | {"phone": "555 12 34 56", "municipality": kutaisi.pk},
    )
    assert refused.status_code == 429 and refused["Retry-After"]
    assert Grievance.objects.filter(personal_number=PERSON).count() == 2
