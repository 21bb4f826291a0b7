"""The eligibility API's inputs (issue 9, findings 9, 10 and 17): every number bounded, an empty
household refused on its field, and programmes not in force on the date said so."""

import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from zrunva.accounts.choices import Role
from zrunva.assessment.tests.factories import assess
from zrunva.programmes.tests.factories import years_ago
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

EXPLAIN = "/api/v1/eligibility/explain"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MEMBER = {"birth_date": "1980-01-01", "sex": "F"}


def strict_json(content: bytes):
    """JSON as the standard has it: Python's parser lets Infinity and NaN through."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(content, parse_constant=refuse)


def post(client, text: str):
    return client.post(EXPLAIN, text, content_type="application/json", **EN)


@pytest.fixture
def client(login_as):
    return login_as(Role.ANALYST)


@pytest.mark.parametrize(
    ("field", "raw"),
    [
        ("cars", str(2**63)),
        ("cattle", str(2**63)),
        ("cars", "101"),  # the registry's own bound
        ("cattle", "-1"),
        ("rating_score", "1e400"),  # infinity once parsed
        ("rating_score", "NaN"),
        ("rating_score", str(2**31)),
        ("monthly_utility_spending", "1e400"),
        ("agricultural_land_ha", "1e12"),
    ],
)
def test_a_number_out_of_bounds_is_refused_on_its_field(client, field, raw):
    response = post(client, f'{{"{field}": {raw}, "members": [{json.dumps(MEMBER)}]}}')
    assert response.status_code == 422
    detail = strict_json(response.content)["detail"]
    assert [error["loc"][-1] for error in detail] == [field]


@pytest.mark.parametrize("raw", ["1e400", "-1", "1e9"])
def test_a_members_income_out_of_bounds_is_refused(client, raw):
    response = post(client, f'{{"members": [{{"birth_date": "1980-01-01", "income": {raw}}}]}}')
    assert response.status_code == 422
    assert strict_json(response.content)["detail"][0]["loc"][-1] == "income"


def test_numbers_within_bounds_are_answered(client):
    body = {
        "municipality": "kutaisi",
        "rating_score": 2**31 - 1,
        "cars": 100,
        "cattle": 10000,
        "members": [{**MEMBER, "income": 99_999_999.99}],
    }
    response = post(client, json.dumps(body))
    assert response.status_code == 200
    assert {r["programme"] for r in strict_json(response.content)} >= {"tsa", "child_benefit"}


def test_an_empty_household_is_refused_on_the_members_field(client):
    response = post(client, json.dumps({"municipality": "kutaisi", "members": []}))
    assert response.status_code == 400
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "members"],
                "msg": "Give at least one member: the programmes' rules read the members.",
            }
        ]
    }


def test_a_birth_date_before_1900_is_refused(client):
    response = post(client, json.dumps({"members": [{"birth_date": "1850-01-01"}]}))
    # The schema publishes the bound (422); the service holds it for every other caller (400).
    assert response.status_code in (400, 422)
    (error,) = response.json()["detail"]
    assert error["loc"][-3:] == ["members", 0, "birth_date"] or error["loc"][-3:] == [
        "members",
        "0",
        "birth_date",
    ]


def test_the_service_refuses_a_birth_date_before_1900():
    from django.core.exceptions import ValidationError

    from zrunva.programmes.eligibility import data_explanation

    with pytest.raises(ValidationError) as err:
        data_explanation(
            household={},
            members=[{"birth_date": date(1850, 1, 1)}],
            on=date(2026, 1, 1),
            rating_score=None,
        )
    assert err.value.message_dict == {
        "members.0.birth_date": ["Give a birth date from 1900-01-01 on."]
    }


# -- Finding 17: a programme asked about before it existed -----------------------------------


def test_programmes_not_in_force_on_the_date_are_listed_as_such(client, login_as):
    body = {"on": "2023-06-01", "rating_score": 20000, "members": [{**MEMBER, "sex": "M"}]}
    results = post(client, json.dumps(body)).json()
    by_code = {r["programme"]: r for r in results}
    # The pension and the disability package start on 1 January 2024.
    for code in ("state_pension", "disability_package"):
        assert by_code[code]["status"] == "not_in_force"
        assert by_code[code]["reason"] == "not_in_force"
        assert by_code[code]["criteria"] is None and by_code[code]["amount"] is None
    assert by_code["tsa"]["status"] == "eligible"
    # A stored household, page and API alike.
    household = factories.household("kutaisi", head={"birth_date": years_ago(70)})
    assess(household, 20000)
    officer = login_as(Role.SSA_OFFICER)
    answer = officer.get(f"/api/v1/households/{household.pk}/eligibility", {"on": "2023-06-01"})
    statuses = {r["programme"]: r["status"] for r in answer.json()}
    # (Its members joined today, so on that date only the programmes' dates are known.)
    assert statuses["state_pension"] == "not_in_force"
    # The English page (/en/…): the API request above left Georgian active in this thread,
    # where reverse() would give the Georgian page's path.
    with translation.override("en"):
        url = reverse("eligibility:household", args=[household.pk])
    page = officer.get(url, {"on": "2023-06-01"}, **EN).content.decode()
    assert "Not in force on that date" in page
    assert "The programme is in force from" in page
    today = officer.get(
        f"/api/v1/households/{household.pk}/eligibility", {"on": str(timezone.localdate())}
    ).json()
    assert "not_in_force" not in {r["status"] for r in today}


def test_a_programme_that_has_ended_is_listed_as_not_in_force(client):
    from zrunva.programmes.models import Programme

    Programme.objects.filter(code="idp_allowance").update(valid_until=date(2020, 12, 31))
    body = {"on": "2022-01-01", "members": [MEMBER]}
    by_code = {r["programme"]: r for r in post(client, json.dumps(body)).json()}
    assert by_code["idp_allowance"]["status"] == "not_in_force"


def test_a_health_programme_not_in_force_is_still_hidden_from_roles_without_health_access(
    login_as,
):
    household = factories.household("kutaisi", head={"birth_date": years_ago(70)})
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    answer = officer.get(f"/api/v1/households/{household.pk}/eligibility", {"on": "2023-06-01"})
    codes = {r["programme"] for r in answer.json()}
    assert "state_pension" in codes and "disability_package" not in codes
    page = officer.get(
        reverse("eligibility:household", args=[household.pk]), {"on": "2023-06-01"}
    ).content.decode()
    assert "Social package for persons with disabilities" not in page
