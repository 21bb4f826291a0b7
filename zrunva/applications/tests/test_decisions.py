"""Deciding on the eligibility explanation, the decision letter, enrolment, assignment,
documents served to staff, and the review after an appeal."""

from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Status
from zrunva.applications.letters import decision_letter
from zrunva.applications.models import Enrolment
from zrunva.applications.services import (
    application_assign,
    application_reopen,
    application_transition,
    document_add,
)
from zrunva.applications.tests.factories import enrolled_application, pension_application
from zrunva.applications.tests.pdfs import plain_pdf

pytestmark = pytest.mark.django_db

PDF = plain_pdf()


def test_a_grant_records_the_explanation_and_enrolment_follows():
    application, officer = pension_application()
    application_transition(actor=officer, application=application, to=Status.DECIDED)
    application.refresh_from_db()
    today = timezone.localdate()
    basis = application.decision_reasons
    assert basis["status"] == "eligible" and basis["reason"] == "criteria_met"
    assert application.decision_amount == Decimal("495.00")  # over 70, 2026 amount
    assert [c["value"] for c in basis["conditions"]] == [True]
    assert "person.age" in basis["conditions"][0]["text"]
    assert {p["code"] for p in basis["parameters"]} >= {"pension_age_men", "pension_from_70"}
    assert all(p["source"] for p in basis["parameters"])
    assert application.appeal_until == today + relativedelta(months=1)
    application_transition(actor=officer, application=application, to=Status.ENROLLED)
    enrolment = Enrolment.objects.get()
    assert enrolment.person.personal_number == application.personal_number
    assert enrolment.amount == Decimal("495.00")
    assert enrolment.starts == today.replace(day=1) + relativedelta(months=1)
    assert enrolment.household_id == application.household_id


def test_the_rules_decide_what_an_officer_may_record():
    application, officer = pension_application(birth_date=date(1980, 1, 1))
    with pytest.raises(ValidationError) as error:
        application_transition(actor=officer, application=application, to=Status.DECIDED)
    assert error.value.message_dict["status"] == [
        "The programme's rules do not make this applicant eligible."
    ]
    application_transition(actor=officer, application=application, to=Status.REJECTED)
    application.refresh_from_db()
    assert application.decision_reasons["conditions"][0]["value"] is False
    assert application.decision_amount is None
    eligible, officer = pension_application(officer=officer)
    with pytest.raises(ValidationError) as error:
        application_transition(actor=officer, application=eligible, to=Status.REJECTED)
    assert "give the reasons for refusing" in error.value.message_dict["note"][0]


def test_the_letter_is_a_pdf_in_the_applicants_language():
    for language in ("ka", "en"):
        application, officer = pension_application(language=language)
        application_transition(actor=officer, application=application, to=Status.DECIDED)
        application.refresh_from_db()
        letter = decision_letter(application)
        assert letter.startswith(b"%PDF-") and letter.rstrip().endswith(b"%%EOF")
        assert f"/Lang ({language})".encode() in letter


def test_an_appeal_is_reviewed_by_another_officer(make_user):
    application, officer = pension_application(birth_date=date(1980, 1, 1))
    application_transition(actor=officer, application=application, to=Status.REJECTED)
    application_reopen(actor=None, application=application, note="Appeal GR-1")
    application.refresh_from_db()
    assert application.status == Status.REGISTERED and application.assigned_to is None
    with pytest.raises(PermissionDenied):
        application_transition(
            actor=officer, application=application, to=Status.REJECTED, note="Again"
        )
    with pytest.raises(ValidationError):
        application_assign(actor=officer, application=application, to=officer)
    other = make_user(Role.SSA_OFFICER)
    application_assign(actor=officer, application=application, to=other)
    application_transition(actor=other, application=application, to=Status.REJECTED)
    application.refresh_from_db()
    assert application.status == Status.REJECTED
    with pytest.raises(ValidationError):
        application_reopen(actor=None, application=enrolled_application(), note="late")


def test_only_officers_of_the_programme_and_area_are_assigned(make_user):
    application, officer = pension_application()
    elsewhere = make_user(Role.SSA_OFFICER, office="ssa-zugdidi")
    municipal = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    for wrong in (elsewhere, municipal):
        with pytest.raises(ValidationError) as error:
            application_assign(actor=officer, application=application, to=wrong)
        assert error.value.message_dict["assigned_to"] == [
            "This officer does not process this application."
        ]
    with pytest.raises(PermissionDenied):
        application_assign(actor=elsewhere, application=application, to=elsewhere)
    local = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    application_assign(actor=officer, application=application, to=local)
    application.refresh_from_db()
    assert application.assigned_to == local
    assert application.events.filter(kind="assignment").count() == 1


def test_documents_are_served_only_to_staff_processing_the_application(login_as):
    application, officer = pension_application()
    document = document_add(
        actor=officer,
        application=application,
        upload=SimpleUploadedFile("income.pdf", PDF, "application/pdf"),
    )
    url = reverse("applications:document", args=[application.pk, document.pk])
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(document.pk)
    ).exists()
    assert login_as(Role.SSA_OFFICER, office="ssa-zugdidi").get(url).status_code == 404
    assert login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi").get(url).status_code == 404
    assert login_as(Role.ANALYST).get(url).status_code == 403
    assert login_as(Role.SOCIAL_WORKER).get(url).status_code == 403
    assert client.get(f"/media/{document.file.name}").status_code == 404


def test_the_staff_page_assigns_adds_documents_and_gives_the_letter(login_as):
    application, officer = pension_application()
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    detail = reverse("applications:detail", args=[application.pk])
    html = client.get(detail).content.decode()
    assert "Assign to" in html and "Add a document" in html
    response = client.post(
        reverse("applications:assign", args=[application.pk]), {"assigned_to": client.user.pk}
    )
    assert response.status_code == 302
    fake = SimpleUploadedFile("x.png", b"GIF89a", "image/png")
    html = client.post(
        reverse("applications:document_upload", args=[application.pk]), {"file": fake}
    ).content.decode()
    assert "x.png is not a PDF, JPEG or PNG file" in html
    assert client.get(reverse("applications:letter", args=[application.pk])).status_code == 404
    move = reverse("applications:move", args=[application.pk])
    client.post(move, {"to": Status.DECIDED, "confirm": "yes"})
    letter = client.get(reverse("applications:letter", args=[application.pk]))
    assert letter.status_code == 200 and letter.content.startswith(b"%PDF-")
