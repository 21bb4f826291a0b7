import pytest
from django.test import Client

from zrunva.accounts.choices import Role
from zrunva.accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Zrunva-test-pass-1"


def _login(client, username, password):
    return client.post("/en/accounts/login/", {"username": username, "password": password})


def test_login_and_logout(make_user):
    user = make_user(Role.SSA_OFFICER)
    client = Client()
    assert _login(client, user.username, PASSWORD).status_code == 302
    assert client.get("/en/").status_code == 200
    client.post("/en/accounts/logout/")
    assert client.get("/en/").status_code == 302


def test_lockout_after_repeated_failures(make_user, settings):
    user = make_user(Role.SSA_OFFICER)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, user.username, "wrong-password")
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_password_change(make_user):
    user = make_user(Role.ANALYST)
    client = Client()
    client.force_login(user)
    response = client.post(
        "/en/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Another-long-pass-9",
            "new_password2": "Another-long-pass-9",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Another-long-pass-9")


def test_municipal_officer_needs_a_municipality():
    from django.core.exceptions import ValidationError

    user = User(username="m", role=Role.MUNICIPAL_OFFICER)
    with pytest.raises(ValidationError) as err:
        user.full_clean()
    assert "municipality" in err.value.message_dict


def test_production_settings_refuse_debug_and_weak_keys(monkeypatch):
    import importlib
    import sys

    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("SECRET_KEY", "short")
    monkeypatch.setenv("DJANGO_DEBUG", "0")
    for name in ("config.settings.production", "config.settings.base"):
        sys.modules.pop(name, None)
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
        importlib.import_module("config.settings.production")
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    sys.modules.pop("config.settings.production", None)
    sys.modules.pop("config.settings.base", None)
    production = importlib.import_module("config.settings.production")
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert production.SECURE_SSL_REDIRECT and production.SECURE_HSTS_SECONDS >= 31536000
    sys.modules.pop("config.settings.production", None)
    sys.modules.pop("config.settings.base", None)
