"""Schema work that only PostgreSQL gets (expression and partial indexes, triggers): SQLite
installations stay small and plain, so these statements are skipped there."""

from django.db import migrations


def postgres_sql(forward: str, backward: str) -> migrations.RunPython:
    """A migration operation running `forward` (and `backward` when reversed) on PostgreSQL
    only. RunPython rather than RunSQL, which cannot be skipped by database vendor."""

    def run(sql):
        def step(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql, params=None)

        return step

    return migrations.RunPython(run(forward), run(backward))
