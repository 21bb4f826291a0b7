"""The index of searches by personal number (0006) named the wrong action: searches are
written as ACCESS (3, `zrunva.core.trail.search_log`), which the subject-access report asks for,
not DELETE (2). With the index's predicate never implied by the report's query, the planner
scanned the whole trail for every report (4.9 s at 20 million rows; bench/README.md, `audit.py`).
Rebuilt with the action the rows carry, on every partition."""

from django.db import migrations

from zrunva.core.schema import postgres_sql

FORWARD = """
DROP INDEX IF EXISTS audit_searched_number_idx;
CREATE INDEX audit_searched_number_idx
    ON auditlog_logentry ((additional_data #> '{terms,personal_number}'))
    WHERE action = 3 AND (additional_data #> '{terms,personal_number}') IS NOT NULL;
"""
BACKWARD = """
DROP INDEX IF EXISTS audit_searched_number_idx;
CREATE INDEX audit_searched_number_idx
    ON auditlog_logentry ((additional_data #> '{terms,personal_number}'))
    WHERE action = 2 AND (additional_data #> '{terms,personal_number}') IS NOT NULL;
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_trail_query_indexes")]
    operations = [postgres_sql(FORWARD, BACKWARD)]
