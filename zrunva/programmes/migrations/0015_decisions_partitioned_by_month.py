"""The eligibility decisions become a table partitioned by month of `period` on PostgreSQL
(zrunva/programmes/partitions.py, docs/partitioning.md); SQLite keeps its one table.

`zrunva.core.partitions.Monthly.rebuild` rebuilds the table under the same name, as the audit
trail's migration 0005 does: the primary key becomes (id, period), `id` a bigint from a plain
sequence going on from the old one, and the indexes (both one-per-month unique indexes
already hold `period`), check constraints and triggers keep their names. Months are made from
the oldest decision's to DECISION_PARTITIONS_AHEAD months ahead (the years before those kept by
month, DECISION_PARTITIONS_MONTHLY_YEARS, in one partition each), plus the default partition.
The one foreign key into the table went first (applications' migration 0013). The table is
locked meanwhile: bench/README.md (`decisions.py`) has how long at a country's decisions.
"""

from django.conf import settings
from django.db import migrations

from zrunva.audit import database
from zrunva.programmes.partitions import DECISIONS


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        DECISIONS.rebuild(
            schema_editor.connection, partitioned=True, ahead=settings.DECISION_PARTITIONS_AHEAD
        )
        database.app_role_grant(schema_editor.connection)  # the new sequence and partitions


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        DECISIONS.rebuild(schema_editor.connection, partitioned=False, ahead=0)
        database.app_role_grant(schema_editor.connection)


class Migration(migrations.Migration):
    # One transaction (RunPython's on PostgreSQL): a failure leaves the old table as it was.
    dependencies = [
        ("programmes", "0014_programme_documents"),
        ("applications", "0013_decision_key_unchecked"),
    ]
    operations = [migrations.RunPython(forward, backward)]
