import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zrunva.applications.models import Application
from zrunva.applications.tests.pdfs import plain_pdf
from zrunva.portal.tests.factories import application_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/portal/applications"


def post(client, path, data):
    return client.post(path, data, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def test_a_citizen_applies_tracks_sends_a_document_and_withdraws_without_an_account():
    client = Client(enforce_csrf_checks=True)
    response = post(client, URL, application_body())
    assert response.status_code == 201
    number = response.json()["number"]
    # The same request again.
    assert post(client, URL, application_body()).json()["number"] == number
    assert Application.objects.count() == 1
    assert Application.objects.get().members[0]["birth_date"] == "2016-02-02"
    lookup = {"number": number.lower(), "personal_number": "01001012345"}
    status = post(client, f"{URL}/status", lookup).json()
    assert status["status"] == "submitted" and status["steps"][0]["status"] == "submitted"
    pdf = SimpleUploadedFile("a.pdf", plain_pdf(), "application/pdf")
    sent = client.post(
        f"{URL}/documents", {"number": number, "personal_number": "01001012345", "file": pdf}
    )
    assert sent.status_code == 201 and sent.json()["documents"] == ["a.pdf"]
    fake = SimpleUploadedFile("b.pdf", b"<html>", "application/pdf")
    refused = client.post(
        f"{URL}/documents",
        {"number": number, "personal_number": "01001012345", "file": fake},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 400
    assert refused.json()["detail"][0]["loc"] == ["body", "file"]
    assert "b.pdf is not a PDF, JPEG or PNG file" in refused.json()["detail"][0]["msg"]
    assert post(client, f"{URL}/withdraw", lookup).json()["status"] == "withdrawn"


def test_bad_input_gets_field_errors():
    client = Client()
    response = post(client, URL, application_body(consent=False))
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {"loc": ["body", "consent"], "msg": "The application needs your consent to process it."}
    ]
    response = post(client, URL, application_body(programme="nope"))
    assert response.json()["detail"][0]["loc"] == ["body", "programme"]
    bad = application_body()
    bad["applicant"]["personal_number"] = "12"
    assert post(client, URL, bad).status_code == 422


def test_a_wrong_pair_is_not_found_and_lookups_are_throttled(settings):
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {"status_address": (3, 3600)}
    client = Client()
    lookup = {"number": "ZR-00000-00000", "personal_number": "01001012345"}
    assert [post(client, f"{URL}/status", lookup).status_code for _ in range(4)] == [
        404,
        404,
        404,
        429,
    ]


def test_a_submission_key_never_gives_away_anothers_application():
    client = Client()
    assert post(client, URL, application_body()).status_code == 201
    other = application_body()
    other["applicant"] = other["applicant"] | {"personal_number": "01001099999"}
    response = post(client, URL, other)
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {
            "loc": ["body", "submission_key"],
            "msg": "This form was already used; reload the page to apply again.",
        }
    ]


def test_status_checks_count_one_number_however_it_is_written(settings):
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {"status_number": (2, 3600)}
    client = Client()
    spellings = ["ZR-00000-00000", "zr0000000000", "zr-00000 00000".replace(" ", "")]
    codes = [
        post(client, f"{URL}/status", {"number": n, "personal_number": "01001012345"}).status_code
        for n in spellings
    ]
    assert codes == [404, 404, 429]
