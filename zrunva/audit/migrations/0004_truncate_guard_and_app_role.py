"""TRUNCATE of the audit trail or of users is refused on PostgreSQL (0001's row triggers do not
see it), and the application's own database role (DB_APP_ROLE), if it exists, gets the rights it
needs without UPDATE, DELETE or TRUNCATE on the audit trail (see zrunva/audit/database.py)."""

from django.db import migrations

from zrunva.audit import database


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(database.TRUNCATE_GUARD, params=None)
        database.app_role_grant(schema_editor.connection)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(database.TRUNCATE_GUARD_REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_subject_access_request")]
    operations = [migrations.RunPython(forward, backward)]
