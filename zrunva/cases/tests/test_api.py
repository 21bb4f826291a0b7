"""Cases and referrals over the API: the pages' rules and permissions."""

import pytest
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.cases.models import SocialCase
from zrunva.cases.tests import factories
from zrunva.services.tests import factories as catalogue

IMERETI = "sca-ge-im"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _post(client, url, body):
    return client.post(url, body, content_type="application/json", **EN)


@pytest.fixture
def worker(login_as):
    return login_as(Role.SOCIAL_WORKER, office=IMERETI)


def test_a_case_is_opened_worked_and_referred_through_the_api(worker, login_as):
    person = factories.person()
    opened = _post(
        worker,
        "/api/v1/cases",
        {
            "person_id": person.pk,
            "category": "elderly",
            "specialisation": "elderly",
            "source": "police",
            "risk": "medium",
            "intake": "Found confused in the street.",
        },
    )
    assert opened.status_code == 201, opened.content
    case_id = opened.json()["id"]
    wrong = _post(worker, f"/api/v1/cases/{case_id}/move", {"to": "review"})
    assert wrong.status_code == 400 and wrong.json()["detail"][0]["loc"] == ["body", "stage"]
    assert _post(worker, f"/api/v1/cases/{case_id}/move", {"to": "assessment"}).status_code == 200
    future = _post(
        worker,
        f"/api/v1/cases/{case_id}/timeline",
        {"kind": "home", "happened_on": "2100-01-01"},
    )
    assert future.status_code == 400
    today = timezone.localdate().isoformat()
    assert (
        _post(
            worker, f"/api/v1/cases/{case_id}/timeline", {"kind": "phone", "happened_on": today}
        ).status_code
        == 201
    )
    organisation = catalogue.organisation("Open Hands")
    service = catalogue.service(catalogue.provider(organisation=organisation))
    referred = _post(
        worker, f"/api/v1/cases/{case_id}/referrals", {"service_id": service.pk, "note": "Lunch"}
    )
    assert referred.status_code == 201
    staff = login_as(Role.SERVICE_PROVIDER, organisation=organisation)
    inbox = staff.get("/api/v1/referrals").json()
    assert [r["id"] for r in inbox] == [referred.json()["id"]]
    answered = _post(staff, f"/api/v1/referrals/{inbox[0]['id']}/answer", {"answer": "accept"})
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"
    other = login_as(Role.SERVICE_PROVIDER, organisation=catalogue.organisation("Other"))
    assert (
        _post(
            other, f"/api/v1/referrals/{inbox[0]['id']}/answer", {"answer": "decline", "text": "x"}
        ).status_code
        == 404
    )
    detail = worker.get(f"/api/v1/cases/{case_id}").json()
    assert (
        detail["referrals"][0]["status"] == "accepted" and detail["entries"][0]["kind"] == "phone"
    )


def test_a_sensitive_case_is_not_there_for_a_colleague_over_the_api(worker, login_as):
    case = factories.case(worker.user, category="trafficking", risk="high")
    colleague = login_as(Role.SOCIAL_WORKER, office=IMERETI)
    assert colleague.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert case.number not in str(colleague.get("/api/v1/cases").json())
    assert worker.get("/api/v1/cases?mine=true").json()["items"][0]["number"] == case.number
    assert login_as(Role.ANALYST).get("/api/v1/cases").status_code == 403
    assert SocialCase.objects.count() == 1
