"""The audit trail becomes a table partitioned by month on PostgreSQL (zrunva/audit/partitions.py,
docs/partitioning.md). SQLite keeps its one table.

django-auditlog's table is rebuilt under the same name from its own column definitions
(`LIKE`, so whatever auditlog migration ran before this one, its columns come along), with:
- the primary key (id, timestamp): PostgreSQL wants the partition key in every unique index.
  Ids stay unique because one sequence gives them; Django still reads `id` as the key;
- `id` a bigint from a plain sequence (the identity column cannot be shared by the partitions
  in PostgreSQL 15), set past the highest id kept;
- the same index, foreign-key and check constraint names, so that a later auditlog migration
  that alters one by name finds it;
- the append-only triggers of migrations 0001 and 0004, and each partition's own guards.

The rows are copied month by month into partitions from the oldest row's month to
AUDIT_PARTITIONS_AHEAD months ahead, plus the default partition. The table is locked meanwhile:
on 20 million rows this took 165 s (bench/README.md, `audit.py`); plan the upgrade's window.
"""

import re

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from zrunva.audit import database, partitions

TRIGGERS = """
CREATE TRIGGER auditlog_append_only
    BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION zrunva_refuse_change('the audit trail is append-only');
CREATE TRIGGER auditlog_never_truncated
    BEFORE TRUNCATE ON auditlog_logentry
    FOR EACH STATEMENT EXECUTE FUNCTION zrunva_refuse_truncate('the audit trail is append-only');
"""


def _definitions(cursor, table):
    """The table's indexes (but the primary key's) and foreign keys, as SQL that recreates them
    on the new table, and their names to drop from the old one."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary",
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    keys = cursor.fetchall()
    return indexes, keys


def _on_new_table(definition: str, old: str) -> str:
    """An index's definition read off the old table, for the new one (recursing into the
    partitions: a partitioned parent's definition says ON ONLY)."""
    return re.sub(rf"\bON (ONLY )?(\S+\.)?{old}\b", "ON auditlog_logentry", definition)


def _rebuild(schema_editor, *, partitioned: bool):
    connection = schema_editor.connection
    old = "auditlog_logentry_rebuilt"
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks to block the DDL
        cursor.execute("LOCK TABLE auditlog_logentry IN ACCESS EXCLUSIVE MODE")
        indexes, keys = _definitions(cursor, "auditlog_logentry")
        cursor.execute("SELECT max(id), min(timestamp) FROM auditlog_logentry")
        top, oldest = cursor.fetchone()
        cursor.execute("ALTER TABLE auditlog_logentry RENAME TO " + old)
        # Free the names for the new table: index names are the schema's, not the table's.
        cursor.execute(f"ALTER TABLE {old} DROP CONSTRAINT auditlog_logentry_pkey")
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(
            "SELECT 1 FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'id' "
            "AND attidentity <> ''",
            [old],
        )
        if cursor.fetchone():
            cursor.execute(f"ALTER TABLE {old} ALTER COLUMN id DROP IDENTITY")
        else:
            cursor.execute(f"ALTER TABLE {old} ALTER COLUMN id DROP DEFAULT")
            cursor.execute("DROP SEQUENCE IF EXISTS auditlog_logentry_id_seq")
        cursor.execute(f"DROP TRIGGER IF EXISTS auditlog_append_only ON {old}")
        cursor.execute(f"DROP TRIGGER IF EXISTS auditlog_never_truncated ON {old}")

        cursor.execute(
            f"CREATE TABLE auditlog_logentry (LIKE {old} INCLUDING DEFAULTS INCLUDING "
            "CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)"
            + (' PARTITION BY RANGE ("timestamp")' if partitioned else "")
        )
        cursor.execute("CREATE SEQUENCE auditlog_logentry_id_seq AS bigint")
        cursor.execute(
            "ALTER TABLE auditlog_logentry ALTER COLUMN id TYPE bigint, "
            "ALTER COLUMN id SET DEFAULT nextval('auditlog_logentry_id_seq')"
        )
        cursor.execute("ALTER SEQUENCE auditlog_logentry_id_seq OWNED BY auditlog_logentry.id")

    if partitioned:
        today = timezone.now().date()
        month = partitions.month_start(oldest.date() if oldest else today)
        last = partitions.add_months(partitions.month_start(today), settings.AUDIT_PARTITIONS_AHEAD)
        while month <= last:
            partitions.create(connection, month)
            month = partitions.add_months(month, 1)
        partitions.create_default(connection)

    with connection.cursor() as cursor:
        # The rows first, the keys and indexes after: one build per index, not one per row.
        cursor.execute(f"INSERT INTO auditlog_logentry SELECT * FROM {old}")
        if top:
            cursor.execute("SELECT setval('auditlog_logentry_id_seq', %s)", [top])
        cursor.execute(f"DROP TABLE {old}")
        key = '(id, "timestamp")' if partitioned else "(id)"
        cursor.execute(
            f"ALTER TABLE auditlog_logentry ADD CONSTRAINT auditlog_logentry_pkey PRIMARY KEY {key}"
        )
        for name, definition in keys:
            cursor.execute(f'ALTER TABLE auditlog_logentry ADD CONSTRAINT "{name}" {definition}')
        for _, definition in indexes:
            cursor.execute(_on_new_table(definition, old))
        cursor.execute(TRIGGERS)
        cursor.execute("ANALYZE auditlog_logentry")
    database.app_role_grant(connection)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor, partitioned=True)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _rebuild(schema_editor, partitioned=False)


class Migration(migrations.Migration):
    # One transaction (RunPython's on PostgreSQL): a failure leaves the old table as it was.
    dependencies = [
        ("audit", "0004_truncate_guard_and_app_role"),
        ("auditlog", "0017_add_actor_email"),
    ]
    operations = [migrations.RunPython(forward, backward)]
