import csv
import io

import pytest
from auditlog.models import LogEntry
from django.db import DatabaseError, connection, transaction

from zrunva.accounts.choices import Role
from zrunva.accounts.models import User
from zrunva.core.trail import bulk_run_log, search_log
from zrunva.registry.models import Household
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
)


@postgres_only
def test_audit_rows_cannot_be_updated_or_deleted_in_the_database():
    factories.household()
    entry = LogEntry.objects.first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM auditlog_logentry")
    assert LogEntry.objects.get(pk=entry.pk).object_repr == entry.object_repr


@postgres_only
def test_users_are_never_deleted_in_the_database(make_user):
    user = make_user(Role.ANALYST)
    with (
        pytest.raises(DatabaseError, match="deactivate"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM accounts_user WHERE id = %s", [user.pk])
    assert User.objects.filter(pk=user.pk).exists()


def test_bulk_run_writes_one_row_with_counts():
    bulk_run_log(actor=None, model=Household, job="test_job", counts={"households": 3})
    entry = LogEntry.objects.get(object_repr="test_job")
    assert entry.additional_data == {
        "purpose": "bulk",
        "job": "test_job",
        "counts": {"households": 3},
    }


def test_dpo_sees_filters_and_exports_the_log(login_as):
    household = factories.household()
    officer = login_as(Role.SSA_OFFICER)
    officer.get(f"/api/v1/households/{household.pk}", REMOTE_ADDR="10.1.2.3")
    dpo = login_as(Role.DPO)
    page = dpo.get("/en/audit/", {"user": officer.user.pk, "action": LogEntry.Action.ACCESS})
    assert page.status_code == 200
    assert [e.actor for e in page.context["page"].items] == [officer.user]
    response = dpo.get("/en/audit/export.csv", {"user": officer.user.pk})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["timestamp", "actor", "action"]
    assert len(rows) == 2
    assert rows[1][1] == officer.user.username and rows[1][6] == "10.1.2.3"


@pytest.mark.parametrize("role", [Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER, Role.ANALYST])
def test_other_roles_cannot_read_the_log(login_as, role):
    scope = {"municipality": "kutaisi"} if role == Role.MUNICIPAL_OFFICER else {}
    client = login_as(role, **scope)
    assert client.get("/en/audit/").status_code == 403
    assert client.get("/en/audit/export.csv").status_code == 403


def test_subject_access_report_lists_data_and_who_accessed_it(login_as):
    household = factories.household(head={"personal_number": "01001055555"})
    person = household.memberships.get().person
    officer = login_as(Role.SSA_OFFICER)
    officer.get(f"/api/v1/people/{person.pk}")
    dpo = login_as(Role.DPO)
    found = dpo.get("/en/registry/subject-access/", {"personal_number": "01001055555"})
    assert found.status_code == 302
    response = dpo.get(found["Location"], {"format": "json"})
    report = response.json()
    assert report["person"]["personal_number"] == "01001055555"
    households = next(s for s in report["sections"] if s["key"] == "households")
    assert str(household.pk) in [
        item["id"] for item in households["items"] if item["record"] == "registry.household"
    ]
    accessors = {(row["actor"], row["action"]) for row in report["processing_log"]}
    assert (officer.user.username, "access") in accessors
    # The export itself is a read and is logged.
    assert LogEntry.objects.filter(
        actor=dpo.user, object_pk=str(person.pk), additional_data__purpose="subject_access"
    ).exists()


def test_subject_access_is_for_the_dpo_only(login_as):
    person = factories.household().memberships.get().person
    client = login_as(Role.ADMIN)
    assert client.get(f"/en/registry/subject-access/{person.pk}/").status_code == 403


@postgres_only
def test_histories_find_related_rows_through_an_index():
    person = factories.household().memberships.get().person
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM auditlog_logentry WHERE (additional_data -> 'person_id') = %s::jsonb",
            [str(person.pk)],
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
    # On the partitioned trail each month's copy of audit_person_id_idx is used.
    assert "Index Cond: ((additional_data -> 'person_id'::text)" in plan
    assert "Seq Scan" not in plan


@postgres_only
def test_the_subject_access_reports_trail_is_read_through_indexes():
    """Each arm of the report's filter has an index, the searches by the person's number
    included (audit_searched_number_idx, migration 0007): at tens of millions of rows one arm
    without its index is a scan of the whole trail (bench/README.md, `audit.py`)."""
    from zrunva.audit import subject_access

    person = factories.household().memberships.get().person
    dpo = User.objects.create(username="dpo-indexes", role=Role.DPO)
    search_log(
        actor=dpo, model=type(person), terms={"personal_number": person.personal_number}, shown=1
    )
    subject = subject_access.Subject(person=person, personal_number=person.personal_number)
    sections = [p.provider(subject) for p in subject_access.providers()]
    # Unordered: the rows are few here, and an index walk by time would look as good.
    trail = LogEntry.objects.filter(subject_access._log_filter(sections, subject)).order_by()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = trail.explain()
        # Each month's copy of the index has a name of its own.
        cursor.execute(
            "SELECT relid::regclass::text FROM pg_partition_tree('audit_searched_number_idx') "
            "UNION SELECT 'audit_searched_number_idx'"
        )
        names = [row[0] for row in cursor.fetchall()]
    assert any(f"Bitmap Index Scan on {name} " in plan for name in names), plan
    assert "Seq Scan" not in plan


@postgres_only
@pytest.mark.parametrize(
    ("table", "message"),
    [("auditlog_logentry", "append-only"), ("accounts_user", "deactivate")],
)
def test_the_audit_trail_and_users_cannot_be_truncated(table, message):
    factories.household()
    before = LogEntry.objects.count()
    with (
        pytest.raises(DatabaseError, match=message),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The test suite's own flush may truncate (conftest.py); nobody else.
        cursor.execute("SET LOCAL zrunva.allow_truncate = 'off'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks of the rows above
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert LogEntry.objects.count() == before


@postgres_only
def test_the_application_role_may_write_data_but_not_rewrite_the_audit_trail(settings):
    """What a non-owner application role (DB_APP_ROLE) is granted: the data, not the history."""
    from zrunva.audit.database import app_role_grant

    role = "zrunva_test_app_role"
    with connection.cursor() as cursor:
        # Roles belong to the cluster: created and dropped inside this test's transaction.
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        settings.DB_APP_ROLE = role
        assert app_role_grant(connection)

        def can(table, privilege):
            cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
            return cursor.fetchone()[0]

        assert can("auditlog_logentry", "SELECT") and can("auditlog_logentry", "INSERT")
        for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
            assert not can("auditlog_logentry", privilege)
        assert can("accounts_user", "UPDATE")
        assert not can("accounts_user", "DELETE") and not can("accounts_user", "TRUNCATE")
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            assert can("registry_person", privilege)
        assert not can("registry_person", "TRUNCATE")
    assert not app_role_grant(connection, "zrunva_no_such_role")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tests_that_commit_are_still_cleaned_up():
    """Transactional tests end with a flush (TRUNCATE on PostgreSQL), which the guard lets
    through for the test suite alone: this test's rows must not break the next test."""
    factories.household()
    assert LogEntry.objects.exists()


def test_the_dpo_reads_and_exports_changes_and_details_as_json_with_georgian_letters(login_as):
    import json

    household = factories.household(address="რუსთაველის 1")
    from zrunva.registry import services

    services.household_update(
        actor=factories.system_actor(), household=household, data={"address": "ჭავჭავაძის 7"}
    )
    entry = LogEntry.objects.get_for_object(household).get(action=LogEntry.Action.UPDATE)
    dpo = login_as(Role.DPO)
    filters = {"model": "registry.household", "object_pk": household.pk}

    response = dpo.get("/en/audit/export.csv", filters)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    update = next(r for r in rows if r["action"] == "update")
    assert json.loads(update["changes"])["address"] == ["რუსთაველის 1", "ჭავჭავაძის 7"]
    assert "ჭავჭავაძის 7" in update["changes"] and "\\u" not in update["changes"]
    assert "{'" not in update["changes"]  # not Python's repr of a dict

    response = dpo.get("/en/audit/export.json", filters)
    exported = json.loads(b"".join(response.streaming_content).decode())
    assert response["Content-Type"].startswith("application/json")
    assert len(exported) == len(rows)
    by_action = {e["action"]: e for e in exported}
    assert by_action["update"]["changes"]["address"] == ["რუსთაველის 1", "ჭავჭავაძის 7"]

    page = dpo.get(f"/en/audit/entries/{entry.pk}/").content.decode()
    assert "ჭავჭავაძის 7" in page and "\\u10" not in page
    assert '"address": [' in page.replace("&quot;", '"')  # the indented JSON
    assert LogEntry.objects.filter(
        actor=dpo.user, object_pk=str(entry.pk), additional_data__purpose="audit_entry"
    ).exists()


@pytest.mark.parametrize("role", [Role.SSA_OFFICER, Role.ADMIN])
def test_only_the_dpo_opens_an_entry_or_the_json_export(login_as, role):
    entry = LogEntry.objects.get_for_object(factories.household()).first()
    client = login_as(role)
    assert client.get(f"/en/audit/entries/{entry.pk}/").status_code == 403
    assert client.get("/en/audit/export.json").status_code == 403
