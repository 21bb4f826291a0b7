"""Issue 9, findings 13 (lockout per account, password policy, two-step sign-in) and 16
(production settings by default, HSTS preload, API tokens that expire and can be listed)."""

import importlib
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from zrunva.accounts.choices import Role
from zrunva.accounts.models import ApiToken
from zrunva.accounts.services import api_token_issue
from zrunva.geo.models import Office

pytestmark = pytest.mark.django_db

PASSWORD = "Zrunva-test-pass-1"
ROOT = Path(settings.BASE_DIR)
LOGIN = "/en/accounts/login/"
VERIFY = "/en/accounts/two-factor/code/"
SETUP = "/en/accounts/two-factor/set-up/"
PAGE = "/en/registry/people/"
API = "/api/v1/people"


def _login(client, username, password, address="127.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _next_time_step(device: TOTPDevice) -> None:
    """As if the next 30-second code had appeared: a code counts once only."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )


# Finding 13: lockout per account, not only per (account, address).


def test_guesses_from_many_addresses_lock_the_account(make_user):
    user = make_user(Role.SSA_OFFICER)
    for attempt in range(80):
        address = f"10.0.0.{attempt % 20 + 1}"  # four guesses from each of 20 addresses
        response = _login(Client(), user.username, f"wrong-{attempt}", address)
        assert "_auth_user_id" not in Client().session
    client = Client()
    response = _login(client, user.username, PASSWORD, "10.9.9.9")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "signing in to this account is blocked for a while, wherever it is tried from" in (
        response.content.decode()
    )


def test_the_account_limit_is_reached_before_80_guesses(make_user):
    user = make_user(Role.SSA_OFFICER)
    for attempt in range(settings.AXES_ACCOUNT_FAILURE_LIMIT):
        _login(Client(), user.username, "wrong", f"10.1.{attempt}.1")
    assert _login(Client(), user.username, PASSWORD, "10.2.0.1").status_code == 429


def test_a_few_typos_at_one_computer_do_not_lock_the_owner_out_elsewhere(make_user):
    user = make_user(Role.SSA_OFFICER)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(Client(), user.username, "wrong", "10.3.0.1")
    assert _login(Client(), user.username, PASSWORD, "10.3.0.2").status_code == 302


def test_a_locked_account_keeps_its_api_token(make_user):
    user = make_user(Role.SSA_OFFICER)
    _, key = api_token_issue(user=user, name="integration")
    for attempt in range(settings.AXES_ACCOUNT_FAILURE_LIMIT):
        _login(Client(), user.username, "wrong", f"10.4.{attempt}.1")
    assert _login(Client(), user.username, PASSWORD, "10.4.99.1").status_code == 429
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get(API).status_code == 200


# Finding 13: password policy.

WORD_WITH_DIGITS = (
    "This password is a common word or place with digits added, such as a year; such "
    "passwords are guessed first. Use several unrelated words."
)
TOO_SHORT = "This password is too short. It must contain at least 12 characters."


@pytest.mark.parametrize(
    ("password", "messages"),
    [
        ("georgia2026", [TOO_SHORT, WORD_WITH_DIGITS]),
        ("tbilisi2024", [TOO_SHORT, WORD_WITH_DIGITS]),
        ("Password1234", ["This password is too common.", WORD_WITH_DIGITS]),
        ("Georgia-2026-2026", [WORD_WITH_DIGITS]),
        ("Kutaisi!19991999", [WORD_WITH_DIGITS]),
        ("Zrunva2026", [TOO_SHORT, WORD_WITH_DIGITS]),
        ("Lemontree26", [TOO_SHORT]),
        ("123456789012345", ["This password is entirely numeric."]),
    ],
)
def test_weak_passwords_are_refused_with_their_reasons(password, messages):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert error.value.messages == messages


@pytest.mark.parametrize(
    "password", ["Zrunva-demo-2026", PASSWORD, "Another-long-pass-9", "tbilisi river lamp 7"]
)
def test_passphrases_pass(password):
    validate_password(password)


def test_the_password_change_form_refuses_a_place_and_a_year(make_user):
    user = make_user(Role.ANALYST)
    client = Client()
    client.force_login(user)
    response = client.post(
        "/en/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Batumi-20252025",
            "new_password2": "Batumi-20252025",
        },
    )
    assert response.status_code == 200
    assert "common word or place with digits added" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# Finding 13: two-step sign-in.


def _production_settings(**env) -> dict:
    """Values of config.settings.production, imported in a fresh interpreter with a production
    environment (no DJANGO_DEBUG, a long secret key)."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "MFA_REQUIRED"}}
    clean.update({"SECRET_KEY": "k" * 64, "DJANGO_SETTINGS_MODULE": "", **env})
    code = (
        "import config.settings.production as p; "
        "print(p.MFA_REQUIRED, p.SECURE_HSTS_PRELOAD, p.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "p.SECURE_HSTS_SECONDS, p.API_TOKEN_DAYS)"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    mfa, preload, subdomains, seconds, days = out.stdout.split()
    return {
        "MFA_REQUIRED": mfa == "True",
        "SECURE_HSTS_PRELOAD": preload == "True",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": subdomains == "True",
        "SECURE_HSTS_SECONDS": int(seconds),
        "API_TOKEN_DAYS": int(days),
    }


def test_production_settings_refuse_a_national_officer_without_a_second_factor(make_user):
    production = _production_settings()
    assert production["MFA_REQUIRED"] is True
    officer = make_user(Role.SSA_OFFICER)  # no office: the whole country
    client = Client()
    with override_settings(MFA_REQUIRED=production["MFA_REQUIRED"]):
        assert _login(client, officer.username, PASSWORD).status_code == 302
        page = client.get(PAGE)
        assert page.status_code == 302
        assert page["Location"] == f"{VERIFY}?next=%2Fen%2Fregistry%2Fpeople%2F"
        assert client.get("/en/").status_code == 302
        assert client.get("/en/admin/").status_code == 302
        assert client.get(API).status_code == 401  # the session counts as signed out
        # No device yet: the code page sends them to set one up.
        assert client.get(page["Location"])["Location"].startswith(SETUP)
        assert client.get(SETUP).status_code == 200
        device = TOTPDevice.objects.get(user=officer, confirmed=False)
        assert client.get(PAGE).status_code == 302  # an unconfirmed device is not a factor
        response = client.post(SETUP, {"code": _code(device), "next": PAGE})
        assert response.status_code == 302 and response["Location"] == PAGE
        assert client.get(PAGE).status_code == 200
        assert client.get(API).status_code == 200


def test_the_setup_page_shows_a_qr_code_and_the_key(make_user):
    client = Client()
    client.force_login(make_user(Role.ADMIN))
    body = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(confirmed=False)
    import base64

    secret = base64.b32encode(device.bin_key).decode()
    assert "<svg" in body
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in body


@override_settings(MFA_REQUIRED=True)
def test_a_wrong_code_is_refused_and_the_right_one_signs_in(make_user):
    admin = make_user(Role.ADMIN)
    device = TOTPDevice.objects.create(user=admin, name="app", confirmed=True)
    client = Client()
    _login(client, admin.username, PASSWORD)
    assert client.get(PAGE)["Location"].startswith(VERIFY)
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert "That code is not right. Enter the six digits your app shows now." in (
        response.content.decode()
    )
    # Straight after a wrong code, even the right one waits (django-otp's throttling).
    response = client.post(VERIFY, {"code": _code(device)})
    assert "Too many wrong codes in a row." in response.content.decode()
    assert client.get(PAGE).status_code == 302
    _next_time_step(device)
    response = client.post(VERIFY, {"code": _code(device), "next": PAGE})
    assert response["Location"] == PAGE
    assert client.get(PAGE).status_code == 200


@override_settings(MFA_REQUIRED=True)
def test_staff_of_an_office_and_municipal_officers_need_no_second_factor(make_user):
    office = Office.objects.first()
    for user in (
        make_user(Role.SSA_OFFICER, office=office.code),
        make_user(Role.MUNICIPAL_OFFICER, municipality=office.municipalities.first().code),
    ):
        client = Client()
        _login(client, user.username, PASSWORD)
        assert client.get(PAGE).status_code == 200


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DPO, Role.SUPERVISOR, Role.SOCIAL_WORKER])
@override_settings(MFA_REQUIRED=True)
def test_administrators_the_dpo_and_national_staff_need_a_second_factor(make_user, role):
    client = Client()
    _login(client, make_user(role).username, PASSWORD)
    assert client.get("/en/")["Location"].startswith(VERIFY)


@override_settings(MFA_REQUIRED=True)
def test_an_api_token_of_a_national_officer_needs_no_second_factor(make_user):
    _, key = api_token_issue(user=make_user(Role.SSA_OFFICER), name="integration")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get(API).status_code == 200


def test_without_mfa_required_staff_sign_in_with_a_password(make_user):
    assert settings.MFA_REQUIRED is False  # the demo's and the tests' default
    client = Client()
    _login(client, make_user(Role.ADMIN).username, PASSWORD)
    assert client.get(PAGE).status_code == 200


def test_a_device_set_up_by_choice_is_asked_for_at_the_next_sign_in(make_user):
    user = make_user(Role.SSA_OFFICER)
    first = Client()
    _login(first, user.username, PASSWORD)
    first.get(SETUP)
    device = TOTPDevice.objects.get(user=user)
    first.post(SETUP, {"code": _code(device)})
    assert TOTPDevice.objects.get(user=user).confirmed
    second = Client()
    _login(second, user.username, PASSWORD)
    assert second.get(PAGE)["Location"].startswith(VERIFY)
    assert second.get(API).status_code == 401
    # Someone with only the password cannot add a device of their own.
    assert second.get(SETUP)["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=user).count() == 1
    _next_time_step(device)
    second.post(VERIFY, {"code": _code(device)})
    assert second.get(PAGE).status_code == 200


def test_the_owner_removes_their_device_and_others_cannot(make_user):
    user = make_user(Role.SSA_OFFICER)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    _login(client, user.username, PASSWORD)
    # Not before the code is given.
    assert client.post("/en/accounts/two-factor/remove/")["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=user).exists()
    client.post(VERIFY, {"code": _code(device)})
    assert client.post("/en/accounts/two-factor/remove/").status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get(PAGE).status_code == 200


def test_an_administrator_resets_a_lost_device(make_user, login_as):
    user = make_user(Role.SSA_OFFICER)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    officer = login_as(Role.SSA_OFFICER)
    assert officer.get("/en/accounts/staff/").status_code == 403
    assert officer.post(f"/en/accounts/staff/{user.pk}/two-factor/reset/").status_code == 403
    assert TOTPDevice.objects.filter(user=user).exists()
    admin = login_as(Role.ADMIN)
    page = admin.get("/en/accounts/staff/")
    assert page.status_code == 200 and user.username in page.content.decode()
    assert admin.post(f"/en/accounts/staff/{user.pk}/two-factor/reset/").status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()


# Finding 16: production settings by default, HSTS preload.


def test_manage_py_uses_the_production_settings_and_their_guards():
    env = {
        k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    env["SECRET_KEY"] = "short"
    out = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "SECRET_KEY must be at least 50 random characters in production." in out.stderr


def test_manage_py_uses_the_base_settings_only_with_debug_on(monkeypatch):
    sys.path.insert(0, str(ROOT))
    try:
        manage = importlib.import_module("manage")
    finally:
        sys.path.remove(str(ROOT))
    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    assert manage.default_settings_module() == "config.settings.production"
    for off in ("0", "false", "", "no"):
        monkeypatch.setenv("DJANGO_DEBUG", off)
        assert manage.default_settings_module() == "config.settings.production"
    for on in ("1", "true", "True", "yes", "on"):
        monkeypatch.setenv("DJANGO_DEBUG", on)
        assert manage.default_settings_module() == "config.settings.base"


def test_production_sends_hsts_for_preload():
    production = _production_settings()
    assert production["SECURE_HSTS_PRELOAD"] is True
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SECURE_HSTS_SECONDS"] >= 31536000
    assert production["API_TOKEN_DAYS"] == 365


# Finding 16: API tokens expire; owners and administrators see and revoke them.


def test_a_token_expires_after_api_token_days(make_user):
    with override_settings(API_TOKEN_DAYS=30):
        token, key = api_token_issue(user=make_user(Role.SSA_OFFICER), name="t")
    assert token.expires_at - token.created_at == pytest.approx(
        timedelta(days=30), abs=timedelta(seconds=5)
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(API).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(API).status_code == 401


def test_the_default_expiry_is_a_year(make_user):
    token, _ = api_token_issue(user=make_user(Role.SSA_OFFICER), name="t")
    assert token.expires_at - token.created_at == pytest.approx(
        timedelta(days=365), abs=timedelta(seconds=5)
    )


def test_the_issue_command_prints_the_key_and_the_expiry(make_user):
    user = make_user(Role.SSA_OFFICER)
    out, err = StringIO(), StringIO()
    call_command("api_token_issue", user.username, "--days", "90", stdout=out, stderr=err)
    token = ApiToken.objects.get(user=user)
    assert token.hash_key(out.getvalue().strip()) == token.key_hash
    expiry = timezone.localtime(token.expires_at)
    assert f"expires on {expiry:%Y-%m-%d}" in err.getvalue()
    assert (token.expires_at - token.created_at).days in (89, 90)


def test_tokens_issued_before_expiry_existed_expire_a_year_after_issue(make_user):
    from django.apps import apps

    migration = importlib.import_module("zrunva.accounts.migrations.0002_api_token_expiry")
    token, _ = api_token_issue(user=make_user(Role.SSA_OFFICER), name="old")
    issued = timezone.now() - timedelta(days=400)
    ApiToken.objects.filter(pk=token.pk).update(created_at=issued)
    migration.expire_a_year_after_issue(apps, None)
    token.refresh_from_db()
    assert token.expires_at == issued + timedelta(days=365)
    assert token.is_expired


def test_owners_see_and_revoke_their_own_tokens_only(make_user, login_as):
    officer = login_as(Role.SSA_OFFICER)
    mine, key = api_token_issue(user=officer.user, name="mine")
    theirs, _ = api_token_issue(user=make_user(Role.SSA_OFFICER), name="theirs")
    page = officer.get("/en/accounts/tokens/").content.decode()
    assert mine.prefix in page and theirs.prefix not in page
    assert "Never" in page  # last used
    Client(HTTP_AUTHORIZATION=f"Bearer {key}").get(API)
    mine.refresh_from_db()
    assert mine.last_used_at is not None
    assert "Never" not in officer.get("/en/accounts/tokens/").content.decode()
    assert officer.post(f"/en/accounts/tokens/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert not theirs.revoked
    assert officer.post(f"/en/accounts/tokens/{mine.pk}/revoke/").status_code == 302
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get(API).status_code == 401


def test_administrators_see_and_revoke_everyones_tokens(make_user, login_as):
    admin = login_as(Role.ADMIN)
    theirs, key = api_token_issue(user=make_user(Role.SSA_OFFICER), name="theirs")
    page = admin.get("/en/accounts/tokens/").content.decode()
    assert theirs.prefix in page and theirs.user.username in page
    assert admin.post(f"/en/accounts/tokens/{theirs.pk}/revoke/").status_code == 302
    theirs.refresh_from_db()
    assert theirs.revoked
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get(API).status_code == 401


def test_the_two_step_page_offers_set_up_or_removal(make_user, login_as):
    client = login_as(Role.ANALYST)
    page = client.get("/en/accounts/two-factor/").content.decode()
    assert "Set up an authenticator app" in page and "Remove the authenticator app" not in page
    assert "/en/accounts/two-factor/" in client.get("/en/").content.decode()  # user menu
    TOTPDevice.objects.create(user=client.user, name="app", confirmed=True)
    page = client.get("/en/accounts/two-factor/").content.decode()
    assert "Remove the authenticator app" in page


def test_only_administrators_get_the_staff_sign_in_page_in_the_menu(login_as):
    assert "/en/accounts/staff/" in login_as(Role.ADMIN).get("/en/").content.decode()
    assert "/en/accounts/staff/" not in login_as(Role.SSA_OFFICER).get("/en/").content.decode()
