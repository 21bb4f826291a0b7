"""The audit trail partitioned by month on PostgreSQL, and its retention.

The trail grows with every search, record opened and portal submission, and is never changed:
on PostgreSQL it is a table partitioned by range of `timestamp`, one partition per calendar
month in UTC (`auditlog_logentry_y2026m12`), plus a default partition that catches a row no
month holds yet, so that an audited action never fails for want of a partition (the months'
mechanics are `zrunva.core.partitions`'). Migration 0005 converts the table; `manage.py
partitions` (monthly, by cron) creates the months ahead;
`manage.py audit_retention` exports each month older than AUDIT_RETENTION_YEARS to
AUDIT_ARCHIVE_DIR, checks the export, audits the drop and drops the month. docs/partitioning.md
has the design and the upgrade risk of partitioning a third-party model's table.

Every partition carries the guards of the table: the row trigger refusing UPDATE and DELETE is
cloned by PostgreSQL onto each partition, but a TRUNCATE trigger on the parent does not fire
for a TRUNCATE of one partition, and partitions get the application role's default privileges;
so each partition gets its own TRUNCATE trigger and the role loses UPDATE, DELETE and TRUNCATE
on it (`guard`). Dropping a partition needs the owner: the application's role cannot.

SQLite installations keep one unpartitioned table and no retention.
"""

import csv
import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction

from zrunva.core.partitions import Monthly, Partition, add_months, month_start

GUARD = """
DROP TRIGGER IF EXISTS never_truncated ON {table};
CREATE TRIGGER never_truncated
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION zrunva_refuse_truncate('the audit trail is append-only');
"""
REVOKE = "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {role};"


def guard(connection, table: str) -> None:
    """The trail's guards on one partition: its own TRUNCATE trigger, and no UPDATE, DELETE
    or TRUNCATE for the application's role (DB_APP_ROLE) if it exists."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(GUARD.format(table=quote(table)))
        role = settings.DB_APP_ROLE
        if role:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone():
                cursor.execute(REVOKE.format(table=quote(table), role=quote(role)))


TRAIL = Monthly(
    table="auditlog_logentry",
    column="timestamp",
    instants=True,
    ahead_setting="AUDIT_PARTITIONS_AHEAD",
    guard=guard,
)
TABLE, DEFAULT = TRAIL.table, TRAIL.default
# The trail's partitions (migration 0005, the tests and retention name them so).
name_of = TRAIL.name_of
is_partitioned = TRAIL.is_partitioned
partitions = TRAIL.partitions
create = TRAIL.create
create_default = TRAIL.create_default
ensure = TRAIL.ensure
months_ahead = TRAIL.months_ahead
default_rows = TRAIL.default_rows
_checked = TRAIL.checked


# Retention ---------------------------------------------------------------------------------


def expired(connection, *, today: date, years: int) -> list[Partition]:
    """The months wholly older than `years` years before this month's first day."""
    cutoff = add_months(month_start(today), -12 * years)
    return [p for p in partitions(connection) if p.month and p.end <= cutoff]


@dataclass(frozen=True)
class Archive:
    path: Path
    rows: int
    sha256: str


def _rows(connection, name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {_checked(name)}")  # noqa: S608 (checked)
        return cursor.fetchone()[0]


def archive(connection, partition: Partition, directory: Path) -> Archive:
    """The month exported as gzip'd CSV with a header (every column, by id), read back and
    counted, with a manifest beside it (rows, SHA-256 of the CSV, the month's bounds). Written
    under a temporary name and renamed, so a file under the final name is complete."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{partition.name}.csv.gz"
    part = directory / f"{partition.name}.csv.gz.part"
    digest = hashlib.sha256()
    table = _checked(partition.name)
    sql = f"COPY (SELECT * FROM {table} ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)"  # noqa: S608
    with (
        connection.cursor() as cursor,
        gzip.open(part, "wb") as out,
        cursor.cursor.copy(sql) as copy,
    ):
        for block in copy:
            data = bytes(block)
            digest.update(data)
            out.write(data)
    # Read back what was written: the rows on disk, not those meant to be.
    check = hashlib.sha256()
    with gzip.open(part, "rb") as written:
        for block in iter(lambda: written.read(1 << 20), b""):
            check.update(block)
    with gzip.open(part, "rt", newline="", encoding="utf-8") as written:
        lines = sum(1 for _ in csv.reader(written)) - 1
    if check.hexdigest() != digest.hexdigest():
        part.unlink()
        raise RuntimeError(f"{path}: the file read back differs from what was exported")
    part.rename(path)
    manifest = {
        "partition": partition.name,
        "from": TRAIL.bound(partition.month).isoformat(),
        "to": TRAIL.bound(partition.end).isoformat(),
        "rows": lines,
        "sha256": digest.hexdigest(),
        "exported_at": datetime.now(UTC).isoformat(),
    }
    (directory / f"{partition.name}.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return Archive(path, lines, digest.hexdigest())


def drop(connection, partition: Partition, saved: Archive) -> None:
    """Drop an archived month, and audit the drop in the same transaction: the entry exists if
    and only if the month is gone. Refused if the month no longer holds what was archived."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # No row can arrive or leave between the count and the drop.
        cursor.execute(f"LOCK TABLE {_checked(partition.name)} IN ACCESS EXCLUSIVE MODE")
        rows = _rows(connection, partition.name)
        if rows != saved.rows:
            raise RuntimeError(
                f"{partition.name}: holds {rows} rows, the archive {saved.rows}; not dropped"
            )
        LogEntry.objects.create(
            content_type=ContentType.objects.get_for_model(LogEntry),
            object_pk="",
            object_repr=partition.name,
            action=LogEntry.Action.DELETE,
            actor=None,
            additional_data={
                "purpose": "retention",
                "partition": partition.name,
                "from": partition.month.isoformat(),
                "to": partition.end.isoformat(),
                "rows": rows,
                "archive": saved.path.name,
                "sha256": saved.sha256,
            },
        )
        # The entry's deferred foreign-key checks now, or the DDL is refused.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {partition.name}")
        cursor.execute(f"DROP TABLE {partition.name}")
