"""The audit trail partitioned by month on PostgreSQL, and its retention.

The trail grows with every search, record opened and portal submission, and is never changed:
on PostgreSQL it is a table partitioned by range of `timestamp`, one partition per calendar
month in UTC (`auditlog_logentry_y2026m12`), plus a default partition that catches a row no
month holds yet, so that an audited action never fails for want of a partition. Migration 0005
converts the table; `manage.py audit_partitions` (monthly, by cron) creates the months ahead;
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
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from django.conf import settings
from django.db import transaction

TABLE = "auditlog_logentry"
DEFAULT = f"{TABLE}_default"
_MONTH = re.compile(rf"^{TABLE}_y(\d{{4}})m(\d{{2}})$")

GUARD = """
DROP TRIGGER IF EXISTS never_truncated ON {table};
CREATE TRIGGER never_truncated
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION zrunva_refuse_truncate('the audit trail is append-only');
"""
REVOKE = "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {role};"


def _checked(name: str) -> str:
    """A partition's name, fit to be written into SQL: ours, or refused."""
    if name != DEFAULT and not _MONTH.match(name):
        raise ValueError(f"not an audit partition: {name!r}")
    return name


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def name_of(month: date) -> str:
    return f"{TABLE}_y{month.year}m{month.month:02d}"


def _moment(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Partition:
    name: str
    month: date | None  # None: the default partition

    @property
    def end(self) -> date | None:
        return add_months(self.month, 1) if self.month else None


def is_partitioned(connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [TABLE]
        )
        return cursor.fetchone() is not None


def partitions(connection) -> list[Partition]:
    """The trail's partitions, the months in order and the default last."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    months = []
    default = []
    for name in names:
        match = _MONTH.match(name)
        if match:
            months.append(Partition(name, date(int(match[1]), int(match[2]), 1)))
        else:
            default.append(Partition(name, None))
    return sorted(months, key=lambda p: p.month) + default


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


def create(connection, month: date) -> bool:
    """The month's partition, if it does not exist yet (False if it did). Rows of that month
    the default partition caught meanwhile are moved into it, in the same transaction."""
    month = month_start(month)
    name = name_of(month)
    quote = connection.ops.quote_name
    bounds = [_moment(month), _moment(add_months(month, 1))]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # Deferred foreign-key checks of rows written earlier in this transaction would forbid
        # the DDL below ("pending trigger events"): run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # One creator at a time (two crons, or cron beside a migration).
        cursor.execute("LOCK TABLE auditlog_logentry IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("SELECT to_regclass(%s)", [name])
        if cursor.fetchone()[0] is not None:
            return False
        caught = 0
        cursor.execute("SELECT to_regclass(%s)", [DEFAULT])
        if cursor.fetchone()[0] is not None:
            cursor.execute(
                f"SELECT count(*) FROM {DEFAULT} WHERE timestamp >= %s AND timestamp < %s",  # noqa: S608 (constant names)
                bounds,
            )
            caught = cursor.fetchone()[0]
        if caught:
            # PostgreSQL refuses a partition whose rows the default holds: take the default off
            # (which also takes off its cloned append-only trigger), create the month, move the
            # rows through the parent, and put the default back (the trigger is cloned again).
            cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {DEFAULT}")
        cursor.execute(
            f"CREATE TABLE {quote(name)} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)",
            bounds,
        )
        if caught:
            where = "WHERE timestamp >= %s AND timestamp < %s"
            cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {DEFAULT} {where}", bounds)  # noqa: S608
            cursor.execute(f"DELETE FROM {DEFAULT} {where}", bounds)  # noqa: S608
            cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {DEFAULT} DEFAULT")
    guard(connection, name)
    return True


def create_default(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {DEFAULT} PARTITION OF {TABLE} DEFAULT")
    guard(connection, DEFAULT)


def ensure(connection, *, today: date, ahead: int) -> list[str]:
    """Partitions for this month and the `ahead` months after it; the names created."""
    first = month_start(today)
    made = []
    for n in range(ahead + 1):
        month = add_months(first, n)
        if create(connection, month):
            made.append(name_of(month))
    return made


def months_ahead(connection, *, today: date, listed: list[Partition] | None = None) -> int:
    """How many months after this one already have their partition, without a gap (what the
    metrics watch: 0 means next month's rows go to the default partition)."""
    listed = partitions(connection) if listed is None else listed
    have = {p.month for p in listed if p.month}
    month = add_months(month_start(today), 1)
    n = 0
    while month in have:
        n += 1
        month = add_months(month, 1)
    return n


def default_rows(connection) -> int:
    """Rows in the default partition: none while `audit_partitions` runs as it should."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT}")  # noqa: S608 (a constant)
        return cursor.fetchone()[0]


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
        "from": _moment(partition.month).isoformat(),
        "to": _moment(partition.end).isoformat(),
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
