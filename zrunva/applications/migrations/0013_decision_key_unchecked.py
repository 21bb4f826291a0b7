"""An application's decision for the month no longer has a foreign-key constraint: the decisions
become partitioned by month on PostgreSQL (programmes' migration 0015), and a key into a
partitioned table would need the month too. What the constraint refused, deleting a decision an
application's decision rests on (a run replacing its month's row), a trigger refuses instead,
on PostgreSQL (the test suite empties SQLite's tables with DELETE; SQLite installations rely on
the ORM's PROTECT)."""

import django.db.models.deletion
from django.db import migrations, models

from zrunva.core.schema import postgres_sql

KEPT = """
CREATE OR REPLACE FUNCTION zrunva_refuse_decision_delete() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM applications_application WHERE decision_id = OLD.id) THEN
        RAISE EXCEPTION 'zrunva: decision % is the basis of an application''s decision and is kept',
            OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER decision_read_kept BEFORE DELETE ON programmes_decision
    FOR EACH ROW EXECUTE FUNCTION zrunva_refuse_decision_delete();
"""
NOT_KEPT = """
DROP TRIGGER IF EXISTS decision_read_kept ON programmes_decision;
DROP FUNCTION IF EXISTS zrunva_refuse_decision_delete();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0012_steps_record_what_happened"),
        ("programmes", "0014_programme_documents"),
    ]

    operations = [
        migrations.AlterField(
            model_name="application",
            name="decision",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="The run's decision the application's decision read, or the one it "
                "stored.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="programmes.decision",
                verbose_name="decision for the month",
            ),
        ),
        postgres_sql(KEPT, NOT_KEPT),
    ]
