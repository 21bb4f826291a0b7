"""Histories find the audit rows of a person's memberships, incomes and representatives (and a
household's memberships) by the ids stored in `additional_data`; without an index each record
page would scan the whole trail. PostgreSQL only: SQLite installs stay small."""

from django.db import migrations

from zrunva.core.schema import postgres_sql

FORWARD = """
CREATE INDEX IF NOT EXISTS audit_person_id_idx ON auditlog_logentry ((additional_data -> 'person_id'));
CREATE INDEX IF NOT EXISTS audit_household_id_idx ON auditlog_logentry ((additional_data -> 'household_id'));
"""
BACKWARD = """
DROP INDEX IF EXISTS audit_person_id_idx;
DROP INDEX IF EXISTS audit_household_id_idx;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_append_only")]
    operations = [postgres_sql(FORWARD, BACKWARD)]
