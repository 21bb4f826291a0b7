import json

import pytest
from django.test import Client

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue
from zrunva.applications.choices import Status as ApplicationStatus
from zrunva.grievances.choices import Channel, Status
from zrunva.grievances.models import Grievance
from zrunva.grievances.tests.factories import grievance, refused_application
from zrunva.notifications.models import Message

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
BODY = {
    "personal_number": "01001012345",
    "first_name": "ნინო",
    "last_name": "ბერიძე",
    "phone": "+995555000111",
    "language": "ka",
    "category": "data_correction",
    "text": "My birth date is wrong in the registry.",
    "municipality": "kutaisi",
}


def _post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json", **EN)


def test_an_office_system_enters_assigns_and_answers_a_grievance(make_user):
    officer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    _, key = api_token_issue(user=officer, name="grievances")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    created = _post(client, "/api/v1/grievances", BODY)
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["status"], data["channel"], data["municipality"]) == ("open", "walk_in", "kutaisi")
    assert [e["kind"] for e in data["events"]] == ["filed"]
    listed = client.get("/api/v1/grievances", **EN).json()
    assert [g["number"] for g in listed["items"]] == [data["number"]]
    url = f"/api/v1/grievances/{data['id']}"
    assigned = _post(client, f"{url}/assign", {"assigned_to": officer.pk})
    assert assigned.status_code == 200 and assigned.json()["status"] == "in_review"
    empty = _post(client, f"{url}/resolve", {"resolution": ""})
    assert empty.status_code == 400
    assert empty.json() == {
        "detail": [{"loc": ["body", "resolution"], "msg": "Write the answer to the complainant."}]
    }
    resolved = _post(client, f"{url}/resolve", {"resolution": "Corrected."})
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_by_id"] == officer.pk
    message = Message.objects.filter(reference=data["number"]).last()
    assert message.language == "ka" and "Corrected." in message.body


def test_the_api_gives_every_bad_field_as_a_json_error(login_as):
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    response = _post(client, "/api/v1/grievances", {"personal_number": "12", "category": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": [
            {"loc": ["body", "personal_number"], "msg": "A personal number has exactly 11 digits."},
            {"loc": ["body", "first_name"], "msg": "Enter the first name."},
            {"loc": ["body", "last_name"], "msg": "Enter the last name."},
            {"loc": ["body", "category"], "msg": "Choose what the grievance is about."},
            {"loc": ["body", "municipality"], "msg": "Choose the municipality."},
            {"loc": ["body", "text"], "msg": "Describe what happened and what you ask for."},
        ]
    }
    unknown = _post(client, "/api/v1/grievances", BODY | {"municipality": "atlantis"})
    assert unknown.json() == {
        "detail": [{"loc": ["body", "municipality"], "msg": "Unknown municipality."}]
    }
    elsewhere = _post(client, "/api/v1/grievances", BODY | {"municipality": "zugdidi"})
    assert elsewhere.status_code == 403
    assert elsewhere.json() == {"detail": "This municipality is outside your area of work."}


def test_the_api_refuses_others_like_the_screens(login_as, make_user):
    filed = grievance()
    url = f"/api/v1/grievances/{filed.pk}"
    analyst = login_as(Role.ANALYST)
    assert analyst.get(url, **EN).status_code == 403
    assert analyst.get("/api/v1/grievances", **EN).status_code == 403
    assert _post(analyst, "/api/v1/grievances", BODY).status_code == 403
    other = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    assert other.get(url, **EN).status_code == 404
    assert other.get("/api/v1/grievances", **EN).json()["items"] == []
    assert _post(other, f"{url}/assign", {"assigned_to": other.user.pk}).status_code == 404
    assert _post(other, f"{url}/resolve", {"resolution": "x"}).status_code == 404
    assert Client().get(url, **EN).status_code == 401
    officer = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    assert officer.get(url, **EN).status_code == 200
    # Not assigned to this officer: not theirs to answer.
    denied = _post(officer, f"{url}/resolve", {"resolution": "x"})
    assert denied.status_code == 403
    filed.refresh_from_db()
    assert filed.status == Status.OPEN


def test_an_appeal_through_the_api_refuses_the_decider(login_as, make_user):
    decider = make_user(Role.SUPERVISOR, office="ssa-kutaisi")
    refused = refused_application(make_user(Role.ADMIN))
    client = login_as(Role.ADMIN)
    body = BODY | {"category": "decision_appeal", "application": refused.number}
    created = _post(client, "/api/v1/grievances", body)
    assert created.status_code == 201, created.content
    refused.refresh_from_db()
    assert refused.status == ApplicationStatus.SUBMITTED
    decider_id = refused.events.get(to_status=ApplicationStatus.REJECTED).actor_id
    response = _post(
        client, f"/api/v1/grievances/{created.json()['id']}/assign", {"assigned_to": decider_id}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {
            "loc": ["body", "assigned_to"],
            "msg": "This officer made the decision the appeal contests; another officer "
            "reviews it.",
        }
    ]
    response = _post(
        client, f"/api/v1/grievances/{created.json()['id']}/assign", {"assigned_to": decider.pk}
    )
    assert response.status_code == 200


def test_a_citizen_files_and_follows_a_grievance_without_signing_in(client):
    created = _post(client, "/api/v1/portal/grievances", BODY)
    assert created.status_code == 201, created.content
    data = created.json()
    filed = Grievance.objects.get(number=data["number"])
    assert (filed.channel, filed.entered_by) == (Channel.API, None)
    assert set(data) == {
        "number",
        "category",
        "status",
        "filed_at",
        "due_date",
        "escalated",
        "application",
        "resolution",
        "resolved_at",
    }
    status = _post(
        client,
        "/api/v1/portal/grievances/status",
        {"number": data["number"], "personal_number": "01001012345"},
    )
    assert status.status_code == 200 and status.json()["status"] == "open"
    generic = {
        "detail": [{"loc": ["body"], "msg": "No grievance has this number and personal number."}]
    }
    for pair in (
        {"number": data["number"], "personal_number": "01001099999"},
        {"number": "GR-00000-00000", "personal_number": "01001012345"},
    ):
        wrong = _post(client, "/api/v1/portal/grievances/status", pair)
        assert (wrong.status_code, wrong.json()) == (400, generic)
    bad = _post(client, "/api/v1/portal/grievances", BODY | {"phone": "", "email": "nino@"})
    assert bad.json() == {
        "detail": [{"loc": ["body", "email"], "msg": "Enter a valid email address."}]
    }
    bad = _post(client, "/api/v1/portal/grievances", BODY | {"phone": "", "category": "x"})
    assert bad.json() == {
        "detail": [
            {
                "loc": ["body", "phone"],
                "msg": "Give a phone number or an e-mail address, or both: the answers go there.",
            },
            {"loc": ["body", "category"], "msg": "Choose what the grievance is about."},
        ]
    }


def test_the_public_api_is_throttled_like_the_portal(settings, client):
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {"grievance_person": (1, 3600)}
    assert _post(client, "/api/v1/portal/grievances", BODY).status_code == 201
    response = _post(client, "/api/v1/portal/grievances", BODY)
    assert response.status_code == 429
    assert response.json() == {"detail": "Too many attempts. Please try again later."}
    assert response["Retry-After"] == "3600"
    assert Grievance.objects.count() == 1
