from django.core.management.base import BaseCommand

from zrunva.analytics.aggregates import refresh_aggregates


class Command(BaseCommand):
    help = (
        "Rebuild the dashboards' tables (benefits by month, registry coverage, grievances, "
        "caseload, social work's monthly indicators of past months) from the records. "
        "Idempotent: cron may run it at any time, e.g. nightly."
    )

    def handle(self, *args, **options):
        done = refresh_aggregates(reason="refresh_analytics")
        rows = ", ".join(f"{name} {count:,}" for name, count in done.rows.items())
        self.stdout.write(f"Dashboards' tables refreshed in {done.seconds:.2f} s: {rows} rows.")
