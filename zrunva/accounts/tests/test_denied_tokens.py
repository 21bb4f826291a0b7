"""Revoking someone else's API token is a denied attempt: audited naming the token, like every
404 for a record outside the actor's reach (issue 9, finding 4)."""

import pytest
from auditlog.models import LogEntry

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue

pytestmark = pytest.mark.django_db


def test_revoking_another_users_token_is_an_audited_attempt(make_user, login_as):
    officer = login_as(Role.SSA_OFFICER)
    theirs, _ = api_token_issue(user=make_user(Role.SSA_OFFICER), name="theirs")
    path = f"/en/accounts/tokens/{theirs.pk}/revoke/"
    assert officer.post(path).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.revoked
    attempt = LogEntry.objects.get(actor=officer.user, additional_data__attempt=True)
    assert (attempt.object_pk, attempt.additional_data["path"]) == (str(theirs.pk), path)
    assert attempt.additional_data["status"] == 404
    # A token id that does not exist names nobody's credential: no row.
    assert officer.post("/en/accounts/tokens/999999/revoke/").status_code == 404
    assert LogEntry.objects.filter(actor=officer.user, additional_data__attempt=True).count() == 1
