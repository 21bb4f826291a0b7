"""The audit trail becomes a table partitioned by month on PostgreSQL (zrunva/audit/partitions.py,
docs/partitioning.md). SQLite keeps its one table.

django-auditlog's table is rebuilt under the same name from its own column definitions
(`LIKE`, so whatever auditlog migration ran before this one, its columns come along) by
`zrunva.core.partitions.Monthly.rebuild`, with:
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

from django.conf import settings
from django.db import migrations

from zrunva.audit import database, partitions


def _rebuild(schema_editor, *, partitioned: bool):
    connection = schema_editor.connection
    partitions.TRAIL.rebuild(
        connection, partitioned=partitioned, ahead=settings.AUDIT_PARTITIONS_AHEAD
    )
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
