"""Steps that record what happened (issue 13, item 5): the home visit's day, the assessment the
"assessed" step rests on, the confirmation before granting, enrolling and withdrawing, and
assignments named in the history."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.applications.choices import EventKind, Status
from zrunva.applications.models import Application
from zrunva.applications.services import (
    VISIT_AHEAD_DAYS,
    application_assign,
    application_transition,
)
from zrunva.applications.tests.factories import pension_application, submit
from zrunva.assessment.tests.factories import assess
from zrunva.core.text import long_date
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


def registered(officer) -> Application:
    """A TSA application registered to a Kutaisi household assessed in 2025 (eligible)."""
    household = factories.household("kutaisi")
    assess(household, 30_000)
    return application_transition(
        actor=officer, application=submit(), to=Status.REGISTERED, household=household
    )


def scheduled(officer, day=None) -> Application:
    day = day or timezone.localdate()
    return application_transition(
        actor=officer,
        application=registered(officer),
        to=Status.HOME_VISIT_SCHEDULED,
        visit_date=day,
    )


# -- The home visit's day ------------------------------------------------------------------


def test_scheduling_a_home_visit_takes_a_day_from_today_within_the_bound(make_user):
    officer = make_user(Role.SSA_OFFICER)
    application = registered(officer)
    today = timezone.localdate()
    last = today + timedelta(days=VISIT_AHEAD_DAYS)
    for day, message in [
        (None, "Give the day of the home visit."),
        (today - timedelta(days=1), "The home visit cannot be in the past."),
        (
            last + timedelta(days=1),
            f"Schedule the home visit within {VISIT_AHEAD_DAYS} days: by {long_date(last)}.",
        ),
    ]:
        with pytest.raises(ValidationError) as error:
            application_transition(
                actor=officer,
                application=application,
                to=Status.HOME_VISIT_SCHEDULED,
                visit_date=day,
            )
        assert error.value.message_dict == {"visit_date": [message]}
    application.refresh_from_db()
    assert application.status == Status.REGISTERED and application.visit_date is None
    moved = application_transition(
        actor=officer, application=application, to=Status.HOME_VISIT_SCHEDULED, visit_date=last
    )
    assert moved.visit_date == last
    event = moved.events.get(to_status=Status.HOME_VISIT_SCHEDULED)
    assert event.visit_date == last
    assert event.what() == f"Registered → Home visit scheduled: visit on {long_date(last)}"


def test_the_page_asks_for_the_visit_day_and_shows_it(login_as):
    client = login_as(Role.SSA_OFFICER)
    application = registered(client.user)
    detail = reverse("applications:detail", args=[application.pk])
    assert 'name="visit_date"' in client.get(detail).content.decode()
    move = reverse("applications:move", args=[application.pk])
    past = (timezone.localdate() - timedelta(days=3)).isoformat()
    html = client.post(move, {"to": Status.HOME_VISIT_SCHEDULED, "visit_date": past})
    assert "The home visit cannot be in the past." in html.content.decode()
    day = timezone.localdate() + timedelta(days=7)
    response = client.post(move, {"to": Status.HOME_VISIT_SCHEDULED, "visit_date": day})
    assert response.status_code == 302
    html = client.get(detail).content.decode()
    assert "Home visit on" in html and html.count(long_date(day)) == 2  # summary and history


# -- The assessment "assessed" rests on -------------------------------------------------------


def test_assessed_needs_the_households_assessment_from_the_visit(make_user):
    officer = make_user(Role.SSA_OFFICER)
    application = scheduled(officer)
    today = timezone.localdate()
    # The 2025 assessment is older than the visit: it does not count.
    with pytest.raises(ValidationError) as error:
        application_transition(actor=officer, application=application, to=Status.ASSESSED)
    assert error.value.message_dict == {
        "assessment": [
            "Record the home visit first: the household has no assessment from "
            f"{long_date(today)} or later."
        ]
    }
    other = assess(factories.household("kutaisi"), 20_000, visit=today)
    with pytest.raises(ValidationError) as error:
        application_transition(
            actor=officer, application=application, to=Status.ASSESSED, assessment=other
        )
    assert error.value.message_dict == {
        "assessment": [
            "Choose an assessment of this household from the home visit, on or after "
            f"{long_date(today)}."
        ]
    }
    visit = assess(application.household, 31_000, visit=today)
    moved = application_transition(actor=officer, application=application, to=Status.ASSESSED)
    assert moved.assessment == visit  # the only one that fits, found
    event = moved.events.get(to_status=Status.ASSESSED)
    assert event.assessment == visit and event.link().endswith(f"/{visit.pk}/")
    assert event.what() == (
        f"Home visit scheduled → Assessed: on the home visit of {long_date(today)}"
    )


def test_with_several_assessments_since_the_officer_chooses(make_user):
    officer = make_user(Role.SSA_OFFICER)
    application = scheduled(officer)
    today = timezone.localdate()
    first = assess(application.household, 31_000, visit=today)
    assess(application.household, 32_000, visit=today)
    with pytest.raises(ValidationError) as error:
        application_transition(actor=officer, application=application, to=Status.ASSESSED)
    assert error.value.message_dict == {
        "assessment": ["The household has several assessments since: choose one."]
    }
    moved = application_transition(
        actor=officer, application=application, to=Status.ASSESSED, assessment=first
    )
    assert moved.assessment == first


def test_the_page_offers_the_households_assessments_and_links_the_one_taken(login_as):
    client = login_as(Role.ADMIN)
    application = scheduled(client.user)
    move = reverse("applications:move", args=[application.pk])
    html = client.post(move, {"to": Status.ASSESSED}).content.decode()
    assert "Record the home visit first" in html
    visit = assess(application.household, 31_000, visit=timezone.localdate())
    detail = reverse("applications:detail", args=[application.pk])
    page = client.get(detail).content.decode()
    assert f'<option value="{visit.pk}" selected>' in page
    assert client.post(move, {"to": Status.ASSESSED, "assessment": visit.pk}).status_code == 302
    page = client.get(detail).content.decode()
    assert page.count(reverse("assessment:detail", args=[visit.pk])) == 2  # summary, history
    assert "rating score 31000" in page


# -- Confirming granting, enrolling and withdrawing --------------------------------------------


def test_granting_shows_what_will_happen_then_is_done_on_confirmation(login_as):
    client = login_as(Role.SSA_OFFICER)
    application, _ = pension_application(officer=client.user)
    move = reverse("applications:move", args=[application.pk])
    page = client.post(move, {"to": Status.DECIDED, "note": "checked"})
    html = page.content.decode()
    assert page.status_code == 200 and "Check and confirm: grant the application" in html
    assert "the person is to be paid GEL\xa0" in html and " a month" in html
    assert "The applicant is told by e-mail, in their language." in html
    assert 'name="confirm" value="yes"' in html and 'value="checked"' in html
    application.refresh_from_db()
    assert application.status == Status.REGISTERED  # nothing done yet
    assert (
        client.post(move, {"to": Status.DECIDED, "note": "checked", "confirm": "yes"}).status_code
        == 302
    )
    application.refresh_from_db()
    assert application.status == Status.DECIDED
    page = client.post(move, {"to": Status.ENROLLED}).content.decode()
    starts = (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)
    amount = f"{application.decision_amount:.2f}"
    assert f"The person will be paid GEL\xa0{amount} a month from {long_date(starts)}." in page
    client.post(move, {"to": Status.ENROLLED, "confirm": "yes"})
    application.refresh_from_db()
    assert application.status == Status.ENROLLED


def test_a_step_the_service_refuses_is_refused_before_its_confirmation(login_as):
    client = login_as(Role.SSA_OFFICER)
    # Too young for the state pension: the rules do not make them eligible.
    application, _ = pension_application(birth_date=timezone.localdate().replace(year=1990))
    move = reverse("applications:move", args=[application.pk])
    html = client.post(move, {"to": Status.DECIDED}).content.decode()
    assert "Check and confirm" not in html
    assert "The programme&#x27;s rules do not make this applicant eligible." in html


def test_withdrawing_is_confirmed_and_cancelling_leaves_it_open(login_as):
    client = login_as(Role.SSA_OFFICER)
    application = submit()
    move = reverse("applications:move", args=[application.pk])
    html = client.post(move, {"to": Status.WITHDRAWN}).content.decode()
    assert "Check and confirm: withdraw the application" in html
    assert "it cannot be reopened" in html
    assert "The applicant is told by SMS, in their language." in html
    assert reverse("applications:detail", args=[application.pk]) in html  # Cancel
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    client.post(move, {"to": Status.WITHDRAWN, "confirm": "yes"})
    application.refresh_from_db()
    assert application.status == Status.WITHDRAWN


def test_registering_needs_no_confirmation(login_as):
    client = login_as(Role.SSA_OFFICER)
    application = submit()
    household = factories.household("kutaisi")
    response = client.post(
        reverse("applications:move", args=[application.pk]),
        {"to": Status.REGISTERED, "household": household.pk},
    )
    assert response.status_code == 302


# -- Assignment in the history -----------------------------------------------------------------


def test_the_history_says_who_an_application_was_assigned_to(login_as, make_user):
    client = login_as(Role.SSA_OFFICER)
    application = submit()
    colleague = make_user(Role.SSA_OFFICER, first_name="Tamar", last_name="Kapanadze")
    application_assign(actor=client.user, application=application, to=colleague)
    application_assign(actor=client.user, application=application, to=None)
    events = list(application.events.filter(kind=EventKind.ASSIGNMENT))
    assert [e.what() for e in events] == ["Assigned to Tamar Kapanadze", "Unassigned"]
    html = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Assigned to Tamar Kapanadze" in html and "Unassigned" in html
    assert "Submitted → Submitted" not in html


# -- The API -------------------------------------------------------------------------------


def _step(client, application, body):
    return client.post(
        f"/api/v1/applications/{application.pk}/steps",
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_the_api_schedules_the_visit_and_links_the_assessment(login_as):
    client = login_as(Role.SSA_OFFICER)
    application = registered(client.user)
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    refused = _step(client, application, {"to": "home_visit_scheduled", "visit_date": past})
    assert refused.status_code == 400
    assert refused.json()["detail"][0]["msg"] == "The home visit cannot be in the past."
    day = timezone.localdate().isoformat()
    moved = _step(client, application, {"to": "home_visit_scheduled", "visit_date": day})
    assert moved.status_code == 200 and moved.json()["visit_date"] == day
    assert moved.json()["events"][-1]["visit_date"] == day
    none = _step(client, application, {"to": "assessed"})
    assert none.status_code == 400
    assert none.json()["detail"][0]["msg"].startswith("Record the home visit first")
    elsewhere = assess(factories.household("kutaisi"), 1, visit=timezone.localdate())
    wrong = _step(client, application, {"to": "assessed", "assessment_id": elsewhere.pk})
    assert wrong.status_code == 400
    assert wrong.json()["detail"][0]["msg"].startswith("Choose an assessment of this household")
    visit = assess(application.household, 31_000, visit=timezone.localdate())
    done = _step(client, application, {"to": "assessed", "assessment_id": visit.pk})
    assert done.status_code == 200 and done.json()["assessment_id"] == visit.pk
    # Granting is one call: the confirmation is the screen's.
    granted = _step(client, application, {"to": "decided"})
    assert granted.status_code == 200 and granted.json()["status"] == "decided"
    application_assign(actor=client.user, application=application, to=None)
    detail = client.get(f"/api/v1/applications/{application.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert detail.json()["events"][-1]["kind"] == "assignment"
