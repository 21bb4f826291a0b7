"""Indexes for the trail's own questions at tens of millions of rows (PostgreSQL; on the
partitioned table each is built on every partition, present and future):
- the DPO's denied attempts, newest first (the home page's tile and the log's filter): a
  partial index on the few rows that are attempts, matching the ORM's `additional_data__attempt
  =True` exactly, so the planner can use it; 4.6 s at 20M rows without it (bench/README.md);
- what one account or one address did in a window (`manage.py breach_scope`);
- the searches by one personal number, which the subject-access report lists (its filter,
  `additional_data__terms__personal_number`, is the `#>` path below, word for word).
"""

from django.db import migrations

from zrunva.core.schema import postgres_sql

FORWARD = """
CREATE INDEX IF NOT EXISTS audit_attempt_idx ON auditlog_logentry ("timestamp" DESC, id DESC)
    WHERE (additional_data -> 'attempt') = 'true'::jsonb;
CREATE INDEX IF NOT EXISTS audit_actor_time_idx ON auditlog_logentry (actor_id, "timestamp");
CREATE INDEX IF NOT EXISTS audit_address_time_idx ON auditlog_logentry (remote_addr, "timestamp")
    WHERE remote_addr IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_searched_number_idx
    ON auditlog_logentry ((additional_data #> '{terms,personal_number}'))
    WHERE action = 2 AND (additional_data #> '{terms,personal_number}') IS NOT NULL;
"""
BACKWARD = """
DROP INDEX IF EXISTS audit_attempt_idx;
DROP INDEX IF EXISTS audit_actor_time_idx;
DROP INDEX IF EXISTS audit_address_time_idx;
DROP INDEX IF EXISTS audit_searched_number_idx;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_partition_by_month")]
    operations = [postgres_sql(FORWARD, BACKWARD)]
