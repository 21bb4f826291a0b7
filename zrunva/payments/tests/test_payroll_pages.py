"""Payrolls on the screens and in the API: prepared by one officer, checked, approved by
another; who may see which payroll."""

import json

import pytest
from django.test import Client

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue
from zrunva.payments.choices import PayrollStep
from zrunva.payments.models import Payroll

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _api(user):
    _, key = api_token_issue(user=user, name="payroll")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", **EN)


def test_prepare_check_and_approve_on_the_screens(
    pensioner,
    login_as,
    django_capture_on_commit_callbacks,
):
    preparer = login_as(Role.SSA_OFFICER)
    month = pensioner.starts.strftime("%Y-%m")
    with django_capture_on_commit_callbacks(execute=True):  # the worker prepares it
        response = preparer.post("/en/payments/payrolls/", {"month": month, "programme": ""})
    payroll = Payroll.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{payroll.pk}/")
    page = preparer.get(f"/en/payments/payrolls/{payroll.pk}/").content.decode()
    assert "1 payment to be paid, GEL\xa0495.00 in all; 0 held." in page
    assert "Accounts changed shortly before" in page  # the account was recorded just now
    preparer.post(f"/en/payments/payrolls/{payroll.pk}/check/")
    page = preparer.get(f"/en/payments/payrolls/{payroll.pk}/").content.decode()
    assert "Approve the payroll" not in page and "another officer approves it" in page
    refused = preparer.post(f"/en/payments/payrolls/{payroll.pk}/approve/", follow=True)
    assert refused.status_code == 403
    approver = login_as(Role.SSA_OFFICER)
    approver.post(f"/en/payments/payrolls/{payroll.pk}/approve/")
    payroll.refresh_from_db()
    assert (payroll.step, payroll.approved_by) == (PayrollStep.APPROVED, approver.user)
    listed = approver.get("/en/payments/payrolls/").content.decode()
    assert f"/en/payments/payrolls/{payroll.pk}/" in listed and "Approved" in listed


def test_the_api_prepares_and_approves_with_four_eyes(
    pensioner,
    make_user,
    django_capture_on_commit_callbacks,
):
    preparer, approver = make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)
    client = _api(preparer)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/payrolls",
            json.dumps({"month": pensioner.starts.isoformat(), "programme": "state_pension"}),
            content_type="application/json",
        )
    assert created.status_code == 202, created.content
    number = created.json()["id"]
    read = client.get(f"/api/v1/payrolls/{number}").json()
    assert (read["step"], read["summary"]["due_total"]) == ("prepared", "495.00")
    assert client.post(f"/api/v1/payrolls/{number}/check").status_code == 200
    assert client.post(f"/api/v1/payrolls/{number}/approve").status_code == 403
    approved = _api(approver).post(f"/api/v1/payrolls/{number}/approve")
    assert approved.status_code == 200 and approved.json()["approved_by"] == approver.username
    bad = client.post(
        "/api/v1/payrolls",
        json.dumps({"month": pensioner.starts.replace(day=2).isoformat()}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["detail"][0]["loc"] == ["body", "month"]


@pytest.mark.parametrize(
    ("role", "scope", "status"),
    [
        (Role.ADMIN, {}, 200),
        (Role.SSA_OFFICER, {"office": "ssa-kutaisi"}, 200),
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}, 404),
        (Role.ANALYST, {}, 403),
        (Role.SUPERVISOR, {}, 403),
        (Role.DPO, {}, 403),
    ],
)
def test_who_sees_a_state_payroll(pensioner, login_as, make_user, role, scope, status):
    payroll = Payroll.objects.create(
        month=pensioner.starts, prepared_by=make_user(Role.SSA_OFFICER)
    )
    client = login_as(role, **scope)
    assert client.get(f"/en/payments/payrolls/{payroll.pk}/").status_code == status
    assert client.post(f"/en/payments/payrolls/{payroll.pk}/check/").status_code in (
        {200: 302}.get(status, status),
    )
