"""The Django admin is no back door to the audit trail: only the DPO reads it, through the audit
pages, each read logged (issue 9, finding 4). auditlog registers its LogEntry in the admin by
default, where an administrator (a superuser) would browse every row unlogged."""

import pytest
from auditlog.models import LogEntry
from django.contrib import admin

from zrunva.accounts.choices import Role

pytestmark = pytest.mark.django_db


def test_the_admin_site_does_not_show_the_audit_log(login_as, make_user):
    assert not admin.site.is_registered(LogEntry)
    client = login_as(Role.ADMIN, is_staff=True, is_superuser=True)
    assert client.get("/admin/").status_code == 200  # the admin works for them otherwise
    assert client.get("/admin/auditlog/logentry/").status_code == 404
    assert client.get("/admin/auditlog/").status_code == 404
