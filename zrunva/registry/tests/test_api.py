import json

import pytest
from auditlog.models import LogEntry
from django.core.validators import MaxValueValidator
from django.test import Client

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue
from zrunva.geo.models import Municipality
from zrunva.registry.models import Household, Person
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _body(**overrides):
    head = factories.person_data(birth_date="1975-03-02")
    body = {
        "municipality": Municipality.objects.get(code="kutaisi").pk,
        "address": "წერეთლის 10",
        "cars": 1,
        "head": head,
    }
    body.update(overrides)
    return body


def _post(client, path, body, **extra):
    return client.post(
        path, json.dumps(body, default=str), content_type="application/json", **EN, **extra
    )


def _patch(client, path, body, **extra):
    return client.patch(
        path, json.dumps(body, default=str), content_type="application/json", **EN, **extra
    )


def test_openapi_schema_and_docs_are_served(login_as):
    client = login_as(Role.SSA_OFFICER)
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/people", "/api/v1/households", "/api/v1/households/{household_id}"} <= set(
        schema["paths"]
    )
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn." not in docs.content  # Swagger UI is served from our static files


def test_anonymous_requests_are_refused():
    assert Client().get("/api/v1/people").status_code == 401


def test_token_auth_creates_household_attributed_to_the_token_user(make_user):
    officer = make_user(Role.SSA_OFFICER)
    _, key = api_token_issue(user=officer, name="test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = _post(client, "/api/v1/households", _body())
    assert response.status_code == 201, response.content
    household = Household.objects.get(pk=response.json()["id"])
    assert response.json()["members"][0]["relationship"] == "head"
    entry = LogEntry.objects.get_for_object(household).get(action=LogEntry.Action.CREATE)
    assert entry.actor == officer


def test_revoked_or_wrong_token_is_refused(make_user):
    token, key = api_token_issue(user=make_user(Role.SSA_OFFICER), name="t")
    token.revoked = True
    token.save()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/api/v1/people").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer nonsense").get("/api/v1/people").status_code == 401


def test_session_auth_requires_csrf_for_writes(make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.SSA_OFFICER))
    assert _post(client, "/api/v1/households", _body()).status_code in (401, 403)
    assert not Household.objects.exists()


def test_list_search_and_retrieve_write_audit_rows(login_as):
    household = factories.household(
        head={"first_name": "ნინო", "last_name": "წერეთელი", "sex": "F"}
    )
    person = household.memberships.get().person
    client = login_as(Role.SSA_OFFICER)
    found = client.get("/api/v1/people", {"q": "tsereteli"}).json()
    assert [p["id"] for p in found["items"]] == [person.pk]
    assert found["has_next"] is False
    search = LogEntry.objects.filter(object_repr="search", actor=client.user).get()
    assert search.additional_data["terms"]["q"] == "tsereteli"
    detail = client.get(f"/api/v1/people/{person.pk}")
    assert detail.json()["first_name_latin"] == "Nino"
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(person.pk), actor=client.user
    ).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("personal_number", "12345", "A personal number has exactly 11 digits."),
        ("birth_date", "2099-01-01", "The birth date cannot be in the future."),
        (
            "first_name",
            "Giorgi",
            "Write the name in Georgian letters (spaces and hyphens allowed).",
        ),
    ],
)
def test_bad_head_fields_get_400_with_field_and_reason(login_as, field, value, message):
    body = _body()
    body["head"][field] = value
    response = _post(login_as(Role.SSA_OFFICER), "/api/v1/households", body)
    assert response.status_code == 400
    assert {"loc": ["body", "head", field], "msg": message} in response.json()["detail"]
    assert not Household.objects.exists() and not Person.objects.exists()


def test_duplicate_personal_number_is_refused_and_nothing_saved(login_as):
    factories.household(head={"personal_number": "01001099999"})
    body = _body()
    body["head"]["personal_number"] = "01001099999"
    response = _post(login_as(Role.SSA_OFFICER), "/api/v1/households", body)
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {
            "loc": ["body", "head", "personal_number"],
            "msg": "Another person already has this personal number.",
        }
    ]
    assert Household.objects.count() == 1


def test_unknown_municipality_is_named(login_as):
    response = _post(login_as(Role.SSA_OFFICER), "/api/v1/households", _body(municipality=999999))
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {"loc": ["body", "municipality"], "msg": "Unknown municipality."}
    ]


def test_malformed_body_gets_422(login_as):
    client = login_as(Role.SSA_OFFICER)
    response = client.post("/api/v1/households", "{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    response = _post(client, "/api/v1/households", {"address": "x"})
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} >= {
        ("body", "payload", "municipality"),
        ("body", "payload", "head"),
    }


def test_person_in_two_households_is_refused_over_the_api(login_as):
    first = factories.household()
    second = factories.household()
    person = first.memberships.get().person
    response = _post(
        login_as(Role.SSA_OFFICER),
        f"/api/v1/households/{second.pk}/members",
        {"relationship": "child", "person_id": person.pk},
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["body", "person"]


def test_patch_updates_and_is_versioned(login_as):
    household = factories.household()
    client = login_as(Role.SSA_OFFICER)
    response = _patch(client, f"/api/v1/households/{household.pk}", {"cars": 2, "has_gas": True})
    assert response.status_code == 200, response.content
    entry = LogEntry.objects.get_for_object(household).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.changes["cars"] == [0, 2]
    assert entry.actor == client.user


def test_health_details_are_masked_for_municipal_officers(login_as):
    household = factories.household("kutaisi", head={"disability_degree": "severe"})
    person = household.memberships.get().person
    data = (
        login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
        .get(f"/api/v1/people/{person.pk}")
        .json()
    )
    assert data["disability_degree"] is None and data["chronic_illness"] is None
    data = login_as(Role.SSA_OFFICER).get(f"/api/v1/people/{person.pk}").json()
    assert data["disability_degree"] == "severe"


class TestScope:
    """A municipal officer works only in their municipality; an office only in its area."""

    def test_list_is_limited_to_the_municipality(self, login_as):
        kutaisi = factories.household("kutaisi")
        factories.household("batumi")
        client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
        ids = [h["id"] for h in client.get("/api/v1/households").json()["items"]]
        assert ids == [kutaisi.pk]

    def test_records_outside_the_municipality_are_not_found(self, login_as):
        batumi = factories.household("batumi")
        person = batumi.memberships.get().person
        client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
        assert client.get(f"/api/v1/households/{batumi.pk}").status_code == 404
        assert client.get(f"/api/v1/people/{person.pk}").status_code == 404
        assert _patch(client, f"/api/v1/households/{batumi.pk}", {"cars": 3}).status_code == 404
        assert Household.objects.get(pk=batumi.pk).cars == 0

    def test_cannot_create_in_another_municipality(self, login_as):
        client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
        body = _body(municipality=Municipality.objects.get(code="batumi").pk)
        assert _post(client, "/api/v1/households", body).status_code == 403
        assert not Household.objects.exists()

    def test_cannot_move_a_household_out_of_scope(self, login_as):
        household = factories.household("kutaisi")
        client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
        batumi = Municipality.objects.get(code="batumi").pk
        response = _patch(client, f"/api/v1/households/{household.pk}", {"municipality": batumi})
        assert response.status_code == 403
        assert Household.objects.get(pk=household.pk).municipality.code == "kutaisi"

    def test_office_staff_see_their_offices_area(self, login_as):
        zugdidi = factories.household("zugdidi")
        factories.household("kutaisi")
        client = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
        ids = [h["id"] for h in client.get("/api/v1/households").json()["items"]]
        assert ids == [zugdidi.pk]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.SERVICE_PROVIDER, Role.CITIZEN, Role.DPO])
def test_roles_without_registry_access_are_refused(login_as, role):
    household = factories.household()
    client = login_as(role)
    assert client.get("/api/v1/households").status_code == 403
    assert client.get(f"/api/v1/households/{household.pk}").status_code == 403
    assert client.get("/api/v1/people", {"q": "giorgi"}).status_code == 403


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.SUPERVISOR])
def test_read_only_roles_cannot_write(login_as, role):
    household = factories.household()
    client = login_as(role)
    assert client.get(f"/api/v1/households/{household.pk}").status_code == 200
    assert _patch(client, f"/api/v1/households/{household.pk}", {"cars": 4}).status_code == 403
    assert _post(client, "/api/v1/households", _body()).status_code == 403
    assert Household.objects.count() == 1


def test_bounds_come_from_the_model_in_the_api_too(login_as):
    household = factories.household()
    client = login_as(Role.SSA_OFFICER)
    response = _patch(client, f"/api/v1/households/{household.pk}", {"rooms": 500})
    assert response.status_code == 422  # the model's bound, published in the schema
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "rooms"]
    assert Household.objects.get(pk=household.pk).rooms == 1
    assert _patch(client, f"/api/v1/households/{household.pk}", {"rooms": 100}).status_code == 200


@pytest.mark.parametrize("field", ["rooms", "extra_dwellings", "cattle", "small_livestock", "cars"])
def test_published_bounds_are_the_models(client, field):
    """The schema's maximum is the model's validator: the two cannot drift apart."""
    document = client.get("/api/v1/openapi.json").json()
    published = document["components"]["schemas"]["HouseholdPatch"]["properties"][field]
    (maximum,) = [
        v.limit_value
        for v in Household._meta.get_field(field).validators
        if isinstance(v, MaxValueValidator)
    ]
    assert published["anyOf"][0]["maximum"] == maximum


TOO_BIG = 2**63  # one past bigint: once a 500 (finding 9)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/people?municipality={TOO_BIG}",
        f"/api/v1/households?municipality={TOO_BIG}",
        f"/api/v1/households?settlement={TOO_BIG}",
        f"/api/v1/people/{TOO_BIG}",
        f"/api/v1/households/{TOO_BIG}",
        "/api/v1/people?municipality=0",
        "/api/v1/households?page=1001",
    ],
)
def test_out_of_range_numbers_are_refused_with_422(login_as, path):
    response = login_as(Role.SSA_OFFICER).get(path)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["type"] in {"less_than_equal", "greater_than_equal"}


def test_the_largest_id_is_looked_up(login_as):
    client = login_as(Role.SSA_OFFICER)
    largest = 2**63 - 1
    assert client.get(f"/api/v1/people?municipality={largest}").json()["items"] == []
    assert client.get(f"/api/v1/households?settlement={largest}").json()["items"] == []
    assert client.get(f"/api/v1/households/{largest}").status_code == 404


def test_money_and_areas_are_decimal_strings(login_as):
    client = login_as(Role.SSA_OFFICER)
    body = _body()
    body["monthly_utility_spending"] = 120.5  # a number, not a decimal string
    assert _post(client, "/api/v1/households", body).status_code == 422
    body["monthly_utility_spending"] = "1234567890.00"  # wider than numeric(9,2)
    assert _post(client, "/api/v1/households", body).status_code == 422
    body["monthly_utility_spending"] = "120.50"
    body["floor_area_m2"] = "64.5"
    response = _post(client, "/api/v1/households", body)
    assert response.status_code == 201, response.content
    assert response.json()["monthly_utility_spending"] == "120.50"
    assert response.json()["floor_area_m2"] == "64.5"


@pytest.mark.parametrize(
    ("field", "value"),
    [("cattle", "5"), ("cattle", True), ("cattle", 2.5), ("has_gas", "yes"), ("has_gas", 1)],
)
def test_a_body_value_of_the_wrong_type_is_refused_not_guessed(login_as, field, value):
    """What the document forbids is refused: "5" is not an integer, 1 is not true."""
    body = _body() | {field: value}
    response = _post(login_as(Role.SSA_OFFICER), "/api/v1/households", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", field]


def test_an_integer_written_with_a_point_is_an_integer(login_as):
    body = _body()
    body["cattle"] = 3.0  # JSON Schema's integer includes 3.0
    response = _post(login_as(Role.SSA_OFFICER), "/api/v1/households", body)
    assert response.status_code == 201, response.content
    assert response.json()["cattle"] == 3


def _income_and_link(municipality="kutaisi"):
    from zrunva.registry import services

    household = factories.household(municipality)
    person = household.memberships.get().person
    actor = factories.system_actor()
    income = services.income_add(
        actor=actor,
        person=person,
        data={"kind": "wages", "monthly_amount": "900.00", "since": "2024-01-01"},
    )
    link = services.representative_add(
        actor=actor,
        person=person,
        data={
            "representative": factories.member(household, "spouse"),
            "kind": "guardian",
            "basis": "N 1",
            "valid_from": "2024-01-01",
        },
    )
    return person, income, link


def test_incomes_are_changed_and_ended_and_representations_ended_through_the_api(login_as):
    person, income, link = _income_and_link()
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    base = f"/api/v1/people/{person.pk}"
    response = _patch(client, f"{base}/incomes/{income.pk}", {"monthly_amount": "950.5"})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": income.pk,
        "person_id": person.pk,
        "kind": "wages",
        "monthly_amount": "950.50",
        "since": "2024-01-01",
        "until": None,
    }
    response = _post(client, f"{base}/incomes/{income.pk}/end", {"on": "2025-04-01"})
    assert (response.status_code, response.json()["until"]) == (200, "2025-04-01")
    response = _post(client, f"{base}/representatives/{link.pk}/end", {"on": "2025-04-30"})
    assert response.status_code == 200, response.content
    assert response.json()["valid_until"] == "2025-04-30"
    assert response.json()["representative"] == link.representative_id
    entries = LogEntry.objects.filter(actor=client.user, action=LogEntry.Action.UPDATE)
    assert {e.content_type.model for e in entries} == {"incomesource", "representative"}


def test_bad_input_to_income_and_representation_routes_names_the_field(login_as):
    person, income, link = _income_and_link()
    client = login_as(Role.SSA_OFFICER)
    base = f"/api/v1/people/{person.pk}"
    response = _post(client, f"{base}/incomes/{income.pk}/end", {"on": "2023-12-31"})
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {"loc": ["body", "on"], "msg": "The income cannot end before it began (01.01.2024)."}
    ]
    assert _post(client, f"{base}/incomes/{income.pk}/end", {"on": "2024-05-01"}).status_code == 200
    response = _post(client, f"{base}/incomes/{income.pk}/end", {"on": "2024-06-01"})
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {"loc": ["body"], "msg": "This income source already ended on 01.05.2024."}
    ]
    response = _patch(client, f"{base}/incomes/{income.pk}", {"since": "2024-06-01"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["body", "since"]
    response = _patch(client, f"{base}/incomes/{income.pk}", {"monthly_amount": "-3"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "payload", "monthly_amount"]
    response = _post(client, f"{base}/representatives/{link.pk}/end", {"on": "2023-01-01"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["body", "on"]


def test_income_and_representation_routes_refuse_other_roles_and_areas(login_as):
    person, income, link = _income_and_link("kutaisi")
    base = f"/api/v1/people/{person.pk}"
    worker = login_as(Role.SOCIAL_WORKER)
    assert _patch(worker, f"{base}/incomes/{income.pk}", {"kind": "rent"}).status_code == 403
    assert _post(worker, f"{base}/incomes/{income.pk}/end", {"on": "2025-01-01"}).status_code == 403
    outsider = login_as(Role.MUNICIPAL_OFFICER, municipality="batumi")
    assert _patch(outsider, f"{base}/incomes/{income.pk}", {"kind": "rent"}).status_code == 404
    path = f"{base}/representatives/{link.pk}/end"
    assert _post(outsider, path, {"on": "2025-01-01"}).status_code == 404
    other, other_income, _ = _income_and_link("kutaisi")
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    path = f"{base}/incomes/{other_income.pk}/end"  # another person's income under this one
    assert _post(officer, path, {"on": "2025-01-01"}).status_code == 404
    income.refresh_from_db()
    link.refresh_from_db()
    assert (income.kind, income.until, link.valid_until) == ("wages", None, None)


def test_openapi_lists_the_income_and_representation_routes(login_as):
    paths = login_as(Role.SSA_OFFICER).get("/api/v1/openapi.json").json()["paths"]
    assert "patch" in paths["/api/v1/people/{person_id}/incomes/{income_id}"]
    assert "post" in paths["/api/v1/people/{person_id}/incomes/{income_id}/end"]
    assert "post" in paths["/api/v1/people/{person_id}/representatives/{representative_id}/end"]
