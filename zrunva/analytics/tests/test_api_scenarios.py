"""The scenarios API: the screens' permissions, field errors, and results."""

import pytest

from zrunva.accounts.choices import Role
from zrunva.analytics.models import SimulationRun
from zrunva.analytics.scenarios import simulation_execute
from zrunva.analytics.tests.factories_simulation import three_households
from zrunva.programmes.tests.factories import ON

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/scenarios"


def body(**extra):
    return {
        "name": "Child benefit up",
        "on": ON.isoformat(),
        "changes": [{"programme": "child_benefit", "parameters": {"child_benefit_amount": "250"}}],
        **extra,
    }


@pytest.mark.parametrize(
    ("role", "municipality", "status"),
    [
        (Role.ANALYST, None, 200),
        (Role.ADMIN, None, 200),
        (Role.SSA_OFFICER, None, 403),
        (Role.MUNICIPAL_OFFICER, "kutaisi", 403),
    ],
)
def test_the_screens_permissions(client, make_user, role, municipality, status):
    client.force_login(make_user(role, municipality=municipality))
    assert client.get(URL).status_code == status


def test_anonymous_is_refused(client):
    assert client.get(URL).status_code == 401


def test_field_errors(client, make_user):
    client.force_login(make_user(Role.ANALYST))
    bad = body(
        changes=[
            {"programme": "child_benefit", "parameters": {"child_benefit_amount": -5}},
        ]
    )
    response = client.post(URL, bad, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {
            "loc": ["body", "changes", "0", "parameters", "child_benefit_amount"],
            "msg": "An amount cannot be negative.",
        }
    ]
    bad = body(changes=[{"programme": "tsa", "criteria": "household.rating_score <"}])
    response = client.post(URL, bad, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["detail"] == [
        {
            "loc": ["body", "changes", "0", "criteria"],
            "msg": "The expression ends too early at column 25",
        }
    ]
    response = client.post(URL, body(on="2026-02-30"), content_type="application/json")
    assert response.status_code == 422


def test_create_simulate_read_and_compare(client, make_user):
    three_households()
    analyst = make_user(Role.ANALYST)
    client.force_login(analyst)
    created = client.post(URL, body(), content_type="application/json")
    assert created.status_code == 201
    scenario = created.json()
    assert scenario["changes"] == [
        {
            "programme": "child_benefit",
            "parameters": {"child_benefit_amount": "250"},
            "criteria": "",
            "formula": "",
        }
    ]
    started = client.post(f"{URL}/{scenario['id']}/simulations")
    assert started.status_code == 202 and started.json()["status"] == "queued"
    simulation_execute(run=SimulationRun.objects.get(pk=started.json()["id"]))
    done = client.get(f"/api/v1/analytics/simulations/{started.json()['id']}").json()
    national = done["results"]["national"]
    assert national["scenario"]["cost_month"] == "925.00"
    assert all(region["suppressed"] for region in done["results"]["regions"])
    compared = client.get(f"{URL}/compare", {"scenario": [scenario["id"]]}).json()
    assert compared["baseline"]["baseline"]["cost_month"] == "875.00"
    assert compared["scenarios"][0]["national"]["scenario"]["cost_month"] == "925.00"
    # Another analyst does not see a scenario not shared.
    client.force_login(make_user(Role.ANALYST))
    assert client.get(f"{URL}/{scenario['id']}").status_code == 404
    assert client.get(URL).json() == []
