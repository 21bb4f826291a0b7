from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zrunva.audit.backups import (
    BackupError,
    backup_compare,
    backup_restore,
    comparison_report,
    database_params,
    document_roots,
)


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into a new database and the configured "
        "(empty) MEDIA_ROOT and PRIVATE_MEDIA_ROOT, then compare every table's row count, the "
        "audit trail's digest and every document with the backup's manifest. Exits non-zero on "
        "any difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="The backup's directory.")
        parser.add_argument(
            "--database",
            required=True,
            help="The new database's name, on the server of DATABASE_URL (it must not exist).",
        )
        parser.add_argument("--jobs", type=int, default=2, help="pg_restore's parallel jobs.")
        parser.add_argument(
            "--no-owner",
            action="store_true",
            help="Restore as the connecting role, without the original owner and grants (then "
            "run `manage.py db_app_role_grant`).",
        )

    def handle(self, *args, backup: Path, database: str, jobs: int, no_owner: bool, **options):
        params = database_params()
        roots = document_roots()
        try:
            restored = backup_restore(
                folder=backup,
                params=params,
                dbname=database,
                roots=roots,
                jobs=jobs,
                no_owner=no_owner,
            )
            comparison = backup_compare(
                manifest=restored["manifest"], params={**params, "dbname": database}, roots=roots
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        for line in comparison_report(
            folder=backup, dbname=database, restored=restored, comparison=comparison
        ):
            self.stdout.write(line)
        if not comparison.same:
            raise CommandError("The restore differs from the backup (see above).")
