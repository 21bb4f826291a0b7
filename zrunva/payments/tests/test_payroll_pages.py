"""Payrolls on the screens and in the API: prepared by one officer, checked, approved by
another; who may see which payroll."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue
from zrunva.payments.choices import PayrollStep
from zrunva.payments.models import Payroll
from zrunva.programmes.models import Programme

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


@pytest.mark.parametrize(
    ("role", "scope", "status", "payments"),
    [
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}, 200, 200),
        (Role.MUNICIPAL_OFFICER, {"municipality": "batumi"}, 404, 404),
        (Role.ANALYST, {}, 403, 403),
        # A social worker sees the payments of people in their office's area, and no payroll.
        (Role.SOCIAL_WORKER, {"office": "sca-ge-im"}, 403, 200),  # Imereti: Kutaisi
        (Role.SOCIAL_WORKER, {"office": "sca-ge-aj"}, 403, 404),  # Adjara
        (Role.DPO, {}, 403, 403),
    ],
)
def test_who_reaches_a_municipal_payroll_and_its_payments_in_the_api(
    approved, make_user, role, scope, status, payments
):
    """The API refuses as the screens do: a municipal programme's payroll is its
    municipality's officers' (another municipality's are told it does not exist), and roles
    that pay nobody reach no payroll and apply no answer."""
    from zrunva.geo.models import Municipality

    payroll, officer = approved
    payroll.programme = payroll.payments.first().programme
    payroll.save(update_fields=["programme"])
    Programme.objects.filter(pk=payroll.programme_id).update(
        municipality=Municipality.objects.get(code="kutaisi")
    )
    payee = payroll.payments.first().payee_id
    client = _api(make_user(role, **scope))
    listed = client.get("/api/v1/payrolls")
    assert listed.status_code == (403 if status == 403 else 200)
    if status != 403:
        assert [p["id"] for p in listed.json()] == ([payroll.pk] if status == 200 else [])
    assert client.get(f"/api/v1/payrolls/{payroll.pk}").status_code == status
    assert client.get(f"/api/v1/people/{payee}/payments").status_code == payments
    if status != 200:
        answer = SimpleUploadedFile("answer.csv", b"end_to_end_id,amount,currency,status\n")
        for refused in (
            client.post(f"/api/v1/payrolls/{payroll.pk}/approve"),
            client.post(f"/api/v1/payrolls/{payroll.pk}/export"),
            client.post(f"/api/v1/payrolls/{payroll.pk}/answers", {"kind": "csv", "file": answer}),
        ):
            assert refused.status_code == status
        payroll.refresh_from_db()
        assert payroll.step == PayrollStep.APPROVED and not payroll.files.exists()


def test_only_accounts_changed_in_the_review_window_are_flagged(approved, settings):
    from datetime import timedelta

    from zrunva.payments.models import PaymentAccount
    from zrunva.payments.selectors import payroll_recent_account_changes

    payroll, officer = approved
    accounts = list(PaymentAccount.objects.order_by("pk"))
    assert list(payroll_recent_account_changes(payroll=payroll)) == accounts  # just recorded
    window = timedelta(days=settings.PAYMENT_ACCOUNT_REVIEW_DAYS)
    older, edge = accounts[0], accounts[1]
    PaymentAccount.objects.filter(pk=older.pk).update(
        recorded_at=payroll.created_at - window - timedelta(seconds=1)
    )
    PaymentAccount.objects.filter(pk=edge.pk).update(recorded_at=payroll.created_at - window)
    assert list(payroll_recent_account_changes(payroll=payroll)) == accounts[1:]
