from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Status as ApplicationStatus
from zrunva.grievances.choices import Channel, Status
from zrunva.grievances.models import Grievance
from zrunva.grievances.services import grievances_escalate
from zrunva.grievances.tests.factories import appeal, grievance, refused_application

pytestmark = pytest.mark.django_db


def test_the_queue_lists_the_areas_grievances_due_soonest_first(
    login_as, django_assert_max_num_queries
):
    late = grievance(personal_number="01001000001")
    Grievance.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - timedelta(days=2))
    fresh = grievance(personal_number="01001000002")
    elsewhere = grievance(personal_number="01001000003", municipality="zugdidi")
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("grievances:queue"))
    html = response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    assert html.index(late.number) < html.index(fresh.number)
    assert elsewhere.number not in html
    assert html.count("Overdue</strong>") == 1
    overdue = client.get(reverse("grievances:queue"), {"overdue": "on"}).content.decode()
    assert late.number in overdue and fresh.number not in overdue
    grievances_escalate()
    escalated = client.get(reverse("grievances:queue"), {"escalated": "on"}).content.decode()
    assert late.number in escalated and fresh.number not in escalated
    assert LogEntry.objects.filter(additional_data__purpose="search").count() == 3
    assert reverse("grievances:queue") in client.get(reverse("home")).content.decode()


@pytest.mark.parametrize(
    "role,scope,status",
    [
        (Role.ANALYST, {}, 403),
        (Role.SOCIAL_WORKER, {"office": "ssa-kutaisi"}, 403),
        (Role.DPO, {}, 403),
        (Role.SSA_OFFICER, {"office": "ssa-zugdidi"}, 404),
        (Role.MUNICIPAL_OFFICER, {"municipality": "zugdidi"}, 404),
        (Role.SUPERVISOR, {"office": "ssa-zugdidi"}, 404),
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}, 200),
        (Role.SUPERVISOR, {"office": "ssa-kutaisi"}, 200),
        (Role.ADMIN, {}, 200),
    ],
)
def test_who_sees_a_grievance(login_as, role, scope, status):
    filed = grievance()
    client = login_as(role, **scope)
    assert client.get(reverse("grievances:detail", args=[filed.pk])).status_code == status
    queue = client.get(reverse("grievances:queue"))
    assert queue.status_code == (403 if status == 403 else 200)
    if status == 404:
        assert filed.number not in queue.content.decode()
    assign = client.post(
        reverse("grievances:assign", args=[filed.pk]), {"assigned_to": client.user.pk}
    )
    assert assign.status_code == (302 if status == 200 else status)
    filed.refresh_from_db()
    assert (filed.assigned_to == client.user) is (status == 200)


def test_anonymous_staff_pages_ask_to_sign_in(client):
    response = client.get(reverse("grievances:queue"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_officer_takes_a_grievance_and_answers_it(login_as):
    filed = grievance()
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    page = client.get(reverse("grievances:detail", args=[filed.pk])).content.decode()
    assert "Assign to me" in page and "Resolve and send the answer" not in page
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(filed.pk), additional_data__purpose="view"
    ).exists()
    response = client.post(
        reverse("grievances:assign", args=[filed.pk]), {"assigned_to": client.user.pk}
    )
    assert response.status_code == 302
    page = client.get(reverse("grievances:detail", args=[filed.pk])).content.decode()
    assert "Resolve and send the answer" in page
    url = reverse("grievances:resolve", args=[filed.pk])
    html = client.post(url, {"resolution": ""}).content.decode()
    assert 'href="#id_resolution"' in html
    assert "Write the answer to the complainant." in html
    assert client.post(url, {"resolution": "We are sorry."}).status_code == 302
    filed.refresh_from_db()
    assert (filed.status, filed.resolution) == (Status.RESOLVED, "We are sorry.")
    page = client.get(reverse("grievances:detail", args=[filed.pk])).content.decode()
    assert "Assign to me" not in page and "We are sorry." in page


def test_the_assign_form_leaves_out_who_may_not_have_it(login_as, make_user):
    decider = make_user(Role.SSA_OFFICER, office="ssa-kutaisi", first_name="Decider")
    filed = appeal(refused_application(decider))
    reviewer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi", first_name="Reviewer")
    make_user(Role.SSA_OFFICER, office="ssa-zugdidi", first_name="Faraway")
    client = login_as(Role.SUPERVISOR, office="ssa-kutaisi")
    page = client.get(reverse("grievances:detail", args=[filed.pk])).content.decode()
    assert "Reviewer" in page and "Decider" not in page and "Faraway" not in page
    url = reverse("grievances:assign", args=[filed.pk])
    html = client.post(url, {"assigned_to": decider.pk}).content.decode()
    assert "Choose someone from the list." in html
    assert client.post(url, {"assigned_to": reviewer.pk}).status_code == 302
    # The decider, opening it, is not offered to take it.
    decider_client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    decider_client.force_login(decider)
    page = decider_client.get(reverse("grievances:detail", args=[filed.pk])).content.decode()
    assert "Assign to me" not in page
    assert decider_client.post(url, {"assigned_to": decider.pk}).status_code == 200
    filed.refresh_from_db()
    assert filed.assigned_to == reviewer


def test_a_grievance_is_entered_at_the_office(login_as):
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    url = reverse("grievances:file")
    form = client.get(url).content.decode()
    assert 'name="csrfmiddlewaretoken"' in form and 'for="id_personal_number"' in form
    assert "Zugdidi" not in form  # only the officer's municipality is offered
    html = client.post(url, {"personal_number": "123", "language": "ka"}).content.decode()
    assert 'href="#id_first_name"' in html and "Enter the first name." in html
    assert "Describe what happened and what you ask for." in html
    data = {
        "personal_number": "123",
        "first_name": "ნინო",
        "last_name": "ბერიძე",
        "language": "ka",
        "category": "payment",
        "text": "The benefit did not arrive.",
        "municipality": client.user.municipality_id,
    }
    html = client.post(url, data).content.decode()
    assert (
        'href="#id_personal_number"' in html and "A personal number has exactly 11 digits." in html
    )
    response = client.post(url, data | {"personal_number": "01001012345"})
    filed = Grievance.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("grievances:detail", args=[filed.pk])
    assert (filed.channel, filed.entered_by) == (Channel.WALK_IN, client.user)


def test_an_appeal_entered_at_the_office_reopens_the_application(login_as, make_user):
    refused = refused_application(make_user(Role.SSA_OFFICER))
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    data = {
        "personal_number": refused.personal_number,
        "first_name": "ნინო",
        "last_name": "ბერიძე",
        "language": "ka",
        "category": "decision_appeal",
        "text": "I was at the office that day.",
        "application": refused.number,
    }
    assert client.post(reverse("grievances:file"), data).status_code == 302
    refused.refresh_from_db()
    assert refused.status == ApplicationStatus.SUBMITTED
    html = client.post(reverse("grievances:file"), data).content.decode()
    assert 'href="#id_application"' in html
    assert "An appeal against this decision is already being reviewed." in html
