import json

import pytest
from django.test import Client

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue
from zrunva.applications.models import Application
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
BODY = {
    "programme": "state_pension",
    "municipality": "kutaisi",
    "applicant": {
        "personal_number": "01001012345",
        "first_name": "ნინო",
        "last_name": "ბერიძე",
        "birth_date": "1960-03-01",
        "phone": "+995555000111",
    },
    "consent": True,
}


def _post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json", **EN)


def test_an_office_system_enters_and_moves_an_application(make_user):
    officer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    _, key = api_token_issue(user=officer, name="intake")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    created = _post(client, "/api/v1/applications", BODY)
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["status"], data["channel"], data["programme"]) == (
        "submitted",
        "walk_in",
        "state_pension",
    )
    household = factories.household("kutaisi")
    moved = _post(
        client,
        f"/api/v1/applications/{data['id']}/steps",
        {"to": "registered", "household_id": household.pk},
    )
    assert moved.status_code == 200, moved.content
    assert [e["to_status"] for e in moved.json()["events"]] == ["submitted", "registered"]
    wrong = _post(client, f"/api/v1/applications/{data['id']}/steps", {"to": "assessed"})
    assert wrong.status_code == 400
    assert wrong.json()["detail"][0]["msg"] == (
        "An application that is Registered cannot become Assessed."
    )


def test_the_api_refuses_bad_input_and_others_like_the_screens(login_as, make_user):
    client = login_as(Role.SSA_OFFICER)
    duplicate = _post(client, "/api/v1/applications", BODY)
    assert duplicate.status_code == 201
    again = _post(client, "/api/v1/applications", BODY)
    # Stored and flagged for the back office, never refused: the answer says nothing of what
    # the registry holds (issue 9).
    assert again.status_code == 201
    assert again.json()["duplicate_of_id"] == duplicate.json()["id"]
    assert duplicate.json()["duplicate_of_id"] is None
    unknown = _post(client, "/api/v1/applications", BODY | {"programme": "nothing"})
    assert unknown.json()["detail"][0]["loc"] == ["body", "programme"]
    malformed = _post(
        client, "/api/v1/applications", BODY | {"applicant": {"personal_number": "1"}}
    )
    assert malformed.status_code == 422
    application = Application.objects.get(duplicate_of=None)
    assert login_as(Role.ANALYST).get(f"/api/v1/applications/{application.pk}").status_code == 403
    other = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    assert other.get(f"/api/v1/applications/{application.pk}").status_code == 404
    assert Application.objects.count() == 2
