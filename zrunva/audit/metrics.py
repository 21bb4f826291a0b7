"""The audit trail's Prometheus gauges (zrunva.core.metrics): on PostgreSQL, how many months
ahead have their partition and how many rows the default partition caught (both mean
`manage.py audit_partitions` has stopped running: rows are kept, but no longer by month, and
retention cannot drop them). Nothing when the trail is not partitioned (SQLite)."""

from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone

from zrunva.audit import partitions
from zrunva.core.metrics import gauge


def metrics():
    if connection.vendor != "postgresql":
        return []
    listed = partitions.partitions(connection)
    if not listed:  # not partitioned (yet)
        return []
    months = [p.month for p in listed if p.month]
    oldest = months[0] if months else None
    return [
        gauge(
            "zrunva_audit_partition_months_ahead",
            "Months after this one whose audit partition exists (0: next month's rows go to "
            "the default partition).",
            partitions.months_ahead(connection, today=timezone.now().date(), listed=listed),
        ),
        gauge(
            "zrunva_audit_default_partition_rows",
            "Audit rows in the default partition, which no month holds (should be 0).",
            partitions.default_rows(connection),
        ),
        gauge(
            "zrunva_audit_oldest_month_timestamp_seconds",
            "The first day of the oldest month of the audit trail still in the database.",
            datetime(oldest.year, oldest.month, 1, tzinfo=UTC).timestamp() if oldest else 0.0,
        ),
    ]
