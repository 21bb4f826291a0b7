import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from zrunva.applications.choices import Status
from zrunva.applications.models import Application, Document
from zrunva.applications.tests.pdfs import plain_pdf
from zrunva.notifications.models import Message
from zrunva.portal.tests.factories import application_form

pytestmark = pytest.mark.django_db

PDF = plain_pdf()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "PNG")
    return out.getvalue()


def post_apply(client, data=None, files=None):
    payload = application_form() if data is None else data
    payload = payload | {"documents": files or []}
    return client.post(reverse("portal:apply"), payload)


def test_the_portal_is_in_georgian_by_default_and_in_english(client):
    home = client.get("/portal/").content.decode()
    assert '<html lang="ka">' in home and "განაცხადი" in home
    english = client.get("/en/portal/").content.decode()
    assert '<html lang="en">' in english and "Programmes that take applications" in english
    form = client.get("/portal/apply/").content.decode()
    assert 'autocomplete="given-name"' in form and 'type="tel"' in form


def test_a_citizen_applies_with_a_member_and_documents(client):
    files = [
        SimpleUploadedFile("certificate.pdf", PDF, "application/pdf"),
        SimpleUploadedFile("photo.png", png(), "image/png"),
    ]
    response = post_apply(client, files=files)
    assert response.status_code == 302 and response.url == reverse("portal:submitted")
    application = Application.objects.get()
    assert application.channel == "portal" and application.household is None
    assert application.members[0]["first_name"] == "გიორგი"
    assert application.members[0]["birth_date"] == "2015-06-01"
    assert application.consent_purpose.startswith("ვეთანხმები") or application.consent_purpose
    page = client.get(response.url).content.decode()
    assert application.number in page
    documents = list(Document.objects.order_by("name"))
    assert [(d.name, d.kind) for d in documents] == [
        ("certificate.pdf", "pdf"),
        ("photo.png", "png"),
    ]
    stored = documents[0].file.path
    # Outside the web root: no URL serves it, and its name does not carry the applicant's.
    assert stored.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not stored.startswith(str(settings.MEDIA_ROOT)) and "certificate" not in stored
    assert Message.objects.filter(reference=application.number, channel="sms").exists()


def test_the_same_form_sent_twice_makes_one_application(client):
    first = post_apply(client)
    second = post_apply(client)
    assert first.status_code == second.status_code == 302
    assert Application.objects.count() == 1


def test_a_disguised_or_oversize_file_is_refused_next_to_the_field(client, settings):
    fake = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    html = post_apply(client, files=[fake]).content.decode()
    assert "scan.pdf is not a PDF, JPEG or PNG file" in html
    assert 'href="#id_documents"' in html
    broken = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0 truncated", "image/jpeg")
    assert "photo.jpg cannot be read as a JPEG image" in post_apply(
        client, files=[broken]
    ).content.decode("utf-8")
    settings.DOCUMENT_MAX_BYTES = 20
    big = SimpleUploadedFile("big.pdf", PDF, "application/pdf")
    assert "a document may be at most 20" in post_apply(client, files=[big]).content.decode()
    assert not Application.objects.exists() and not Document.objects.exists()


def test_every_missing_field_is_named_in_a_summary_linking_to_it(client):
    data = application_form(
        personal_number="123", consent="", phone="", **{"members-0-birth_date": ""}
    )
    html = client.post(reverse("portal:apply"), data, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="#id_personal_number"' in html
    assert "A personal number has exactly 11 digits." in html
    assert "Give a phone number or an e-mail address, or both: the answers go there." in html
    assert 'href="#id_members-0-birth_date"' in html
    assert not Application.objects.exists()


def test_a_household_member_row_is_added_and_removed_without_errors(client):
    data = application_form() | {"add_member": "1"}
    html = client.post(reverse("portal:apply"), data).content.decode()
    assert 'name="members-1-first_name"' in html and "error-summary" not in html
    assert 'value="გიორგი"' in html
    data = application_form() | {"remove_member": "0"}
    html = client.post(reverse("portal:apply"), data).content.decode()
    assert 'name="members-0-first_name"' not in html


def test_applying_is_throttled_per_address_and_per_person(client, settings):
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {"apply_address": (2, 3600)}
    assert post_apply(client).status_code == 302
    assert (
        post_apply(
            client, application_form(submission_key="2b4e28ba-2fa1-11d2-883f-0016d3cca427")
        ).status_code
        == 302
    )
    third = post_apply(
        client, application_form(submission_key="3b4e28ba-2fa1-11d2-883f-0016d3cca427")
    )
    assert third.status_code == 429 and "Retry-After" in third
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {
        "apply_address": (100, 3600),
        "apply_person": (1, 3600),
    }
    other = Client(REMOTE_ADDR="10.0.0.9")
    data = application_form(
        submission_key="4b4e28ba-2fa1-11d2-883f-0016d3cca427", personal_number="01001099999"
    )
    assert post_apply(other, data).status_code == 302
    data["submission_key"] = "5b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert post_apply(other, data).status_code == 429


def test_public_forms_need_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert post_apply(client).status_code == 403
    assert client.post(reverse("portal:status"), {}).status_code == 403


def test_status_check_withdrawal_and_a_generic_refusal(client):
    post_apply(client)
    application = Application.objects.get()
    url = reverse("portal:status")
    wrong = client.post(url, {"number": application.number, "personal_number": "01001099999"})
    html = wrong.content.decode()
    assert "No application has this number and personal number." in html or "ეს" in html
    assert client.get(reverse("portal:application")).status_code == 302
    number = application.number.replace("-", "").lower()
    response = client.post(url, {"number": number, "personal_number": "01001012345"})
    assert response.url == reverse("portal:application")
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert application.number in page and "certificate" not in page
    assert client.get(reverse("portal:letter")).status_code == 404
    client.post(reverse("portal:withdraw"))
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN


def test_status_checks_are_throttled_per_number(client, settings):
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {"status_number": (2, 3600)}
    data = {"number": "ZR-00000-00000", "personal_number": "01001012345"}
    for _ in range(2):
        assert client.post(reverse("portal:status"), data).status_code == 200
    assert client.post(reverse("portal:status"), data).status_code == 429


def test_someone_already_enrolled_is_not_told_so(client):
    """Issue 9: the answer must not say what the registry holds about a personal number."""
    from zrunva.applications.tests.factories import enrolled_application

    enrolled = enrolled_application()
    data = application_form(
        personal_number=enrolled.personal_number, programme=enrolled.programme_id
    )
    response = client.post(reverse("portal:apply"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response.url == reverse("portal:submitted")
    assert "enrolled" not in client.get(response.url).content.decode().lower()
    assert Application.objects.get(duplicate_of=enrolled).status == Status.SUBMITTED
