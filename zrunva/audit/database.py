"""PostgreSQL guards of the audit trail below the application, and the rights of the role the
application runs as.

The tables are owned by the role that runs the migrations; the application should connect as
another role (named by the DB_APP_ROLE setting) that may read and write the data but cannot
alter the schema, drop the triggers, or change, delete or empty the audit trail. The triggers
also refuse what the owner's connection could otherwise do by mistake or through an injected
statement: UPDATE, DELETE and TRUNCATE of audit rows, DELETE and TRUNCATE of users (the
triggers of migrations 0001 and 0004). A session that sets `zrunva.allow_truncate` to `on` passes
the TRUNCATE trigger (only the test suite's database flush does), which is why the role's missing
TRUNCATE privilege is the real guard.
"""

from django.conf import settings

from zrunva.audit import partitions

# What the application's role needs: the data, not the schema. Later migrations' tables get the
# same rights by default (default privileges of the role that runs the migrations).
APP_ROLE_GRANTS = """
GRANT USAGE ON SCHEMA {schema} TO {role};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role};
ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role};
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON auditlog_logentry FROM {role};
REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON accounts_user FROM {role};
"""


def app_role_grant(connection, role: str | None = None) -> bool:
    """Give the application's role (DB_APP_ROLE) the rights it needs and none over the audit
    trail's history. Does nothing (False) off PostgreSQL, without a role named, or when the
    role does not exist yet (create it, then run `manage.py db_app_role_grant`)."""
    role = settings.DB_APP_ROLE if role is None else role
    if connection.vendor != "postgresql" or not role:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            return False
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        quote = connection.ops.quote_name
        cursor.execute(APP_ROLE_GRANTS.format(schema=quote(schema), role=quote(role)))
        # Each month of a partitioned trail is a table of its own, reachable directly.
        for partition in partitions.partitions(connection):
            cursor.execute(partitions.REVOKE.format(table=quote(partition.name), role=quote(role)))
    return True
