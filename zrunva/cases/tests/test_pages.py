"""The case pages: a worker opens a case from a person's page, adds to its timeline (a date
before the case refused), writes a plan and moves it on; the supervisor's page; a sensitive
case invisible to a colleague until emergency access; the person's panel."""

import datetime

import pytest
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.cases.models import BreakGlass, SocialCase
from zrunva.cases.tests import factories
from zrunva.services.tests import factories as catalogue

IMERETI = "sca-ge-im"


@pytest.fixture
def worker(login_as):
    return login_as(Role.SOCIAL_WORKER, office=IMERETI)


def test_a_worker_opens_and_works_a_case(worker, login_as):
    person = factories.person()
    page = worker.get(f"/en/registry/people/{person.pk}/")
    assert page.status_code == 200
    opened = worker.post(
        f"/en/cases/open/{person.pk}/",
        {
            "category": "elderly",
            "specialisation": "elderly",
            "source": "hotline",
            "risk": "high",
            "intake": "Alone, no heating.",
        },
    )
    case = SocialCase.objects.get()
    assert opened.url == f"/en/cases/{case.pk}/" and case.assigned_to == worker.user
    today = timezone.localdate()
    early = worker.post(
        f"/en/cases/{case.pk}/timeline/",
        {"kind": "home", "happened_on": (today - datetime.timedelta(days=5)).isoformat()},
        follow=True,
    )
    assert "nothing on it happened before" in early.content.decode()
    worker.post(
        f"/en/cases/{case.pk}/timeline/",
        {"kind": "home", "happened_on": today.isoformat(), "note": "Visited."},
    )
    worker.post(f"/en/cases/{case.pk}/move/", {"to": "assessment"})
    worker.post(f"/en/cases/{case.pk}/move/", {"to": "plan"})
    bad = worker.post(
        f"/en/cases/{case.pk}/plan/",
        {"goals": "Warm home.", "review_on": today.isoformat(), "actions": "Firewood"},
    )
    text = bad.content.decode()
    assert "Line 1: write what | who | YYYY-MM-DD." in text
    worker.post(
        f"/en/cases/{case.pk}/plan/",
        {
            "goals": "Warm home.",
            "review_on": (today + datetime.timedelta(days=60)).isoformat(),
            "actions": f"Firewood | Municipality | {today.isoformat()} | 999999",
        },
    )
    # A catalogue number that is no public service is refused at the field.
    assert not case.plans.exists()
    centre = catalogue.service(catalogue.provider(organisation=catalogue.organisation("O")))
    worker.post(
        f"/en/cases/{case.pk}/plan/",
        {
            "goals": "Warm home.",
            "review_on": (today + datetime.timedelta(days=60)).isoformat(),
            "actions": f"Firewood | Municipality | {today.isoformat()}\n"
            f"Lunch | Day centre | {today.isoformat()} | {centre.pk}",
        },
    )
    assert case.plans.get().actions.filter(service=centre).exists()
    worker.post(f"/en/cases/{case.pk}/move/", {"to": "implementation"})
    case.refresh_from_db()
    assert case.stage == "implementation" and case.first_contact_at is not None
    detail = worker.get(f"/en/cases/{case.pk}/").content.decode()
    assert "Warm home." in detail and "Visited." in detail
    supervisor = login_as(Role.SUPERVISOR, office=IMERETI)
    home = supervisor.get("/en/cases/").content.decode()
    assert "Caseload" in home and worker.user.username in home
    assert 'href="/en/outreach/"' in home and 'href="/en/cases/team/"' in home
    # The worker cannot close; the supervisor can.
    assert (
        worker.post(f"/en/cases/{case.pk}/close/", {"outcome": "met", "note": "x"}).status_code
        == 403
    )
    supervisor.post(f"/en/cases/{case.pk}/close/", {"outcome": "met", "note": "Warm now."})
    case.refresh_from_db()
    assert case.stage == "closed"


def test_a_sensitive_case_is_invisible_until_emergency_access(worker, login_as):
    case = factories.case(worker.user, category="violence", risk="high")
    colleague = login_as(Role.SOCIAL_WORKER, office=IMERETI)
    assert colleague.get(f"/en/cases/{case.pk}/").status_code == 404
    panel = colleague.get(f"/en/cases/people/{case.person_id}/").content.decode()
    assert case.number not in panel
    assert (
        worker.get(f"/en/cases/people/{case.person_id}/").content.decode().count(case.number) == 1
    )
    short = colleague.post(f"/en/cases/{case.pk}/emergency/", {"reason": "now"})
    assert short.status_code == 200 and not BreakGlass.objects.exists()
    granted = colleague.post(
        f"/en/cases/{case.pk}/emergency/",
        {"reason": "Police at the door, the worker does not answer."},
    )
    assert granted.url == f"/en/cases/{case.pk}/"
    assert colleague.get(f"/en/cases/{case.pk}/").status_code == 200
    dpo = login_as(Role.DPO)
    assert case.number in dpo.get("/en/cases/emergency-access/").content.decode()
    assert login_as(Role.ANALYST).get("/en/cases/").status_code == 403
    assert dpo.get("/en/cases/").status_code == 403


def test_a_worker_assesses_the_person_with_a_form(worker):
    from zrunva.questionnaires.models import Form

    case = factories.case(worker.user)
    form = Form.objects.get(code="functional-needs")
    choose = worker.get(f"/en/cases/{case.pk}/assess/").content.decode()
    assert "Functional needs of older persons" in choose
    url = f"/en/cases/{case.pk}/assess/?form={form.pk}"
    wrong = worker.post(url, {"form": form.pk, "action": "submit", "age": "300"}).content.decode()
    assert "There is a problem" in wrong and not case.assessments.exists()
    kept = worker.post(url, {"form": form.pk, "action": "draft", "age": "81"})
    linked = case.assessments.get()
    assert kept.url == f"/en/cases/{case.pk}/assess/{linked.pk}/"
    response = linked.response
    assert response.person_id == case.person_id and response.answers == {"age": 81}
    assert response.survey_id is None
    page = worker.get(f"/en/cases/{case.pk}/").content.decode()
    assert "Functional needs of older persons" in page


def test_the_household_panel_shows_only_the_cases_one_reads(worker, login_as):
    case = factories.case(worker.user, category="violence", risk="high")
    ordinary = factories.case(worker.user, case.person)
    colleague = login_as(Role.SOCIAL_WORKER, office=IMERETI)
    panel = colleague.get(f"/en/cases/households/{case.household_id}/").content.decode()
    assert ordinary.number in panel and case.number not in panel
    assert case.number in worker.get(f"/en/cases/households/{case.household_id}/").content.decode()


def test_the_home_page_shows_the_first_of_each_list_and_links_the_rest(worker, settings):
    from zrunva.cases import views

    for _ in range(views.SHOWN + 1):
        factories.case(worker.user)
    home = worker.get("/en/cases/").content.decode()
    assert home.count("/en/cases/lists/mine/") == 1
    whole = worker.get("/en/cases/lists/mine/").content.decode()
    assert whole.count('href="/en/cases/') >= views.SHOWN + 1
    assert worker.get("/en/cases/lists/nothing/").status_code == 404
