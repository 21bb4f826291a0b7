"""The audit trail is append-only below the application, and users are never deleted.

On PostgreSQL, triggers refuse UPDATE and DELETE on auditlog's rows and DELETE on users. (TRUNCATE,
used only by test teardown and by a DBA, is a separate privilege and not a row operation.)
SQLite has no roles to protect the file; there the application's admin refuses deletion.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION zrunva_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'zrunva: % on % is not allowed (%)', TG_OP, TG_TABLE_NAME, TG_ARGV[0]
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER auditlog_append_only
    BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION zrunva_refuse_change('the audit trail is append-only');

CREATE TRIGGER user_never_deleted
    BEFORE DELETE ON accounts_user
    FOR EACH ROW EXECUTE FUNCTION zrunva_refuse_change('deactivate users instead');
"""
BACKWARD = """
DROP TRIGGER IF EXISTS auditlog_append_only ON auditlog_logentry;
DROP TRIGGER IF EXISTS user_never_deleted ON accounts_user;
DROP FUNCTION IF EXISTS zrunva_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        # Pinned, not __latest__: a newer auditlog's migration must run after ours on an
        # installation that has ours already (docs/partitioning.md, "Upgrading auditlog").
        ("auditlog", "0017_add_actor_email"),
        ("accounts", "0001_initial"),
    ]
    operations = [migrations.RunPython(forward, backward)]
