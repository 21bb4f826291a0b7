"""The fill functions again (`Monthly.fill`): the stage named after the session that swaps it
in, so that another connection may load and index it meanwhile (`fill_index`), and stages
left by failed runs dropped. PostgreSQL only."""

from django.db import migrations

from zrunva.programmes.partitions import DECISIONS


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        DECISIONS.fill_functions(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("programmes", "0016_decision_fill_functions")]
    # Backwards nothing: 0016 makes its functions with this same code.
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
