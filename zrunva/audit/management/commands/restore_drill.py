import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zrunva.audit.backups import (
    BackupError,
    backup_compare,
    backup_create,
    backup_restore,
    comparison_report,
    database_drop,
    database_exists,
    database_params,
    document_roots,
    documents_remove,
)


class Command(BaseCommand):
    help = (
        "Restore drill: back up the database and the documents, restore them into a fresh "
        "database, and compare every table's row count, the audit trail's digest and every "
        "document with what was backed up. Exits non-zero on any difference. Without "
        "--destroy the original stays and the copy (<database>_drill, documents in a temporary "
        "folder) is dropped afterwards; with --destroy the original database is dropped and the "
        "documents removed before the restore, as after a disaster (on a staging copy only)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--to", type=Path, help="Keep the backup under this folder (default: a temporary one)."
        )
        parser.add_argument(
            "--destroy",
            metavar="DATABASE",
            help="Drop this database (it must be the configured one: name it to confirm) and "
            "remove its documents before restoring them under the same names.",
        )
        parser.add_argument(
            "--keep", action="store_true", help="Leave the drill's database and documents."
        )
        parser.add_argument("--jobs", type=int, default=2, help="pg_restore's parallel jobs.")

    def handle(self, *args, to: Path | None, destroy: str | None, keep: bool, jobs: int, **opts):
        try:
            params = database_params()
        except BackupError as error:
            raise CommandError(str(error)) from error
        source = params["dbname"]
        if destroy is not None and destroy != source:
            raise CommandError(
                f"--destroy names {destroy!r} but the configured database is {source!r}: "
                "name the configured database to confirm that it may be dropped."
            )
        scratch = Path(tempfile.mkdtemp(prefix="zrunva-drill-"))
        roots = document_roots()
        if destroy:
            dbname, restore_roots = source, roots
        else:
            dbname = f"{source}_drill"
            restore_roots = {name: scratch / "documents" / name for name in roots}
            if database_exists(params, dbname):
                raise CommandError(
                    f"The drill's database {dbname!r} exists (a drill run with --keep?): "
                    "drop it first."
                )
        folder = None
        same = False
        try:
            folder = backup_create(target=to or scratch, params=params, roots=roots)
            if destroy:
                database_drop(params, source)
                documents_remove(roots)
            restored = backup_restore(
                folder=folder, params=params, dbname=dbname, roots=restore_roots, jobs=jobs
            )
            comparison = backup_compare(
                manifest=restored["manifest"],
                params={**params, "dbname": dbname},
                roots=restore_roots,
            )
            same = comparison.same
        except BackupError as error:
            raise CommandError(str(error)) from error
        finally:
            if not destroy and not keep:
                database_drop(params, dbname)
            if destroy and not same and folder is not None:
                # The original is gone: the backup is all there is, so it stays.
                self.stderr.write(f"The drill failed; the backup is kept in {folder}.")
            elif not keep:
                shutil.rmtree(scratch, ignore_errors=True)
        for line in comparison_report(
            folder=folder, dbname=dbname, restored=restored, comparison=comparison
        ):
            self.stdout.write(line)
        if not comparison.same:
            raise CommandError("The restore differs from the backup (see above).")
