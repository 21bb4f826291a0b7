"""The table owner's two functions that load a month of decisions into its empty partition
as a table of their own, indexed after (`zrunva.core.partitions.Monthly.fill`, called by a run's
write): the application's role may call them but not alter tables itself. PostgreSQL only."""

from django.db import migrations

from zrunva.programmes.partitions import DECISIONS


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        DECISIONS.fill_functions(schema_editor.connection)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        DECISIONS.fill_functions_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("programmes", "0015_decisions_partitioned_by_month")]
    operations = [migrations.RunPython(forward, backward)]
