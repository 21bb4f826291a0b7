from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from zrunva.audit import partitions


class Command(BaseCommand):
    help = (
        "Create the audit trail's monthly partitions for this month and AUDIT_PARTITIONS_AHEAD "
        "months ahead (PostgreSQL; run monthly by cron, as the tables' owner), moving any rows "
        "the default partition caught into their month; then list the partitions."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--ahead",
            type=int,
            default=settings.AUDIT_PARTITIONS_AHEAD,
            help="months ahead of this one (default AUDIT_PARTITIONS_AHEAD)",
        )

    def handle(self, *args, ahead, **options):
        if ahead < 1:
            raise CommandError("--ahead must be at least 1: next month needs its partition.")
        if not partitions.is_partitioned(connection):
            raise CommandError(
                "The audit trail is not partitioned here: partitioning is PostgreSQL's "
                "(migration audit 0005); SQLite keeps one table."
            )
        today = timezone.now().date()
        for name in partitions.ensure(connection, today=today, ahead=ahead):
            self.stdout.write(f"created {name}")
        listed = partitions.partitions(connection)
        months = [p for p in listed if p.month]
        self.stdout.write(
            f"{len(months)} months, {months[0].month:%Y-%m} to {months[-1].month:%Y-%m}; "
            f"{partitions.months_ahead(connection, today=today)} ahead of this one; "
            f"{partitions.default_rows(connection)} rows in the default partition"
        )
