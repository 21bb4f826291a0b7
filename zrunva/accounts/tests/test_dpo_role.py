"""Issue 9, finding 4: the audit trail is the DPO's alone, so an administrator must not be able
to make themselves (or an account they control) the DPO in the admin, nor take over the DPO's
account there. The role is given on the server, with `manage.py user_role`."""

from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.test import Client

from zrunva.accounts.choices import Role
from zrunva.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user):
    admin = make_user(Role.ADMIN, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    client.user = admin
    return client


def _change(client, user, **fields):
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_staff": "on" if user.is_staff else "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "role": user.role,
        "preferred_language": "ka",
    } | fields
    return client.post(f"/en/admin/accounts/user/{user.pk}/change/", data)


def test_an_administrator_cannot_make_themselves_the_dpo_in_the_admin(admin_client):
    page = admin_client.get(f"/en/admin/accounts/user/{admin_client.user.pk}/change/")
    assert page.status_code == 200
    choices = [value for value, _ in page.context["adminform"].form.fields["role"].choices]
    assert Role.DPO not in choices and Role.ADMIN in choices
    response = _change(admin_client, admin_client.user, role=Role.DPO)
    assert response.status_code == 200  # the form again, with the error
    assert "role" in response.context["adminform"].form.errors
    admin_client.user.refresh_from_db()
    assert admin_client.user.role == Role.ADMIN
    # Nor give the role to another account, new or existing.
    other = User.objects.create_user("someone", password="Zrunva-test-pass-1", role=Role.ANALYST)
    _change(admin_client, other, role=Role.DPO)
    other.refresh_from_db()
    assert other.role == Role.ANALYST


def test_the_dpos_account_is_not_changed_in_the_admin(admin_client, make_user):
    dpo = make_user(Role.DPO)
    assert admin_client.get(f"/en/admin/accounts/user/{dpo.pk}/change/").status_code in (200, 403)
    assert _change(admin_client, dpo, role=Role.ADMIN).status_code == 403
    password = admin_client.post(
        f"/en/admin/accounts/user/{dpo.pk}/password/",
        {"password1": "Another-long-pass-9", "password2": "Another-long-pass-9"},
    )
    assert password.status_code == 403
    dpo.refresh_from_db()
    assert dpo.role == Role.DPO and dpo.check_password("Zrunva-test-pass-1")


def test_the_dpo_is_named_on_the_server(make_user):
    user = make_user(Role.ANALYST)
    out = StringIO()
    call_command("user_role", user.username, Role.DPO, stdout=out)
    user.refresh_from_db()
    assert user.role == Role.DPO and "Data protection officer" in out.getvalue()
    assert LogEntry.objects.get_for_object(user).filter(changes__icontains="dpo").exists()
    with pytest.raises(CommandError, match="municipality"):
        call_command("user_role", user.username, Role.MUNICIPAL_OFFICER)
