import pytest
from django.test import Client
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Status as ApplicationStatus
from zrunva.geo.models import Municipality
from zrunva.grievances.choices import Channel
from zrunva.grievances.models import Grievance
from zrunva.grievances.tests.factories import grievance, refused_application
from zrunva.notifications.models import Message

pytestmark = pytest.mark.django_db

FORM = {
    "personal_number": "01001012345",
    "first_name": "ნინო",
    "last_name": "ბერიძე",
    "phone": "+995 555 12 34 56",
    "email": "",
    "language": "en",
    "category": "payment",
    "application": "",
    "reference": "PAY-2026-11",
    "text": "The November payment did not arrive.",
}


@pytest.fixture
def kutaisi():
    return Municipality.objects.get(code="kutaisi")


def test_a_citizen_files_a_grievance_and_is_given_its_number(client, kutaisi):
    url = reverse("portal_grievances:file")
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'for="id_personal_number"' in html and 'for="id_text"' in html
    assert f'href="{url}"' in html  # the portal's menu leads here
    response = client.post(url, FORM | {"municipality": kutaisi.pk})
    assert response.status_code == 302
    filed = Grievance.objects.get()
    assert (filed.channel, filed.reference, filed.municipality) == (
        Channel.PORTAL,
        "PAY-2026-11",
        kutaisi,
    )
    confirmation = client.get(response["Location"])
    assert filed.number in confirmation.content.decode()
    assert "no-store" in confirmation["Cache-Control"]
    assert Message.objects.filter(reference=filed.number, channel="sms").exists()


def test_every_mistake_is_shown_next_to_its_field_and_in_the_summary(client, kutaisi):
    url = reverse("portal_grievances:file")
    html = client.post(url, {"language": "en"}).content.decode()
    assert 'class="error-summary"' in html
    for field, message in [
        ("personal_number", "Enter the personal number: 11 digits."),
        ("first_name", "Enter the first name."),
        ("category", "Choose what the grievance is about."),
        ("text", "Describe what happened and what you ask for."),
    ]:
        assert f'href="#id_{field}"' in html
        assert f'id="id_{field}_error"' in html
        assert message in html
    html = client.post(
        url, FORM | {"personal_number": "1234", "phone": "", "municipality": kutaisi.pk}
    ).content.decode()
    assert (
        'href="#id_personal_number"' in html and "A personal number has exactly 11 digits." in html
    )
    assert 'href="#id_phone"' in html
    assert "Give a phone number or an e-mail address, or both: the answers go there." in html
    html = client.post(url, FORM).content.decode()
    assert 'href="#id_municipality"' in html and "Choose the municipality." in html
    assert not Grievance.objects.exists()


def test_an_appeal_on_the_portal_reopens_the_application(client, make_user):
    refused = refused_application(make_user(Role.SSA_OFFICER))
    url = reverse("portal_grievances:file")
    data = FORM | {"category": "decision_appeal", "application": refused.number}
    response = client.post(url, data | {"personal_number": "01001099999"})
    html = response.content.decode()
    # Someone else's personal number: told nothing about the application.
    assert "No application has this number and personal number." in html
    assert client.post(url, data).status_code == 302
    refused.refresh_from_db()
    assert refused.status == ApplicationStatus.SUBMITTED
    assert Grievance.objects.get().application == refused


def test_too_many_grievances_from_one_address_or_for_one_person_are_refused(
    settings, client, kutaisi
):
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {
        "grievance_address": (3, 3600),
        "grievance_person": (2, 3600),
    }
    url = reverse("portal_grievances:file")
    data = FORM | {"municipality": kutaisi.pk}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    # The same person, from elsewhere.
    refused = Client(REMOTE_ADDR="10.0.0.2").post(url, data)
    assert refused.status_code == 429 and int(refused["Retry-After"]) == 3600
    assert "Too many attempts" in refused.content.decode()
    # Other people, from the first address: its third request passes, then it is refused,
    # even with a form that would not be accepted.
    assert client.post(url, data | {"personal_number": "01001000002"}).status_code == 302
    assert client.post(url, {}).status_code == 429
    assert Grievance.objects.count() == 3


def test_a_citizen_checks_a_grievance_and_a_wrong_pair_tells_nothing(client):
    filed = grievance()
    url = reverse("portal_grievances:status")
    assert client.get(url).status_code == 200
    page = client.post(
        url, {"number": filed.number.lower().replace("-", ""), "personal_number": "01001012345"}
    )
    html = page.content.decode()
    assert filed.number in html and "no-store" in page["Cache-Control"]
    assert "Answer due" in html and "Quality of service" in html
    generic = "No grievance has this number and personal number."
    wrong_person = client.post(url, {"number": filed.number, "personal_number": "01001099999"})
    wrong_number = client.post(url, {"number": "GR-00000-00000", "personal_number": "01001012345"})
    for response in (wrong_person, wrong_number):
        html = response.content.decode()
        assert generic in html and 'class="error-summary"' in html
        assert "Answer due" not in html and "Quality of service" not in html
    html = client.post(url, {}).content.decode()
    assert "Enter the grievance number." in html and "Enter your personal number." in html


def test_checking_is_throttled_per_address(settings, client):
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {"status_address": (2, 600)}
    filed = grievance()
    url = reverse("portal_grievances:status")
    data = {"number": filed.number, "personal_number": "01001012345"}
    assert client.post(url, data).status_code == 200
    assert client.post(url, data).status_code == 200
    response = client.post(url, data)
    assert response.status_code == 429 and response["Retry-After"] == "600"
    assert filed.number not in response.content.decode()


def test_public_forms_check_the_csrf_token(kutaisi):
    client = Client(enforce_csrf_checks=True)
    url = reverse("portal_grievances:file")
    assert client.post(url, FORM | {"municipality": kutaisi.pk}).status_code == 403
    assert not Grievance.objects.exists()
