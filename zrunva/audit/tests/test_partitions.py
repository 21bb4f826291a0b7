"""The audit trail partitioned by month on PostgreSQL, its monthly partitions and its retention
(zrunva/audit/partitions.py, migrations 0005 and 0006)."""

import csv
import gzip
import hashlib
import importlib
import io
import json
from datetime import UTC, date, datetime

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from zrunva.audit import partitions
from zrunva.core.trail import bulk_run_log
from zrunva.registry.models import Household

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioning is PostgreSQL's"
)
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's single table")


def _entry(when: datetime) -> LogEntry:
    entry = bulk_run_log(actor=None, model=Household, job="test", counts={})
    # The trail refuses UPDATE: a row of another month is written as one, through SQL.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO auditlog_logentry (object_pk, object_repr, action, timestamp, "
            "content_type_id, changes_text, additional_data) "
            "VALUES ('', 'old', 1, %s, %s, '', '{}') RETURNING id",
            [when, entry.content_type_id],
        )
        return LogEntry.objects.get(pk=cursor.fetchone()[0])


def _home(entry: LogEntry) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM auditlog_logentry WHERE id = %s", [entry.pk]
        )
        return cursor.fetchone()[0]


def _this_month() -> date:
    return partitions.month_start(timezone.now().date())


@postgres_only
def test_the_trail_is_partitioned_by_month_with_the_timestamp_in_its_key():
    assert partitions.is_partitioned(connection)
    entry = bulk_run_log(actor=None, model=Household, job="test", counts={})
    assert _home(entry) == partitions.name_of(_this_month())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conname = 'auditlog_logentry_pkey'"
        )
        assert cursor.fetchone()[0] == 'PRIMARY KEY (id, "timestamp")'
    # Django still reads rows by id alone.
    assert LogEntry.objects.get(pk=entry.pk).object_repr == "test"
    months = [p.month for p in partitions.partitions(connection) if p.month]
    assert partitions.add_months(_this_month(), 3) in months  # AUDIT_PARTITIONS_AHEAD
    assert partitions.partitions(connection)[-1].name == partitions.DEFAULT


@postgres_only
def test_a_month_without_its_partition_lands_in_the_default_and_moves_when_created():
    later = partitions.add_months(_this_month(), 7)
    entry = _entry(datetime(later.year, later.month, 15, tzinfo=UTC))
    assert _home(entry) == partitions.DEFAULT
    assert partitions.default_rows(connection) == 1

    out = io.StringIO()
    call_command("partitions", ahead=8, stdout=out)
    assert f"created {partitions.name_of(later)}" in out.getvalue()
    assert "0 rows in the default partition" in out.getvalue()
    assert _home(entry) == partitions.name_of(later)
    assert LogEntry.objects.filter(pk=entry.pk).count() == 1
    assert partitions.months_ahead(connection, today=timezone.now().date()) == 8
    # The default took back its append-only trigger when it was attached again.
    stray = partitions.add_months(later, 4)
    _entry(datetime(stray.year, stray.month, 1, tzinfo=UTC))
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM auditlog_logentry_default")
    # Ensuring again makes the stray row's month too (past the months ahead), and then nothing.
    today = timezone.now().date()
    assert partitions.ensure(connection, today=today, ahead=8) == [partitions.name_of(stray)]
    assert partitions.default_rows(connection) == 0
    assert partitions.ensure(connection, today=today, ahead=8) == []


@postgres_only
def test_the_old_command_name_still_makes_the_months_and_says_it_is_deprecated():
    out, err = io.StringIO(), io.StringIO()
    call_command("audit_partitions", ahead=5, stdout=out, stderr=err)
    assert "auditlog_logentry: " in out.getvalue() and "programmes_decision: " in out.getvalue()
    assert "deprecated" in err.getvalue()
    assert partitions.months_ahead(connection, today=timezone.now().date()) == 5


@postgres_only
@pytest.mark.parametrize("statement", ["DELETE FROM {}", "UPDATE {} SET object_repr = 'x'"])
def test_each_month_refuses_rewriting_as_the_whole_table_does(statement):
    bulk_run_log(actor=None, model=Household, job="test", counts={})
    month = partitions.name_of(_this_month())
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement.format(month))


@postgres_only
def test_a_month_cannot_be_truncated_on_its_own():
    bulk_run_log(actor=None, model=Household, job="test", counts={})
    month = partitions.name_of(_this_month())
    # A TRUNCATE trigger on the parent does not fire for one partition: each has its own.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL zrunva.allow_truncate = 'off'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks of the row above
        cursor.execute(f"TRUNCATE {month}")
    assert LogEntry.objects.exists()


@postgres_only
def test_the_application_role_cannot_rewrite_a_month_either(settings):
    from zrunva.audit.database import app_role_grant

    role = "zrunva_test_partition_role"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        settings.DB_APP_ROLE = role
        assert app_role_grant(connection)
        later = partitions.add_months(_this_month(), 9)
        partitions.create(connection, later)  # a month made after the grant
        for month in (partitions.name_of(_this_month()), partitions.name_of(later)):
            for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
                cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, month, privilege])
                assert not cursor.fetchone()[0], (month, privilege)
            cursor.execute("SELECT has_table_privilege(%s, %s, 'SELECT')", [role, month])
            assert cursor.fetchone()[0]


def _old_month(years_ago: int) -> date:
    return partitions.add_months(_this_month(), -12 * years_ago - 2)


@postgres_only
def test_retention_archives_audits_and_drops_the_months_past_the_period(tmp_path):
    old = _old_month(11)
    kept = _old_month(9)
    partitions.create(connection, old)
    partitions.create(connection, kept)
    gone = [_entry(datetime(old.year, old.month, day, tzinfo=UTC)) for day in (1, 2, 28)]
    stays = _entry(datetime(kept.year, kept.month, 3, tzinfo=UTC))

    dry = io.StringIO()
    call_command("audit_retention", years=10, archive_dir=str(tmp_path), dry_run=True, stdout=dry)
    assert f"would archive and drop {partitions.name_of(old)}" in dry.getvalue()
    assert not list(tmp_path.iterdir())

    out = io.StringIO()
    call_command("audit_retention", years=10, archive_dir=str(tmp_path), stdout=out)
    name = partitions.name_of(old)
    assert f"{name}: 3 rows" in out.getvalue()
    assert name not in [p.name for p in partitions.partitions(connection)]
    assert not LogEntry.objects.filter(pk__in=[e.pk for e in gone]).exists()
    assert LogEntry.objects.filter(pk=stays.pk).exists()

    # The archive holds the rows, whole, and its manifest says so.
    data = gzip.decompress((tmp_path / f"{name}.csv.gz").read_bytes())
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert [int(r["id"]) for r in rows] == sorted(e.pk for e in gone)
    assert {r["object_repr"] for r in rows} == {"old"}
    manifest = json.loads((tmp_path / f"{name}.json").read_text())
    assert manifest["rows"] == 3 and manifest["sha256"] == hashlib.sha256(data).hexdigest()

    # The drop is itself in the trail, with what was dropped and where it went.
    drop = LogEntry.objects.get(additional_data__purpose="retention")
    assert drop.action == LogEntry.Action.DELETE and drop.object_repr == name
    assert drop.additional_data["rows"] == 3
    assert drop.additional_data["sha256"] == manifest["sha256"]
    assert drop.additional_data["archive"] == f"{name}.csv.gz"

    again = io.StringIO()
    call_command("audit_retention", years=10, archive_dir=str(tmp_path), stdout=again)
    assert "Nothing older than 10 years" in again.getvalue()


@postgres_only
def test_a_month_that_changed_after_its_export_is_not_dropped(tmp_path):
    old = _old_month(12)
    partitions.create(connection, old)
    _entry(datetime(old.year, old.month, 5, tzinfo=UTC))
    month = next(p for p in partitions.partitions(connection) if p.month == old)
    saved = partitions.archive(connection, month, tmp_path)
    _entry(datetime(old.year, old.month, 6, tzinfo=UTC))  # a late row, not in the archive

    with pytest.raises(RuntimeError, match="holds 2 rows, the archive 1"):
        partitions.drop(connection, month, saved)
    assert month.name in [p.name for p in partitions.partitions(connection)]
    assert not LogEntry.objects.filter(additional_data__purpose="retention").exists()


@postgres_only
def test_the_metrics_show_the_months_ahead_and_the_default_partition():
    from zrunva.core.partitions import metrics

    later = partitions.add_months(_this_month(), 10)
    _entry(datetime(later.year, later.month, 1, tzinfo=UTC))
    values = {(m.name, s.labels["table"]): s.value for m in metrics() for s in m.samples}
    assert values["zrunva_partition_months_ahead", "auditlog_logentry"] == 3
    assert values["zrunva_partition_default_rows", "auditlog_logentry"] == 1


@postgres_only
def test_the_conversion_keeps_every_row_and_id_both_ways():
    """Migration 0005's rebuild, back to one table and forward again, inside this test's
    transaction: the rows, their ids and the sequence survive, and the guards come back."""
    rebuild = importlib.import_module("zrunva.audit.migrations.0005_partition_by_month")._rebuild
    entries = [bulk_run_log(actor=None, model=Household, job="test", counts={}) for _ in range(3)]
    old = _entry(datetime(2019, 5, 4, tzinfo=UTC))
    before = list(LogEntry.objects.order_by("id").values_list("id", "object_repr", "timestamp"))

    with connection.schema_editor(atomic=False) as editor:
        rebuild(editor, partitioned=False)
    assert not partitions.is_partitioned(connection)
    with connection.schema_editor(atomic=False) as editor:
        rebuild(editor, partitioned=True)
    assert partitions.is_partitioned(connection)

    after = list(LogEntry.objects.order_by("id").values_list("id", "object_repr", "timestamp"))
    assert after == before
    assert _home(old) == "auditlog_logentry_y2019m05"  # months from the oldest row's
    new = bulk_run_log(actor=None, model=Household, job="test", counts={})
    assert new.pk > max(e.pk for e in [*entries, old])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.filter(pk=old.pk).delete()


@sqlite_only
@pytest.mark.parametrize("command", ["partitions", "audit_partitions", "audit_retention"])
def test_sqlite_keeps_one_table_and_says_so(command):
    assert not partitions.is_partitioned(connection)
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command(command)


def test_months_are_counted_across_years():
    assert partitions.add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert partitions.add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert partitions.name_of(date(2027, 2, 1)) == "auditlog_logentry_y2027m02"
    with pytest.raises(ValueError, match="not a partition of auditlog_logentry"):
        partitions._checked("auditlog_logentry; DROP TABLE x")
