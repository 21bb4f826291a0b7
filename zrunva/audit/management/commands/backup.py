from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zrunva.audit.backups import BackupError, backup_create, database_params, document_roots


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump, custom format) and the uploaded documents into a new "
        "dated directory with a manifest: sizes, SHA-256, every table's row count and the "
        "audit trail's digest. Prints the directory's path."
    )

    def add_arguments(self, parser):
        parser.add_argument("target", type=Path, help="Where the dated directory is made.")

    def handle(self, *args, target: Path, **options):
        try:
            folder = backup_create(target=target, params=database_params(), roots=document_roots())
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(folder))
