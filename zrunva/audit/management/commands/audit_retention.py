from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from django.utils import timezone

from zrunva.audit import partitions


class Command(BaseCommand):
    help = (
        "Export each month of the audit trail older than AUDIT_RETENTION_YEARS to "
        "AUDIT_ARCHIVE_DIR (gzip'd CSV and a manifest with its rows and SHA-256), read it back, "
        "then audit the drop and drop the month, in one transaction (PostgreSQL; run monthly by "
        "cron after `partitions`, as the tables' owner). --dry-run lists what would go."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--years",
            type=int,
            default=settings.AUDIT_RETENTION_YEARS,
            help="keep this many years (default AUDIT_RETENTION_YEARS)",
        )
        parser.add_argument("--archive-dir", default=str(settings.AUDIT_ARCHIVE_DIR))
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, years, archive_dir, dry_run, **options):
        if years < 1:
            raise CommandError("--years must be at least 1.")
        if not partitions.is_partitioned(connection):
            raise CommandError(
                "The audit trail is not partitioned here: retention drops whole months, which "
                "needs PostgreSQL's partitions (migration audit 0005)."
            )
        today = timezone.now().date()
        old = partitions.expired(connection, today=today, years=years)
        if not old:
            self.stdout.write(f"Nothing older than {years} years.")
            return
        for partition in old:
            if dry_run:
                self.stdout.write(f"would archive and drop {partition.name}")
                continue
            saved = partitions.archive(connection, partition, Path(archive_dir))
            try:
                partitions.drop(connection, partition, saved)
            except DatabaseError as error:
                raise CommandError(
                    f"{partition.name}: archived to {saved.path} but not dropped ({error}). "
                    "Dropping needs the tables' owner: run as the role that runs migrations."
                ) from error
            except RuntimeError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(
                f"{partition.name}: {saved.rows} rows to {saved.path} "
                f"(sha256 {saved.sha256[:16]}…), dropped"
            )
