from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from zrunva.core import partitions
from zrunva.core.partitions import add_months


class Command(BaseCommand):
    help = (
        "Create the monthly partitions of every partitioned table (the audit trail, the "
        "eligibility decisions) for this month and the months ahead its setting names "
        "(AUDIT_PARTITIONS_AHEAD, DECISION_PARTITIONS_AHEAD) and for every month whose rows "
        "the default partition caught, moving those rows into their month; merge the months of "
        "past years into one partition each where the table does (DECISION_PARTITIONS_MONTHLY_"
        "YEARS); then list them. PostgreSQL; run monthly by cron, as the tables' owner."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--ahead",
            type=int,
            help="months ahead of this one, for every table (default: each table's setting)",
        )

    def handle(self, *args, ahead, **options):
        if ahead is not None and ahead < 1:
            raise CommandError("--ahead must be at least 1: next month needs its partition.")
        if connection.vendor != "postgresql":
            raise CommandError(
                "Partitioning is PostgreSQL's; SQLite keeps one table each, nothing to do."
            )
        for spec in partitions.registered():
            if not spec.is_partitioned(connection):
                raise CommandError(f"{spec.table} is not partitioned: are the migrations applied?")
            today = spec.today()
            months = spec.ahead if ahead is None else ahead
            for name in spec.ensure(connection, today=today, ahead=months):
                self.stdout.write(f"created {name}")
            with connection.cursor() as cursor:
                # The parent's statistics, which autovacuum gathers for each partition alone.
                cursor.execute(f"ANALYZE {spec.table}")
            listed = [p for p in spec.partitions(connection) if p.month]
            self.stdout.write(
                f"{spec.table}: {len(listed)} partitions, {listed[0].month:%Y-%m} to "
                f"{add_months(listed[-1].end, -1):%Y-%m}; "
                f"{spec.months_ahead(connection, today=today)} months ahead "
                f"of this one; {spec.default_rows(connection)} rows in the default partition"
            )
