from datetime import UTC, timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Status
from zrunva.applications.models import Application
from zrunva.applications.tests.factories import intake_form, submit
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


def test_the_queue_lists_the_areas_open_applications_most_urgent_first(
    login_as, django_assert_max_num_queries
):
    late = submit(personal_number="01001000001")
    Application.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    fresh = submit(personal_number="01001000002")
    elsewhere = submit(personal_number="01001000003", municipality="tbilisi")
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    with django_assert_max_num_queries(8):
        html = client.get(reverse("applications:queue")).content.decode()
    assert html.index(late.number) < html.index(fresh.number)
    assert elsewhere.number not in html
    assert "Overdue" in html
    overdue = client.get(reverse("applications:queue"), {"overdue": "on"}).content.decode()
    assert late.number in overdue and fresh.number not in overdue


def test_an_officer_registers_an_application_with_its_household(login_as):
    application = submit()
    household = factories.household("kutaisi")
    client = login_as(Role.SSA_OFFICER)
    page = client.get(reverse("applications:detail", args=[application.pk]))
    assert page.status_code == 200 and "Record this step" in page.content.decode()
    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, object_pk=str(application.pk)
    ).exists()
    url = reverse("applications:move", args=[application.pk])
    html = client.post(url, {"to": Status.REGISTERED, "household": ""}).content.decode()
    assert "Match the applicant&#x27;s household in the registry, or register it." in html
    response = client.post(url, {"to": Status.REGISTERED, "household": household.pk})
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.household) == (Status.REGISTERED, household)
    # Without an assessment the rules cannot decide TSA: a refusal then needs the reasons.
    html = client.post(url, {"to": Status.REJECTED, "note": ""}).content.decode()
    assert "The rules cannot decide without data: give the reasons for refusing." in html


def test_a_household_outside_the_area_cannot_be_matched(login_as):
    application = submit(municipality="zugdidi")
    client = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    other = factories.household("kutaisi")
    html = client.post(
        reverse("applications:move", args=[application.pk]),
        {"to": Status.REGISTERED, "household": other.pk},
    ).content.decode()
    assert "No household with this number in your area." in html
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


@pytest.mark.parametrize(
    "role,scope,status",
    [
        (Role.SOCIAL_WORKER, {}, 403),
        (Role.ANALYST, {}, 403),
        (Role.CITIZEN, {}, 403),
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}, 404),  # a state programme's
        (Role.SSA_OFFICER, {"office": "ssa-zugdidi"}, 404),  # another area
    ],
)
def test_others_cannot_open_or_move_an_application(login_as, role, scope, status):
    application = submit()
    client = login_as(role, **scope)
    assert client.get(reverse("applications:detail", args=[application.pk])).status_code == status
    response = client.post(
        reverse("applications:move", args=[application.pk]), {"to": Status.WITHDRAWN}
    )
    assert response.status_code == status
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_an_officer_enters_an_application_for_an_applicant_at_the_office(login_as):
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    response = client.post(reverse("applications:intake"), intake_form())
    application = Application.objects.get()
    assert response.status_code == 302
    assert (application.channel, application.entered_by.username) == (
        "walk_in",
        response.wsgi_request.user.username,
    )
    again = client.post(reverse("applications:intake"), intake_form())
    flagged = Application.objects.get(duplicate_of=application)
    assert again.status_code == 302 and again.url == reverse(
        "applications:detail", args=[flagged.pk]
    )
    html = client.post(
        reverse("applications:intake"),
        intake_form(personal_number="123", consent="", programme=""),
    ).content.decode()
    assert "A personal number has exactly 11 digits." in html
    assert Application.objects.count() == 2


def test_intake_offers_only_the_officers_programmes_and_area(login_as):
    from zrunva.geo.models import Municipality

    client = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    form = client.get(reverse("applications:intake")).context["form"]
    assert set(form.fields["programme"].queryset.values_list("municipality", flat=True)) == {None}
    assert Municipality.objects.get(code="kutaisi") not in form.fields["municipality"].queryset
    html = client.post(reverse("applications:intake"), intake_form()).content.decode()
    assert "Select a valid choice." in html
    assert login_as(Role.SOCIAL_WORKER).get(reverse("applications:intake")).status_code == 403
    assert not Application.objects.exists()


def test_consent_is_asked_at_the_office_too(login_as):
    client = login_as(Role.SSA_OFFICER)
    html = client.post(reverse("applications:intake"), intake_form(consent="")).content.decode()
    assert "The application needs your consent to process it." in html
    assert "Personal Data Protection" in html  # the purpose is stated next to the box
    client.post(reverse("applications:intake"), intake_form(language="en"))
    assert "Personal Data Protection" in Application.objects.get().consent_purpose


def test_delays_give_the_median_and_90th_percentile_per_programme_and_month(login_as, make_user):
    from datetime import datetime

    from zrunva.applications.models import ApplicationEvent
    from zrunva.applications.selectors import delay_indicators

    # Ten TSA applications decided 1 to 10 days after submission, the tenth also enrolled.
    submitted = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    for days in range(1, 11):
        application = submit(personal_number=f"0100100{days:04d}")
        Application.objects.filter(pk=application.pk).update(submitted_at=submitted)
        decided = ApplicationEvent.objects.create(application=application, to_status=Status.DECIDED)
        ApplicationEvent.objects.filter(pk=decided.pk).update(at=submitted + timedelta(days=days))
    enrolled = ApplicationEvent.objects.create(application=application, to_status=Status.ENROLLED)
    ApplicationEvent.objects.filter(pk=enrolled.pk).update(at=submitted + timedelta(days=12))
    submit(personal_number="01001099999", municipality="tbilisi")  # another area, undecided
    officer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    rows = delay_indicators(actor=officer).to_dicts()
    assert rows == [
        {
            "programme": "tsa",
            "municipality": "kutaisi",
            "month": "2026-10",
            "decided": 10,
            "decision_median": 5.5,
            "decision_p90": 9.1,
            "enrolled": 1,
            "enrolment_median": 12.0,
            "enrolment_p90": 12.0,
            "paid": 0,  # nothing paid yet: payments' own test measures that delay
            "payment_median": None,
            "payment_p90": None,
        }
    ]
    page = login_as(Role.SSA_OFFICER, office="ssa-kutaisi").get(reverse("applications:delays"))
    assert page.status_code == 200 and "9.1" in page.content.decode()
    # Analysts see the whole country's figures; others without the role see none.
    analyst = login_as(Role.ANALYST).get(reverse("applications:delays")).content.decode()
    assert "Kutaisi" in analyst and "Tbilisi" in analyst  # names, in the page's language
    assert "kutaisi" not in analyst  # not the codes
    assert login_as(Role.SOCIAL_WORKER).get(reverse("applications:delays")).status_code == 403
    api = login_as(Role.SSA_OFFICER, office="ssa-kutaisi").get("/api/v1/applications/delays")
    assert api.json()[0]["decision_p90"] == 9.1
    assert login_as(Role.CITIZEN).get("/api/v1/applications/delays").status_code == 403


def test_the_queue_filters_by_municipality_and_assignment(login_as):
    from zrunva.applications.services import application_assign

    kutaisi = submit(personal_number="01001000011")
    tbilisi = submit(personal_number="01001000012", municipality="tbilisi")
    client = login_as(Role.SSA_OFFICER)
    application_assign(actor=client.user, application=kutaisi, to=client.user)
    from zrunva.geo.models import Municipality

    html = client.get(
        reverse("applications:queue"),
        {"municipality": Municipality.objects.get(code="tbilisi").pk},
    ).content.decode()
    assert tbilisi.number in html and kutaisi.number not in html
    mine = client.get(reverse("applications:queue"), {"assigned": "me"}).content.decode()
    assert kutaisi.number in mine and tbilisi.number not in mine
    unassigned = client.get(reverse("applications:queue"), {"assigned": "none"}).content.decode()
    assert tbilisi.number in unassigned and kutaisi.number not in unassigned
    zugdidi = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    form = zugdidi.get(reverse("applications:queue")).context["form"]
    assert not form.fields["municipality"].queryset.filter(code="tbilisi").exists()


def test_those_who_define_a_programme_set_its_stages_and_deadlines(login_as):
    from zrunva.applications.models import Workflow

    admin = login_as(Role.ADMIN)
    page = admin.get(reverse("applications:workflows")).content.decode()
    assert "Home visit scheduled (5)" in page and "/workflows/tsa/" in page
    url = reverse("applications:workflow_edit", args=["state_pension"])
    data = {
        "home_visit": "",
        "source": "SSA service standard 2026 (illustrative)",
        "illustrative": "on",
        "deadline_registered": "3",
        "deadline_home_visit_scheduled": "5",
        "deadline_assessed": "10",
        "deadline_decided": "0",
        "deadline_enrolled": "5",
    }
    html = admin.post(url, data).content.decode()
    assert 'href="#id_deadline_decided"' in html
    assert admin.post(url, data | {"deadline_decided": "7"}).status_code == 302
    workflow = Workflow.objects.get(programme__code="state_pension")
    assert workflow.deadline("decided") == 7 and workflow.deadline("registered") == 3
    # Others read the workflows but change none of the state's.
    officer = login_as(Role.SSA_OFFICER)
    assert "/workflows/tsa/" not in officer.get(reverse("applications:workflows")).content.decode()
    assert officer.post(url, data).status_code == 403
    municipal = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    assert municipal.post(url, data | {"deadline_decided": "7"}).status_code == 403
    assert login_as(Role.SOCIAL_WORKER).post(url, data).status_code == 403
