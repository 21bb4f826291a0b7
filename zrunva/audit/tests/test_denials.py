"""Audit governance: the DPO alone reads the trail, every read of it is logged, and denied
attempts (403s, 404s for records outside the actor's scope) are audited (issue 9, finding 4)."""

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from zrunva.accounts.choices import Role
from zrunva.core.trail import scoped_get
from zrunva.grievances.tests.factories import grievance
from zrunva.registry.models import Household
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


def attempts(**filters):
    return LogEntry.objects.filter(additional_data__attempt=True, **filters).order_by("id")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SSA_OFFICER, Role.ANALYST])
def test_only_the_dpo_reads_the_audit_log_and_each_refusal_is_an_attempt(login_as, role):
    client = login_as(role)
    assert client.get("/en/audit/").status_code == 403
    assert client.get("/en/audit/export.csv").status_code == 403
    rows = list(attempts(actor=client.user))
    assert [(r.additional_data["path"], r.additional_data["status"]) for r in rows] == [
        ("/en/audit/", 403),
        ("/en/audit/export.csv", 403),
    ]
    assert rows[0].action == LogEntry.Action.ACCESS
    assert rows[0].additional_data["reason"]  # the denial's message
    assert "Audit log" not in client.get("/en/").content.decode()


def test_every_page_filter_and_export_of_the_log_is_itself_logged(login_as):
    dpo = login_as(Role.DPO)
    dpo.get("/en/audit/")
    dpo.get("/en/audit/", {"action": LogEntry.Action.ACCESS, "page": 2})
    dpo.get("/en/audit/", {"attempts": "on"})
    b"".join(dpo.get("/en/audit/export.csv", {"model": "registry.person"}).streaming_content)
    rows = LogEntry.objects.filter(
        actor=dpo.user, content_type=ContentType.objects.get_for_model(LogEntry)
    ).order_by("id")
    terms = [r.additional_data["terms"] for r in rows]
    assert terms == [
        {"purpose": "view"},
        {"action": str(LogEntry.Action.ACCESS), "page": "2", "purpose": "view"},
        {"attempts": "on", "purpose": "view"},
        {"model": "registry.person", "purpose": "csv_export"},
    ]


def test_the_dpo_filters_the_log_to_denied_attempts(login_as):
    analyst = login_as(Role.ANALYST)
    analyst.get("/en/audit/")
    dpo = login_as(Role.DPO)
    page = dpo.get("/en/audit/", {"attempts": "on"})
    assert [e.actor for e in page.context["page"].items] == [analyst.user]


def test_an_officer_trying_households_of_other_municipalities_is_audited(login_as):
    """The review's case: a municipal officer of Kutaisi tried 7 households of Batumi (and the
    API the same 7): each try is an attempt naming the household; their own area's are read."""
    others = [factories.household("batumi") for _ in range(7)]
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    for household in others:
        assert officer.get(f"/en/registry/households/{household.pk}/").status_code == 404
        assert officer.get(f"/api/v1/households/{household.pk}").status_code == 404
    rows = list(attempts(actor=officer.user))
    household_type = ContentType.objects.get_for_model(Household)
    assert len(rows) == 14
    assert {r.content_type for r in rows} == {household_type}
    named = [r.object_pk for r in rows]
    assert sorted(set(named)) == sorted(str(h.pk) for h in others)
    assert {r.additional_data["path"] for r in rows} == {
        *(f"/en/registry/households/{h.pk}/" for h in others),
        *(f"/api/v1/households/{h.pk}" for h in others),
    }
    assert {r.additional_data["status"] for r in rows} == {404}
    assert {r.additional_data["reason"] for r in rows} == {"outside scope"}
    own = factories.household("kutaisi")
    assert officer.get(f"/en/registry/households/{own.pk}/").status_code == 200
    assert attempts(actor=officer.user).count() == 14


def test_a_number_that_names_no_record_is_not_an_attempt(login_as):
    """A 404 for a record that does not exist names nobody's data: not logged as an attempt."""
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    assert officer.get("/en/registry/households/999999/").status_code == 404
    assert officer.get("/api/v1/people/999999").status_code == 404
    assert not attempts().exists()


def test_people_grievances_and_applications_outside_the_area_are_attempts(login_as):
    household = factories.household("batumi")
    person = household.memberships.get().person
    filed = grievance(municipality="batumi")
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    assert officer.get(f"/en/registry/people/{person.pk}/").status_code == 404
    assert officer.get(f"/en/grievances/{filed.pk}/").status_code == 404
    named = {(r.content_type.model, r.object_pk) for r in attempts(actor=officer.user)}
    assert named == {("person", str(person.pk)), ("grievance", str(filed.pk))}


def test_the_api_refusal_is_audited_once_with_its_reason(login_as):
    analyst = login_as(Role.ANALYST)
    response = analyst.get("/api/v1/households")
    assert response.status_code == 403
    rows = list(attempts(actor=analyst.user))
    assert len(rows) == 1
    assert rows[0].additional_data == {
        "attempt": True,
        "path": "/api/v1/households",
        "status": 403,
        "reason": response.json()["detail"],
    }


def test_an_anonymous_forbidden_request_is_audited_without_an_actor():
    client = Client(enforce_csrf_checks=True)
    assert client.post("/en/accounts/login/", {"username": "x", "password": "y"}).status_code == 403
    row = attempts().get()
    assert row.actor is None
    assert row.additional_data["path"] == "/en/accounts/login/"


def test_scoped_get_outside_a_request_writes_the_attempt_at_once(make_user):
    from django.http import Http404

    from zrunva.accounts import permissions

    household = factories.household("batumi")
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    with pytest.raises(Http404):
        scoped_get(
            permissions.scoped(Household.objects.all(), officer), actor=officer, pk=household.pk
        )
    row = attempts().get()
    assert (row.actor, row.object_pk, row.additional_data["path"]) == (
        officer,
        str(household.pk),
        "",
    )


def test_the_log_marks_denied_attempts(login_as):
    login_as(Role.ANALYST).get("/en/audit/")
    page = login_as(Role.DPO).get("/en/audit/", {"attempts": "on"})
    assert page.content.decode().count('tag--amber">denied attempt<') == 1
