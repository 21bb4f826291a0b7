"""A published form version never changes, below the application: answers keep the version
they answered, and results across versions rely on it. A trigger refuses any change to a
version that is not a draft (its questions, form, number, or a return to draft) and its
deletion (on PostgreSQL: the test suite empties SQLite's tables with DELETE, and a published
version's answers hold it there too); retiring it (published → retired) is the one change
allowed."""

from django.db import migrations

POSTGRES = """
CREATE TRIGGER formversion_frozen
    BEFORE UPDATE ON questionnaires_formversion
    FOR EACH ROW
    WHEN (OLD.status <> 'draft' AND (
        NEW.definition IS DISTINCT FROM OLD.definition
        OR NEW.form_id <> OLD.form_id
        OR NEW.number <> OLD.number
        OR NEW.status = 'draft'
        OR NEW.published_at IS DISTINCT FROM OLD.published_at
    ))
    EXECUTE FUNCTION zrunva_refuse_change('a published form version never changes');

CREATE TRIGGER formversion_kept
    BEFORE DELETE ON questionnaires_formversion
    FOR EACH ROW
    WHEN (OLD.status <> 'draft')
    EXECUTE FUNCTION zrunva_refuse_change('a published form version is kept');
"""
POSTGRES_BACK = """
DROP TRIGGER IF EXISTS formversion_frozen ON questionnaires_formversion;
DROP TRIGGER IF EXISTS formversion_kept ON questionnaires_formversion;
"""
SQLITE = [
    """
CREATE TRIGGER formversion_frozen
    BEFORE UPDATE ON questionnaires_formversion
    FOR EACH ROW
    WHEN OLD.status <> 'draft' AND (
        NEW.definition IS NOT OLD.definition
        OR NEW.form_id <> OLD.form_id
        OR NEW.number <> OLD.number
        OR NEW.status = 'draft'
        OR NEW.published_at IS NOT OLD.published_at
    )
    BEGIN SELECT RAISE(ABORT, 'zrunva: a published form version never changes'); END
""",
]
SQLITE_BACK = ["DROP TRIGGER IF EXISTS formversion_frozen"]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACK, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACK:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("questionnaires", "0001_initial"),
        ("audit", "0001_append_only"),  # zrunva_refuse_change()
    ]
    operations = [migrations.RunPython(forward, backward)]
