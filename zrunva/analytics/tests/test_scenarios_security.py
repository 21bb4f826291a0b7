"""What a simulation shows those who may not see health data or small cells: programmes whose
rules read health data are not theirs to change, nor are their households listed; small
programmes and bands suppressed with their secondary cells; a deleted household and scenarios
that do not share a baseline refused with a message."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.analytics import scenarios
from zrunva.analytics.tests.factories_simulation import scenario, simulated, three_households
from zrunva.assessment.models import Assessment
from zrunva.programmes.models import Programme
from zrunva.programmes.tests.factories import ON

pytestmark = pytest.mark.django_db

HEALTH = "This programme's rules read health data"
API = "/api/v1/analytics/scenarios"


@pytest.fixture
def analyst(make_user):
    return make_user(Role.ANALYST)


@pytest.fixture
def disability():
    return Programme.objects.get(code="disability_package")


@pytest.fixture
def child_benefit():
    return Programme.objects.get(code="child_benefit")


def test_an_analyst_may_not_change_a_programme_reading_health(
    client, analyst, make_user, disability
):
    created = scenario(analyst)
    with pytest.raises(ValidationError) as error:
        scenarios.scenario_change_set(
            actor=analyst,
            scenario=created,
            programme=disability,
            parameters={"disability_package_severe": "481"},
        )
    assert error.value.message_dict["parameters.disability_package_severe"][0].startswith(HEALTH)
    # The form: the error on the parameter's field.
    client.force_login(analyst)
    response = client.post(
        reverse("analytics:scenario_detail", args=[created.pk]),
        {"programme": disability.pk, "param_disability_package_severe": "481"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["param_disability_package_severe"][0].startswith(HEALTH)
    # The API: named by its place in the body.
    response = client.post(
        API,
        {
            "name": "Severe 481",
            "on": ON.isoformat(),
            "changes": [
                {
                    "programme": "disability_package",
                    "parameters": {"disability_package_severe": 481},
                }
            ],
        },
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    [detail] = response.json()["detail"]
    assert detail["loc"] == ["body", "changes", "0", "parameters", "disability_package_severe"]
    assert detail["msg"].startswith(HEALTH)
    assert created.changes.count() == 0
    # An administrator, who sees health data, may.
    admin = make_user(Role.ADMIN)
    own = scenario(admin, changes=[(disability, {"disability_package_severe": "481"})])
    assert own.changes.get().parameters == {"disability_package_severe": "481"}


def test_households_are_not_listed_when_a_health_programme_changes(
    client, analyst, make_user, disability, child_benefit
):
    a, _b, _c = three_households()
    admin = make_user(Role.ADMIN)
    shared = scenario(
        admin, changes=[(disability, {"disability_package_severe": "481"})], shared=True
    )
    run = simulated(admin, shared)
    client.force_login(analyst)
    response = client.get(reverse("analytics:run_detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["extremes"] is None
    assert "are not listed for you" in response.content.decode()
    client.force_login(admin)
    response = client.get(reverse("analytics:run_detail", args=[run.pk]))
    assert response.context["extremes"] == {"losers": [], "gainers": []}
    # A change of a programme that reads no health data: listed, the difference only.
    run = simulated(
        analyst,
        scenario(analyst, changes=[(child_benefit, {"child_benefit_max_score": "20000"})]),
    )
    client.force_login(analyst)
    response = client.get(reverse("analytics:run_detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["extremes"]["losers"] == [
        {
            "household_id": a.pk,
            "region_id": a.municipality.region_id,
            "size": 3,
            "difference": -200_00,
        }
    ]
    assert "Only the difference is shown" in response.content.decode()
    # The programmes and bands of three households are all under ten: suppressed.
    assert all(p["suppressed"] for p in response.context["programmes"])
    assert all(b["suppressed"] for b in response.context["bands"])


def test_small_programmes_and_bands_are_suppressed_with_their_secondary_cells(analyst, make_user):
    def bands(*counts):
        keys = ("gain_over_50", "gain_up_to_50", "no_change", "loss")
        return {k: {"households": n, "people": 2 * n} for k, n in zip(keys, counts, strict=True)}

    def programme(pk, before, after):
        return {
            "id": pk,
            "code": f"p{pk}",
            "changed": before != after,
            "baseline": {"recipients": before, "cost_month": f"{before * 10}.00"},
            "scenario": {"recipients": after, "cost_month": f"{after * 10}.00"},
        }

    summary = {
        "national": {"households": 100, "scenario_bands": bands(60, 3, 25, 12)},
        "programmes": [programme(1, 100, 100), programme(2, 4, 6), programme(3, 50, 50)],
        "regions": [
            {"region_id": 1, "households": 60, "scenario_bands": bands(30, 2, 20, 8)},
            {"region_id": 2, "households": 40, "scenario_bands": bands(30, 1, 5, 4)},
        ],
    }
    seen = scenarios.visible_summary(actor=analyst, summary=summary)
    hidden = {k for k, v in seen["national"]["scenario_bands"].items() if v.get("suppressed")}
    # 3 is under ten; 12, the smallest left, would give it away against the 100.
    assert hidden == {"gain_up_to_50", "loss"}
    # Programme 2 (4 beneficiaries) and, against the total cost, the smaller of the others.
    assert [bool(p.get("suppressed")) for p in seen["programmes"]] == [False, True, True]
    assert seen["programmes"][2] == {"id": 3, "code": "p3", "changed": False, "suppressed": True}
    # Each region's bands: no change 5 in region 2, so 20 in region 1 against the country's 25.
    for region in seen["regions"]:
        shown = {k for k, v in region["scenario_bands"].items() if not v.get("suppressed")}
        assert shown == {"gain_over_50"}
    # Staff who see small cells get it all.
    assert scenarios.visible_summary(actor=make_user(Role.ADMIN), summary=summary) == summary


def test_a_household_deleted_since_the_simulation_is_a_message(client, analyst, child_benefit):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses to delete a household (registry's trigger)")
    _a, _b, c = three_households()
    run = simulated(analyst, scenario(analyst))
    number = c.pk
    Assessment.objects.filter(household=c).delete()
    c.memberships.all().delete()
    c.delete()
    client.force_login(analyst)
    response = client.get(
        reverse("analytics:run_household", args=[run.pk, number]),
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("analytics:run_detail", args=[run.pk])
    assert f"Household #{number} is no longer in the registry" in response.content.decode()


def test_scenarios_with_different_baselines_are_not_compared(client, analyst, child_benefit):
    three_households()
    change = [(child_benefit, {"child_benefit_amount": "250"})]
    default = simulated(analyst, scenario(analyst, name="Default line", changes=change))
    fixed = simulated(
        analyst,
        scenario(analyst, name="Fixed line", changes=change, poverty_line=Decimal("100")),
    )
    later = simulated(
        analyst, scenario(analyst, name="Later", changes=change, on=ON + timedelta(days=1))
    )
    client.force_login(analyst)
    response = client.get(
        reverse("analytics:scenario_compare"),
        {"scenario": [default.scenario_id, fixed.scenario_id]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.context["table"] == []
    [message] = response.context["form"].errors["scenario"]
    assert message.startswith("These scenarios have different poverty lines")
    response = client.get(
        f"{API}/compare",
        {"scenario": [default.scenario_id, later.scenario_id]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["msg"].startswith("These scenarios are on different dates")
