"""Suspensions and recoveries on an enrolment's page: who may, the forms' errors, four eyes."""

import json
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.test import Client

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue
from zrunva.payments.models import Payment, Recovery, Suspension
from zrunva.payments.tests.factories import paid_month

pytestmark = pytest.mark.django_db


def _url(enrolment, tail: str = "") -> str:
    return f"/en/payments/enrolments/{enrolment.pk}/{tail}"


def test_an_officer_suspends_and_resumes_on_the_enrolment_page(pensioner, login_as):
    officer = login_as(Role.SSA_OFFICER)
    page = officer.get(f"/en/applications/enrolments/{pensioner.pk}/").content.decode()
    assert _url(pensioner) in page  # the payments panel, loaded after the page
    panel = officer.get(_url(pensioner), HTTP_HX_REQUEST="true").content.decode()
    assert "Never suspended." in panel and "Suspend the payment" in panel
    month = pensioner.starts.strftime("%Y-%m")
    refused = officer.post(
        _url(pensioner, "suspend/"), {"suspend-reason": "other", "suspend-starts": month}
    )
    assert refused.status_code == 400
    assert "Say why the payment is suspended." in refused.content.decode()
    done = officer.post(
        _url(pensioner, "suspend/"), {"suspend-reason": "abroad", "suspend-starts": month}
    )
    assert done.status_code == 302 and done["Location"].endswith("#enrolment-payments")
    suspension = Suspension.objects.get(enrolment=pensioner)
    panel = officer.get(_url(pensioner)).content.decode()
    assert "Payment is suspended from" in panel and "Resume the payment" in panel
    refused = officer.post(
        _url(pensioner, "resume/"), {"suspension": suspension.pk, "resume-release": "0"}
    )
    assert refused.status_code == 400
    assert "Give the reason the months suspended are not paid." in refused.content.decode()
    bad = {"suspension": "x", "resume-release": "1"}
    assert officer.post(_url(pensioner, "resume/"), bad).status_code == 404
    officer.post(_url(pensioner, "resume/"), {"suspension": suspension.pk, "resume-release": "1"})
    suspension.refresh_from_db()
    assert suspension.outcome == "resumed" and suspension.resolved_by == officer.user


@pytest.mark.parametrize(
    ("role", "scope", "status"),
    [
        (Role.SOCIAL_WORKER, {}, 403),
        (Role.ANALYST, {}, 403),
        (Role.DPO, {}, 403),
        (Role.SSA_OFFICER, {"office": "ssa-zugdidi"}, 404),
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}, 404),
    ],
)
def test_who_may_not_see_or_act_on_an_enrolments_payments(pensioner, login_as, role, scope, status):
    client = login_as(role, **scope)
    assert client.get(_url(pensioner)).status_code == status
    month = pensioner.starts.strftime("%Y-%m")
    posted = client.post(
        _url(pensioner, "suspend/"), {"suspend-reason": "abroad", "suspend-starts": month}
    )
    assert posted.status_code in (403, 404)
    assert not Suspension.objects.exists()


def test_a_recovery_recorded_by_one_officer_is_approved_by_another(
    pensioner, login_as, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    recorder, approver = login_as(Role.SSA_OFFICER), login_as(Role.SSA_OFFICER)
    paid_month(recorder.user, approver.user, pensioner.starts)
    refused = recorder.post(
        _url(pensioner, "recoveries/"), {"recovery-amount": "600.00", "recovery-note": "x"}
    )
    assert refused.status_code == 400
    assert "More than was paid under this enrolment (GEL\xa0495.00)." in refused.content.decode()
    recorder.post(
        _url(pensioner, "recoveries/"),
        {"recovery-amount": "100.00", "recovery-note": "Declared income found false."},
    )
    recovery = Recovery.objects.get()
    assert recovery.amount == Decimal("100.00") and recovery.recorded_by == recorder.user
    panel = recorder.get(_url(pensioner)).content.decode()
    assert "another officer approves it" in panel and "Approve the recovery" not in panel
    waiting = approver.get("/en/payments/recoveries/").content.decode()
    assert f"/en/applications/enrolments/{pensioner.pk}/" in waiting
    listed = approver.get("/en/payments/payrolls/").content.decode()
    assert "1 recovery of an overpayment is waiting for approval" in listed
    recorder.post(_url(pensioner, "recoveries/approve/"), {"recovery": recovery.pk})
    recovery.refresh_from_db()
    assert recovery.status == "proposed"  # four eyes
    approver.post(_url(pensioner, "recoveries/approve/"), {"recovery": recovery.pk})
    recovery.refresh_from_db()
    assert recovery.status == "approved"
    panel = approver.get(_url(pensioner)).content.decode()
    assert "Left to recover: GEL\xa0100.00." in panel
    refused = approver.post(_url(pensioner, "recoveries/cancel/"), {"recovery": recovery.pk})
    assert refused.status_code == 400
    approver.post(
        _url(pensioner, "recoveries/cancel/"),
        {"recovery": recovery.pk, "cancel-reason": "Repaid at the office."},
    )
    recovery.refresh_from_db()
    assert recovery.status == "cancelled" and not Payment.objects.filter(deducted__gt=0).exists()


def _api(user):
    _, key = api_token_issue(user=user, name="relief")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")


def _post(client, path, body):
    return client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")


def test_the_api_suspends_resumes_and_recovers_with_four_eyes(
    pensioner, make_user, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    officer, other = make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)
    paid_month(officer, other, pensioner.starts)
    client, second = _api(officer), _api(other)
    base = f"/enrolments/{pensioner.pk}"
    listed = client.get(f"/api/v1/people/{pensioner.person_id}/payments").json()
    assert [(p["amount"], p["status"]) for p in listed] == [("495.00", "paid")]
    month = (pensioner.starts + relativedelta(months=1)).isoformat()
    refused = _post(client, f"{base}/suspensions", {"reason": "other", "starts": month})
    assert refused.status_code == 400 and refused.json()["detail"][0]["loc"][-1] == "note"
    made = _post(client, f"{base}/suspensions", {"reason": "abroad", "starts": month})
    assert made.status_code == 201, made.content
    resumed = _post(client, f"{base}/suspensions/{made.json()['id']}/resume", {"release": True})
    assert resumed.json()["outcome"] == "resumed"
    recorded = _post(client, f"{base}/recoveries", {"amount": "40.00", "note": "Paid twice."})
    assert recorded.status_code == 201 and recorded.json()["status"] == "proposed"
    approve = f"{base}/recoveries/{recorded.json()['id']}/approve"
    assert _post(client, approve, {}).status_code == 403  # four eyes
    assert _post(second, approve, {}).json()["status"] == "approved"
    found = client.get(f"/api/v1{base}/payments").json()
    assert [s["outcome"] for s in found["suspensions"]] == ["resumed"]
    assert [(r["amount"], r["outstanding"]) for r in found["recoveries"]] == [("40.00", "40.00")]
    # Others: no role for it, or another area.
    assert _api(make_user(Role.SOCIAL_WORKER)).get(f"/api/v1{base}/payments").status_code == 403
    stranger = _api(make_user(Role.SSA_OFFICER, office="ssa-zugdidi"))
    assert stranger.get(f"/api/v1{base}/payments").status_code == 404
    assert _post(stranger, f"{base}/recoveries", {"amount": "1.00", "note": "x"}).status_code == 404
