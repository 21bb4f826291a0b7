"""Subject-access requests: received, requester, due 10 days later (Law №3144), answered, by
whom; the open ones listed for the DPO, overdue first (issue 9, finding 4)."""

from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.audit.models import SubjectAccessRequest
from zrunva.audit.services import subject_access_request_answer
from zrunva.audit.tests.factories import subject_access_request
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


def test_a_request_is_due_ten_days_after_receipt_and_its_recording_is_audited(make_user):
    dpo = make_user(Role.DPO)
    request = subject_access_request(dpo, days_ago=3, requester_contact="tamar@example.org")
    assert request.due_on == request.received_on + timedelta(days=10)
    assert request.recorded_by == dpo and request.answered_on is None
    entry = LogEntry.objects.get_for_object(request).get()
    assert entry.action == LogEntry.Action.CREATE and entry.actor == dpo


def test_a_request_cannot_be_received_in_the_future(make_user):
    with pytest.raises(ValidationError, match="future"):
        subject_access_request(make_user(Role.DPO), days_ago=-1)


def test_a_request_names_a_well_formed_personal_number_on_every_entry_point(make_user):
    """The rule is `core.validators.personal_number_validator`, checked by the service too."""
    with pytest.raises(ValidationError) as error:
        subject_access_request(make_user(Role.DPO), number="1234")
    assert error.value.message_dict == {
        "personal_number": ["A personal number has exactly 11 digits."]
    }
    assert not SubjectAccessRequest.objects.exists()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SSA_OFFICER])
def test_only_the_dpo_records_and_answers_requests(make_user, role):
    request = subject_access_request(make_user(Role.DPO))
    other = make_user(role)
    with pytest.raises(PermissionDenied):
        subject_access_request(other)
    with pytest.raises(PermissionDenied):
        subject_access_request_answer(actor=other, request=request)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SSA_OFFICER])
def test_others_cannot_open_the_requests_page(login_as, role):
    client = login_as(role)
    assert client.get("/en/audit/subject-access-requests/").status_code == 403


def test_the_dpo_sees_the_open_requests_overdue_first_and_highlighted(login_as):
    dpo = login_as(Role.DPO)
    recent = subject_access_request(dpo.user, days_ago=2, number="01001066661")
    overdue = subject_access_request(dpo.user, days_ago=15, number="01001066662")
    answered = subject_access_request(dpo.user, days_ago=20, number="01001066663")
    subject_access_request_answer(actor=dpo.user, request=answered)
    home = dpo.get("/en/")
    assert "/en/audit/subject-access-requests/" in home.content.decode()
    page = dpo.get("/en/audit/subject-access-requests/")
    assert [r.pk for r in page.context["requests"]] == [overdue.pk, recent.pk]
    text = page.content.decode()
    assert text.count("row--overdue") == 1
    assert text.index("01001066662") < text.index("01001066661")
    assert "01001066663" not in text
    # Reading the list of requests is itself logged.
    assert LogEntry.objects.filter(
        actor=dpo.user, additional_data__terms__purpose="open requests"
    ).exists()


def test_the_dpo_records_a_request_on_the_page(login_as):
    dpo = login_as(Role.DPO)
    received = timezone.localdate() - timedelta(days=1)
    response = dpo.post(
        "/en/audit/subject-access-requests/",
        {
            "received_on": received.isoformat(),
            "requester_name": "თამარ ბერიძე",
            "requester_contact": "tamar@example.org",
            "personal_number": "01001066666",
            "person_id": "",
            "note": "",
        },
    )
    assert response.status_code == 302
    request = SubjectAccessRequest.objects.get()
    assert (request.received_on, request.due_on) == (received, received + timedelta(days=10))
    refused = dpo.post("/en/audit/subject-access-requests/", {"personal_number": "123"})
    assert refused.status_code == 200 and refused.context["form"].errors


def test_answering_from_the_report_marks_the_request_answered_by_the_dpo(login_as):
    household = factories.household(head={"personal_number": "01001066666"})
    person = household.memberships.get().person
    dpo = login_as(Role.DPO)
    request = subject_access_request(dpo.user, person_id=person.pk)
    report = dpo.get(f"/en/registry/subject-access/{person.pk}/")
    text = report.content.decode()
    assert f"/en/audit/subject-access-requests/{request.pk}/answer/" in text
    response = dpo.post(
        f"/en/audit/subject-access-requests/{request.pk}/answer/",
        {"next": f"/en/registry/subject-access/{person.pk}/"},
    )
    assert response["Location"] == f"/en/registry/subject-access/{person.pk}/"
    request.refresh_from_db()
    assert request.answered_on == timezone.localdate() and request.answered_by == dpo.user
    with pytest.raises(ValidationError, match="already"):
        subject_access_request_answer(actor=dpo.user, request=request)
    assert not dpo.get("/en/audit/subject-access-requests/").context["requests"]
    # The report lists the person's requests too.
    json = dpo.get(f"/en/registry/subject-access/{person.pk}/", {"format": "json"}).json()
    section = next(s for s in json["sections"] if s["key"] == "subject_access_requests")
    assert section["items"][0]["fields"]["answered_by"] == str(dpo.user.pk)


def test_the_answer_redirects_only_within_the_site(login_as):
    dpo = login_as(Role.DPO)
    request = subject_access_request(dpo.user)
    response = dpo.post(
        f"/en/audit/subject-access-requests/{request.pk}/answer/",
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == "/en/audit/subject-access-requests/"


def test_due_date_follows_the_law():
    from zrunva.audit.models import answer_due

    assert answer_due(date(2026, 12, 25)) == date(2027, 1, 4)
