"""Decisions' households and people are checked as a set once per run instead of row by row,
and what is in force is read through indexes on `until` (0010).

- What is in force (`until` null) is read through a partial index, without sorting every
  decision ever stored; the few rows ending after a run's month through another.
- The foreign keys from decisions to households and people are no longer database constraints:
  at 1.5M decisions their per-row checks at commit locked a registry row each and took longer
  than the run. `runs.check_references` checks the run's rows as one set, and since nothing may
  then remove a household or person under a decision, PostgreSQL refuses to delete them at all
  (no service does; people and households are deactivated or end their memberships). SQLite,
  the embedded default, relies on the ORM's PROTECT.
- Fewer indexes to keep up while a run writes 1.5M decisions and as many changes: the person's
  unique constraint leads with the person and replaces the index on it, and a run's changes,
  written together, are found on PostgreSQL by a BRIN index (a B-tree elsewhere).
"""

import django.db.models.deletion
from django.db import migrations, models

REFUSE_DELETE = """
CREATE OR REPLACE FUNCTION zrunva_refuse_registry_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'zrunva: % rows are never deleted (decisions refer to them unchecked)',
        TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER household_never_deleted BEFORE DELETE ON registry_household
    FOR EACH ROW EXECUTE FUNCTION zrunva_refuse_registry_delete();
CREATE TRIGGER person_never_deleted BEFORE DELETE ON registry_person
    FOR EACH ROW EXECUTE FUNCTION zrunva_refuse_registry_delete();
"""
ALLOW_DELETE = """
DROP TRIGGER IF EXISTS household_never_deleted ON registry_household;
DROP TRIGGER IF EXISTS person_never_deleted ON registry_person;
DROP FUNCTION IF EXISTS zrunva_refuse_registry_delete();
"""


def run_index(apps, schema_editor):
    kind = "USING brin " if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX decisionchange_run_idx ON programmes_decisionchange {kind}(run_id)",
        params=None,
    )


def run_index_drop(apps, schema_editor):
    schema_editor.execute("DROP INDEX decisionchange_run_idx", params=None)


def refuse_delete(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REFUSE_DELETE, params=None)


def allow_delete(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW_DELETE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0010_entitlements"),
        ("registry", "0005_speed_snapshot"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="decision",
            name="decision_one_per_person_month",
        ),
        migrations.AlterField(
            model_name="decision",
            name="household",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="decisions",
                to="registry.household",
                verbose_name="household",
            ),
        ),
        migrations.AlterField(
            model_name="decision",
            name="person",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="decisions",
                to="registry.person",
                verbose_name="person",
            ),
        ),
        migrations.AlterField(
            model_name="decisionchange",
            name="run",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="changes",
                to="programmes.run",
                verbose_name="run",
            ),
        ),
        migrations.AddIndex(
            model_name="decision",
            index=models.Index(
                condition=models.Q(("until__isnull", True)),
                fields=["programme", "period"],
                name="decision_in_force_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="decision",
            index=models.Index(
                condition=models.Q(("until__isnull", False)),
                fields=["until"],
                name="decision_until_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="decision",
            constraint=models.UniqueConstraint(
                condition=models.Q(("person__isnull", False)),
                fields=("person", "programme", "period"),
                name="decision_one_per_person_month",
            ),
        ),
        migrations.RunPython(refuse_delete, allow_delete),
        migrations.RunPython(run_index, run_index_drop),
    ]
