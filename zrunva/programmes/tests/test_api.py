import json

import pytest
from django.test import Client
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue
from zrunva.assessment.tests.factories import assess
from zrunva.programmes.models import Run
from zrunva.programmes.tests.factories import years_ago
from zrunva.registry.models import Household
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    household = factories.household("kutaisi", head={"birth_date": years_ago(40)})
    factories.member(household, birth_date=years_ago(5))
    assess(household, 63000)
    return household


EN = {"HTTP_ACCEPT_LANGUAGE": "en"}  # the API answers in the language asked for


def _post(client, path, body):
    return client.post(path, json.dumps(body, default=str), content_type="application/json", **EN)


def test_a_stored_household_is_explained(login_as, family):
    client = login_as(Role.SSA_OFFICER)
    response = client.get(f"/api/v1/households/{family.pk}/eligibility")
    assert response.status_code == 200
    results = {(r["programme"], r["person_id"]): r for r in response.json()}
    tsa = results[("tsa", None)]
    assert (tsa["status"], tsa["reason"], tsa["amount"]) == ("eligible", "criteria_met", "60.00")
    assert tsa["criteria"]["text"] == "household.rating_score <= param.tsa_band_4_max_score"
    assert tsa["criteria"]["value"] is True
    assert {p["code"] for p in tsa["parameters"]} >= {"tsa_band_4_max_score", "tsa_band_4_amount"}
    assert all(p["illustrative"] for p in tsa["parameters"])


def test_a_refusal_names_the_nearest_change(login_as):
    household = factories.household("kutaisi", head={"birth_date": years_ago(30)})
    assess(household, 70000)
    client = login_as(Role.SSA_OFFICER)
    results = client.get(f"/api/v1/households/{household.pk}/eligibility").json()
    tsa = next(r for r in results if r["programme"] == "tsa")
    assert tsa["nearest_changes"] == [
        {"attribute": "household.rating_score", "current": 70000.0, "needed": 65000.0}
    ]


def test_data_is_explained_and_nothing_is_saved(make_user):
    _, key = api_token_issue(user=make_user(Role.ANALYST), name="simulation")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    before = Household.objects.count()
    body = {
        "municipality": "kutaisi",
        "rating_score": 20000,
        "members": [{"birth_date": "1950-01-01", "sex": "F", "is_idp": False, "income": 0}],
    }
    response = _post(client, "/api/v1/eligibility/explain", body)
    assert response.status_code == 200, response.content
    results = {r["programme"]: r for r in response.json()}
    assert results["tsa"]["amount"] == "60.00"  # money is a decimal string
    # The pension's formula reads the highland status, which was not given.
    pension = results["state_pension"]
    assert (pension["status"], pension["missing"]) == ("needs_data", ["household.is_highland"])
    assert pension["member"] == 0
    body["is_highland"] = False
    results = {r["programme"]: r for r in _post(client, "/api/v1/eligibility/explain", body).json()}
    assert results["state_pension"]["amount"] == "495.00"
    assert Household.objects.count() == before


def test_bad_data_gets_field_errors(login_as):
    client = login_as(Role.SSA_OFFICER)
    response = _post(
        client,
        "/api/v1/eligibility/explain",
        {"municipality": "atlantis", "members": [{"birth_date": "1990-01-01"}]},
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": [{"loc": ["body", "municipality"], "msg": "Unknown municipality code."}]
    }
    response = _post(client, "/api/v1/eligibility/explain", {"members": [{"sex": "F"}]})
    assert response.status_code == 422


def test_the_api_refuses_what_the_screens_refuse(login_as, family):
    assert (
        login_as(Role.CITIZEN).get(f"/api/v1/households/{family.pk}/eligibility").status_code == 403
    )
    mun = login_as(Role.MUNICIPAL_OFFICER, municipality="tbilisi")
    assert mun.get(f"/api/v1/households/{family.pk}/eligibility").status_code == 404
    response = _post(mun, "/api/v1/eligibility/runs", {"on": timezone.localdate()})
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only national staff run the whole country; choose a municipality."
    }
    assert (
        _post(
            login_as(Role.SOCIAL_WORKER), "/api/v1/eligibility/runs", {"on": "2026-01-01"}
        ).status_code
        == 403
    )


def test_a_run_is_started_followed_and_its_changes_listed(
    login_as, family, django_capture_on_commit_callbacks
):
    client = login_as(Role.SSA_OFFICER)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            client,
            "/api/v1/eligibility/runs",
            {"on": timezone.localdate(), "municipality": "kutaisi"},
        )
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    run = client.get(f"/api/v1/eligibility/runs/{run_id}").json()
    assert (run["status"], run["municipality"], run["summary"]["gained"]) == ("done", "kutaisi", 2)
    changes = client.get(f"/api/v1/eligibility/runs/{run_id}/changes", {"kind": "gained"}).json()
    assert {(c["programme"], c["new_amount"]) for c in changes} == {
        ("tsa", "60.00"),
        ("child_benefit", "200.00"),
    }
    bad = client.get(f"/api/v1/eligibility/runs/{run_id}/changes", {"kind": "maybe"})
    assert bad.status_code == 422  # the kinds are an enum in the document
    assert Run.objects.count() == 1
