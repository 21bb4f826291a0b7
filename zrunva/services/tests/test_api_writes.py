"""The catalogue's API writes (issue 14, item 6): the staff pages' forms, permissions and
approval, through `/api/v1/services…` and `/api/v1/providers…`."""

import json

import pytest
from auditlog.models import LogEntry
from django.test import Client

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue
from zrunva.services.models import Provider, Service
from zrunva.services.tests import factories

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _client(user) -> Client:
    _token, key = api_token_issue(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", **EN)


def _send(client, method: str, path: str, body: dict):
    return getattr(client, method)(
        f"/api/v1{path}", json.dumps(body), content_type="application/json"
    )


def _service_body(provider: Provider, **changes) -> dict:
    return {
        "provider": provider.pk,
        "service_type": "day_care",
        "name_ka": "დღის ცენტრი",
        "name_en": "Day centre",
        "target_groups": ["elderly", "adults_physical"],
        "description_ka": "აღწერა",
        "description_en": "Description",
        "eligibility_ka": "ყველა",
        "eligibility_en": "Everyone",
        "how_to_apply_ka": "დარეკეთ",
        "how_to_apply_en": "Call",
        "cost": "free",
        "capacity": 20,
        "admitted": 12,
        "opening_hours": [[1, "09:00", "18:00"], [2, "09:00", "18:00"]],
        "languages": ["ka", "sgn"],
        "step_free": True,
        "municipality": "kutaisi",
        "address_ka": "ქუთაისი",
        "address_en": "Kutaisi",
        "latitude": "42.27",
        "longitude": "42.70",
        **changes,
    }


@pytest.fixture
def cso(make_user):
    organisation = factories.organisation()
    provider = factories.provider(organisation=organisation)
    staff = make_user(Role.SERVICE_PROVIDER, organisation=organisation)
    return provider, staff


def test_a_providers_staff_propose_and_a_national_officer_approves(cso, make_user):
    provider, staff = cso
    proposed = _send(_client(staff), "post", "/services", _service_body(provider))
    assert proposed.status_code == 201, proposed.content
    body = proposed.json()
    assert body["status"] == "pending" and body["public"] is False
    service = Service.objects.get(pk=body["id"])
    assert not service.published
    assert Client().get(f"/api/v1/services/{service.pk}").status_code == 404

    officer = _client(make_user(Role.SSA_OFFICER))
    versions = officer.get(f"/api/v1/services/{service.pk}/versions")
    assert versions.status_code == 200
    assert [v["status"] for v in versions.json()] == ["pending"]
    decided = _send(
        officer,
        "post",
        f"/services/{service.pk}/decision",
        {"version": body["version"], "approve": True},
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "approved" and decided.json()["public"] is True
    public = Client().get(f"/api/v1/services/{service.pk}").json()
    assert public["target_groups"] == ["adults_physical", "elderly"]
    assert public["opening_hours"][1] == [2, "09:00", "18:00"]
    assert public["languages"] == ["ka", "sgn"] and public["latitude"] == "42.270000"

    # A change by the provider's staff waits; the public entry stays as it was.
    changed = _send(
        _client(staff), "put", f"/services/{service.pk}", _service_body(provider, name_en="New")
    )
    assert changed.status_code == 200 and changed.json()["status"] == "pending"
    assert Client().get(f"/api/v1/services/{service.pk}").json()["name_en"] == "Day centre"
    # An approver's own change is applied at once.
    direct = _send(officer, "put", f"/services/{service.pk}", _service_body(provider, waiting=4))
    assert direct.json()["status"] == "approved", direct.json()
    assert Client().get(f"/api/v1/services/{service.pk}").json()["waiting"] == 4


def test_a_decision_names_the_version_read(cso, make_user):
    provider, staff = cso
    first = _send(_client(staff), "post", "/services", _service_body(provider)).json()
    _send(_client(staff), "put", f"/services/{first['id']}", _service_body(provider, waiting=1))
    officer = _client(make_user(Role.SSA_OFFICER))
    stale = _send(
        officer,
        "post",
        f"/services/{first['id']}/decision",
        {"version": first["version"], "approve": True},
    )
    assert stale.status_code == 400
    assert "changed since you read it" in stale.json()["detail"][0]["msg"]
    assert not Service.objects.get(pk=first["id"]).published
    rejected = _send(
        officer,
        "post",
        f"/services/{first['id']}/decision",
        {"version": first["version"] + 1, "approve": False},
    )
    assert rejected.status_code == 400
    assert rejected.json()["detail"][0]["loc"] == ["body", "note"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"capacity": 5, "admitted": 6}, "capacity"),
        ({"target_groups": ["elderly", "martians"]}, "target_groups"),
        ({"service_type": "teleportation"}, "service_type"),
        ({"latitude": "51.5", "longitude": "-0.12"}, "latitude"),
        ({"opening_hours": [[1, "09:00", "12:00"], [1, "11:00", "14:00"]]}, "opening_hours"),
        ({"opening_hours": [[1, "18:00", "09:00"]]}, "opening_hours"),
        ({"phone": "12"}, "phone"),
        ({"email": "not an address"}, "email"),
        ({"languages": ["xx"]}, "languages"),
    ],
)
def test_bad_input_is_named_at_its_field_and_nothing_is_stored(cso, changes, field):
    provider, staff = cso
    response = _send(_client(staff), "post", "/services", _service_body(provider, **changes))
    assert response.status_code == 400, response.content
    assert ["body", field] in [e["loc"] for e in response.json()["detail"]]
    assert not Service.objects.exists()


def test_a_provider_cannot_touch_another_providers_entries(cso, make_user):
    provider, staff = cso
    other = factories.provider(
        identification_code="204000001", organisation=factories.organisation("Other")
    )
    theirs = factories.service(other, name_en="Theirs")
    client = _client(staff)
    # Proposing a service for another provider: the form offers only one's own.
    response = _send(client, "post", "/services", _service_body(other))
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["body", "provider"]
    # Changing another provider's public service: refused and audited.
    response = _send(client, "put", f"/services/{theirs.pk}", _service_body(provider))
    assert response.status_code == 403
    assert LogEntry.objects.filter(actor=staff, additional_data__attempt=True).exists()
    assert client.get(f"/api/v1/services/{theirs.pk}/versions").status_code == 403
    theirs.refresh_from_db()
    assert theirs.name_en == "Theirs"
    # Their unpublished one is not there for this user at all.
    draft = factories.service(other, published=False, name_en="Draft")
    assert _send(client, "put", f"/services/{draft.pk}", _service_body(provider)).status_code == 404
    # Only an administrator adds a provider.
    body = {
        "kind": "cso",
        "name_ka": "ახალი",
        "name_en": "New",
        "identification_code": "204000002",
        "municipality": "kutaisi",
        "address_ka": "ქუთაისი",
        "address_en": "Kutaisi",
        "phone": "431 24 00 00",
    }
    assert _send(client, "post", "/providers", body).status_code == 403
    admin = _client(make_user(Role.ADMIN))
    created = _send(admin, "post", "/providers", body)
    assert created.status_code == 201 and created.json()["public"] is True


def test_writes_need_a_sign_in(cso):
    provider, _staff = cso
    response = _send(Client(**EN), "post", "/services", _service_body(provider))
    assert response.status_code == 401
    assert not Service.objects.exists()
