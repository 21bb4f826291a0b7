"""Each field rule is written once (`zrunva.core.validators`) and every entry point refuses the
same values with the same message: the portal's application and grievance forms, the staff
intake form, the public and staff APIs, and the services behind them (issue 11, item 3)."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue
from zrunva.applications.models import Application
from zrunva.applications.tests.factories import intake_form
from zrunva.core import validators
from zrunva.geo.models import Municipality
from zrunva.grievances.models import Grievance
from zrunva.portal.tests.factories import application_body, application_form

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PORTAL_API = "/api/v1/portal/applications"
PERSONAL_NUMBER_MESSAGE = "A personal number has exactly 11 digits."
EMAIL_MESSAGE = "Enter a valid email address."
with translation.override("en"):
    PHONE_MESSAGE = str(validators.PHONE_MESSAGE)
    CONTACT_MESSAGE = str(validators.CONTACT_MESSAGE)

GRIEVANCE = {
    "personal_number": "01001012345",
    "first_name": "ნინო",
    "last_name": "ბერიძე",
    "phone": "+995555000111",
    "email": "",
    "language": "en",
    "category": "data_correction",
    "text": "My birth date is wrong in the registry.",
    "municipality": "kutaisi",
}

# (field, bad value, message); the contact rule blanks both phone and e-mail.
CASES = [
    ("personal_number", "0100101234", PERSONAL_NUMBER_MESSAGE),
    ("personal_number", "0100101234X", PERSONAL_NUMBER_MESSAGE),
    ("personal_number", "٠١٠٠١٠١٢٣٤٥", PERSONAL_NUMBER_MESSAGE),  # digits, but not 0-9
    ("phone", "12 34", PHONE_MESSAGE),
    ("phone", "555 12 34 56 ext 7", PHONE_MESSAGE),
    ("phone", "+995 5551234567890", PHONE_MESSAGE),
    ("email", "nino@", EMAIL_MESSAGE),
    ("contact", "", CONTACT_MESSAGE),
]
IDS = [f"{field}={value!r}" for field, value, _ in CASES]


def _bad(data: dict, field: str, value: str) -> dict:
    if field == "contact":
        return data | {"phone": "", "email": ""}
    return data | {field: value}


def _api(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json", **EN)


def _api_messages(response) -> list[str]:
    # 400 (a service's rule) and 422 (the schema's) both list {"loc", "msg"}; pydantic prefixes
    # its own "Value error, ".
    assert response.status_code in (400, 422), response.content
    return [item["msg"].removeprefix("Value error, ") for item in response.json()["detail"]]


@pytest.mark.parametrize(("field", "value", "message"), CASES, ids=IDS)
def test_the_portal_application_form_and_api_agree(client, field, value, message):
    html = client.post(
        "/en/portal/apply/", _bad(application_form(), field, value) | {"documents": []}
    ).content.decode()
    assert message in html
    body = application_body()
    body["applicant"] = _bad(body["applicant"], field, value)
    assert message in _api_messages(_api(Client(), PORTAL_API, body))
    assert not Application.objects.exists()


@pytest.mark.parametrize(("field", "value", "message"), CASES, ids=IDS)
def test_the_portal_grievance_form_and_api_agree(client, field, value, message):
    kutaisi = Municipality.objects.get(code="kutaisi")
    data = _bad(GRIEVANCE, field, value) | {"municipality": kutaisi.pk}
    html = client.post(reverse("portal_grievances:file"), data, **EN).content.decode()
    assert message in html
    response = _api(Client(), "/api/v1/portal/grievances", _bad(GRIEVANCE, field, value))
    assert message in _api_messages(response)
    assert not Grievance.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"), [c for c in CASES if c[0] != "contact"], ids=IDS[:-1]
)
def test_the_staff_intake_form_and_api_agree(login_as, field, value, message):
    """At an office the applicant may give no contact (a letter is handed over), but what is
    given follows the same rules."""
    officer = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    html = officer.post(
        reverse("applications:intake"), _bad(intake_form(), field, value), **EN
    ).content.decode()
    assert message in html
    _, key = api_token_issue(user=officer.user, name="intake")
    applicant = {
        "personal_number": "01001012345",
        "first_name": "ნინო",
        "last_name": "ბერიძე",
        "birth_date": "1960-03-01",
        "language": "en",
    }
    body = {
        "programme": "state_pension",
        "municipality": "kutaisi",
        "applicant": _bad(applicant, field, value),
        "consent": True,
    }
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert message in _api_messages(_api(api, "/api/v1/applications", body))
    assert not Application.objects.exists()


@pytest.mark.parametrize("value", ["0100101234", "0100101234X", "٠١٠٠١٠١٢٣٤٥"])
def test_the_registry_form_and_api_agree_on_a_personal_number(login_as, value):
    from zrunva.registry.models import Household
    from zrunva.registry.tests import factories

    officer = login_as(Role.SSA_OFFICER)
    html = officer.post(
        "/en/registry/households/new/", factories.household_form(personal_number=value)
    ).content.decode()
    assert PERSONAL_NUMBER_MESSAGE in html
    head = factories.person_data(birth_date="1975-03-02") | {"personal_number": value}
    body = {
        "municipality": Municipality.objects.get(code="kutaisi").pk,
        "address": "წერეთლის 10",
        "head": head,
    }
    assert PERSONAL_NUMBER_MESSAGE in _api_messages(_api(officer, "/api/v1/households", body))
    assert not Household.objects.exists()


def test_an_integer_written_in_exponent_form_is_read_exactly(login_as):
    """JSON Schema counts 1e+1 as the integer 10, and some clients write big integers so."""
    admin = login_as(Role.ADMIN)
    kutaisi = Municipality.objects.get(code="kutaisi").pk
    as_exponent = f"{kutaisi / 10 ** (len(str(kutaisi)) - 1)}e+{len(str(kutaisi)) - 1}"
    assert admin.get("/api/v1/households", {"municipality": as_exponent}).status_code == 200
    assert admin.get("/api/v1/households", {"municipality": "1.5e+0"}).status_code == 422
    assert admin.get("/api/v1/households", {"page": "1e+0"}).status_code == 200


def test_a_document_without_a_file_is_a_400_on_file():
    response = Client(**EN).post(
        "/api/v1/portal/applications/documents",
        {"number": "ZR-00000-00000", "personal_number": "01001012345"},
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["body", "file"]
