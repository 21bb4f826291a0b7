"""Issue 13, item 3: bad input on the portal. Birth dates in the future refused (page and API,
the same message on the same field), every error shown in one pass with the consent and the
files, accepted files kept across a refused sending (and nobody else's), and application
numbers read however they are typed."""

import io
import json
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from zrunva.applications.models import Application, Document
from zrunva.applications.tests.pdfs import plain_pdf
from zrunva.portal import selectors as held
from zrunva.portal.forms import application_number
from zrunva.portal.services import documents_expire
from zrunva.portal.tests.factories import application_body, application_form

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
API = "/api/v1/portal/applications"
FUTURE = "The birth date cannot be in the future."
CONSENT = "The application needs your consent to process it."


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    # Each test's own holding area, to see exactly which files are kept.
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    return tmp_path


def tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def png(name="photo.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), "image/png")


def fake(name="scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00 not a pdf", "application/pdf")


def send(client, data, files=()):
    return client.post(reverse("portal:apply"), data | {"documents": list(files)}, **EN)


def api(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json", **EN)


def held_files(folder) -> list:
    return sorted(p.name for p in (folder / "portal-held").glob("*"))


# -- Birth dates in the future ------------------------------------------------------------------


def test_the_form_refuses_a_future_birth_date_of_the_applicant_and_of_a_member(client):
    data = application_form(birth_date=tomorrow(), **{"members-0-birth_date": tomorrow()})
    response = send(client, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="#id_birth_date">Birth date: {FUTURE}</a>' in html
    assert f'<a href="#id_members-0-birth_date">Member 1: Birth date: {FUTURE}</a>' in html
    assert not Application.objects.exists()


def test_the_api_refuses_a_future_birth_date_on_its_field_with_the_same_message(client):
    body = application_body()
    body["applicant"]["birth_date"] = tomorrow()
    body["members"][0]["birth_date"] = tomorrow()
    response = api(client, API, body)
    assert response.status_code == 400
    detail = sorted(response.json()["detail"], key=lambda d: d["loc"])
    assert detail == [
        {"loc": ["body", "applicant", "birth_date"], "msg": FUTURE},
        {"loc": ["body", "members", "0", "birth_date"], "msg": FUTURE},
    ]
    assert not Application.objects.exists()


def test_the_api_names_every_broken_rule_in_one_answer(client):
    body = application_body(consent=False)
    body["members"][0]["birth_date"] = tomorrow()
    body["applicant"] = body["applicant"] | {"phone": ""}
    detail = api(client, API, body).json()["detail"]
    assert {tuple(d["loc"]) for d in detail} == {
        ("body", "consent"),
        ("body", "applicant", "phone"),
        ("body", "members", "0", "birth_date"),
    }
    assert CONSENT in [d["msg"] for d in detail]


def test_today_is_a_birth_date(client):
    data = application_form(**{"members-0-birth_date": timezone.localdate().isoformat()})
    assert send(client, data).status_code == 302


# -- One pass, with the consent and the files -----------------------------------------------------


def test_every_error_shows_at_once_and_accepted_files_are_kept(client, private_media):
    data = application_form(
        personal_number="123", consent="", **{"members-0-birth_date": tomorrow()}
    )
    response = send(client, data, [png("certificate.png"), fake()])
    html = response.content.decode()
    summary = html[html.index("error-summary") : html.index("</ul>", html.index("error-summary"))]
    assert 'href="#id_personal_number"' in summary
    assert '<a href="#id_consent">' in summary and CONSENT in summary
    assert (
        'href="#id_documents"' in summary and "scan.pdf is not a PDF, JPEG or PNG file" in summary
    )
    assert 'href="#id_members-0-birth_date"' in summary
    # The good file is kept, named with its size, with a way to remove it.
    assert "Already attached" in html and "certificate.png (" in html
    assert 'name="remove_document"' in html and "Remove certificate.png" in html
    assert len(held_files(private_media)) == 1
    assert not Application.objects.exists() and not Document.objects.exists()

    # Corrected, with no file chosen again: the kept one is the application's.
    fixed = application_form()
    response = send(client, fixed)
    assert response.status_code == 302, response.content.decode()
    document = Document.objects.get()
    assert document.name == "certificate.png" and document.kind == "png"
    assert document.application == Application.objects.get()
    assert held_files(private_media) == []  # released once stored


def test_a_kept_file_counts_towards_the_limit_and_can_be_removed(client, settings, private_media):
    settings.DOCUMENTS_PER_APPLICATION = 2
    data = application_form(consent="")
    send(client, data, [png("a.png"), png("b.png")])
    html = send(client, data, [png("c.png")]).content.decode()
    assert "Send at most 2 documents." in html
    entries = held.held_documents(client.session, submission_key=data["submission_key"])
    assert [e["name"] for e in entries] == ["a.png", "b.png"]
    # "Remove a.png" redraws the form as filled in, without a.png.
    page = client.post(
        reverse("portal:apply"), data | {"remove_document": entries[0]["id"]}, **EN
    ).content.decode()
    assert "a.png (" not in page and "b.png (" in page and "error-summary" not in page
    assert 'value="ნინო"' in page
    assert len(held_files(private_media)) == 1
    assert send(client, application_form()).status_code == 302
    assert list(Document.objects.values_list("name", flat=True)) == ["b.png"]


def test_files_chosen_before_adding_a_member_are_kept(client):
    data = application_form() | {"add_member": "1"}
    html = send(client, data, [png("before-member.png"), fake("bad.pdf")]).content.decode()
    assert "before-member.png (" in html
    assert 'href="#id_documents"' in html and "bad.pdf is not a PDF" in html
    assert send(client, application_form()).status_code == 302
    assert Document.objects.get().name == "before-member.png"


def test_kept_files_are_nobody_elses(client, private_media):
    data = application_form(consent="")
    send(client, data, [png("mine.png")])
    [entry] = held.held_documents(client.session, submission_key=data["submission_key"])
    # Another browser, sending the same form's key and the kept file's id, finds nothing,
    # and cannot remove it.
    other = Client()
    page = other.post(
        reverse("portal:apply"), data | {"remove_document": entry["id"]}, **EN
    ).content.decode()
    assert "mine.png" not in page
    assert held_files(private_media) == [entry["id"]]
    assert send(other, application_form()).status_code == 302
    assert not Document.objects.exists()
    assert held_files(private_media) == [entry["id"]]
    # A key that is not a UUID is no key.
    assert held.held_documents(client.session, submission_key="../../etc") == []


def test_kept_files_expire(client, private_media):
    data = application_form(consent="")
    send(client, data, [png("old.png")])
    assert len(held_files(private_media)) == 1
    assert documents_expire(now=time.time() + held.HELD_FOR + 1) == 1
    assert held_files(private_media) == []
    assert held.held_documents(client.session, submission_key=data["submission_key"]) == []
    assert "old.png" not in send(client, data).content.decode()


# -- Application numbers, however typed ---------------------------------------------------------

SPELLINGS = [
    "ZR 7K2QD M4XPA",
    "zr 7k2qd m4xpa",
    " ZR-7K2QD-M4XPA ",
    "zr7k2qdm4xpa",
    "Z R-7K2QD M4XP A",
]


@pytest.mark.parametrize("typed", SPELLINGS)
def test_a_number_is_read_however_it_is_typed(typed):
    assert application_number(typed) == "ZR-7K2QD-M4XPA"


@pytest.mark.parametrize("typed", ["ZR 7K2QD M4XP", "GR-7K2QD-M4XPA", "ZR-7K2QD-M4XPA!", ""])
def test_what_is_not_a_number_is_refused(client, typed):
    html = client.post(
        reverse("portal:status"), {"number": typed, "personal_number": "01001012345"}, **EN
    ).content.decode()
    assert "An application number looks like ZR-7K2QD-M4XPA." in html or (
        not typed and "This field is required." in html
    )
    lookup = {"number": typed, "personal_number": "01001012345"}
    assert api(Client(), f"{API}/status", lookup).status_code == 422


def _submitted(client) -> Application:
    assert send(client, application_form()).status_code == 302
    return Application.objects.get()


def test_the_status_page_and_the_api_take_a_number_with_inner_spaces(client):
    application = _submitted(client)
    typed = application.number.replace("-", " ").lower()
    response = client.post(
        reverse("portal:status"), {"number": typed, "personal_number": "01001012345"}
    )
    assert response.status_code == 302 and response.url == reverse("portal:application")
    lookup = {"number": typed, "personal_number": "01001012345"}
    assert api(Client(), f"{API}/status", lookup).json()["number"] == application.number
    pdf = SimpleUploadedFile("later.pdf", plain_pdf(), "application/pdf")
    sent = Client().post(
        f"{API}/documents", {"number": typed, "personal_number": "01001012345", "file": pdf}
    )
    assert sent.status_code == 201 and sent.json()["documents"] == ["later.pdf"]
    withdrawn = api(Client(), f"{API}/withdraw", lookup)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
