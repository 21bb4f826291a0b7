"""TRUNCATE of the audit trail or of users is refused on PostgreSQL (0001's row triggers do not
see it), and the application's own database role (DB_APP_ROLE), if it exists, gets the rights it
needs without UPDATE, DELETE or TRUNCATE on the audit trail (see zrunva/audit/database.py).

TRUNCATE is a statement, not a row operation, so it needs its own statement-level trigger; a
session that sets `zrunva.allow_truncate` to `on` passes it (only the test suite's database flush
does, see conftest.py), which is why the application role's missing TRUNCATE privilege is the
real guard. The triggers' SQL is written here, as 0001's is, so that this migration creates the
same schema whatever later code says; the grant is the live `app_role_grant`, which is
idempotent and gives the role the rights the application needs now (`manage.py
db_app_role_grant` runs the same).
"""

from django.db import migrations

from zrunva.audit import database

FORWARD = """
CREATE OR REPLACE FUNCTION zrunva_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('zrunva.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'zrunva: TRUNCATE on % is not allowed (%)', TG_TABLE_NAME, TG_ARGV[0]
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER auditlog_never_truncated
    BEFORE TRUNCATE ON auditlog_logentry
    FOR EACH STATEMENT EXECUTE FUNCTION zrunva_refuse_truncate('the audit trail is append-only');

CREATE TRIGGER user_never_truncated
    BEFORE TRUNCATE ON accounts_user
    FOR EACH STATEMENT EXECUTE FUNCTION zrunva_refuse_truncate('deactivate users instead');
"""

BACKWARD = """
DROP TRIGGER IF EXISTS auditlog_never_truncated ON auditlog_logentry;
DROP TRIGGER IF EXISTS user_never_truncated ON accounts_user;
DROP FUNCTION IF EXISTS zrunva_refuse_truncate();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)
        database.app_role_grant(schema_editor.connection)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_subject_access_request")]
    operations = [migrations.RunPython(forward, backward)]
