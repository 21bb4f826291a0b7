"""Import a file of a source on the server, streamed (any size): a dry run by default, then
`--commit` applies what it showed. Prints the report's counts; `--report FILE.csv` writes every
row's outcome."""

import csv
import json

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from zrunva.core.jobs import progress_bar
from zrunva.core.trail import attempt_log
from zrunva.integration.imports import import_execute
from zrunva.integration.models import Source
from zrunva.integration.services import import_commit, import_start


class Command(BaseCommand):
    help = "Import a CSV or XLSX file of an import source (a dry run unless --commit)."

    def add_arguments(self, parser):
        parser.add_argument("source", help="the source's code")
        parser.add_argument("path")
        parser.add_argument("--user", required=True, help="who runs it (a username)")
        parser.add_argument("--commit", action="store_true", help="apply after the dry run")
        parser.add_argument("--report", help="write every row's outcome to this CSV file")

    def handle(self, *args, source, path, user, commit, report, **options):
        try:
            source = Source.objects.get(code=source)
            actor = get_user_model().objects.get(username=user)
        except (Source.DoesNotExist, get_user_model().DoesNotExist) as error:
            raise CommandError(str(error)) from error
        quiet = options["verbosity"] == 0
        try:
            with open(path, "rb") as handle:
                job = import_start(
                    actor=actor, source=source, upload=handle, web=False, enqueue=False
                )
            job = self._run(job, "dry run", quiet)
            if commit:
                job = self._run(
                    import_commit(actor=actor, checked=job, enqueue=False), "commit", quiet
                )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        except PermissionDenied as error:
            attempt_log(actor=actor, status=403, reason=str(error))
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps({"import": job.pk, **job.summary}, ensure_ascii=False))
        if report:
            self._report(job, report)

    def _run(self, job, label, quiet):
        with progress_bar(label=label, quiet=quiet) as progress:
            try:
                return import_execute(job=job, progress=progress)
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from error

    def _report(self, job, path):
        with open(path, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(
                ["row", "outcome", "identity", "person", "matched_by", "changes", "errors"]
            )
            for r in job.rows.order_by("row").iterator(chunk_size=5000):
                writer.writerow(
                    [
                        r.row,
                        r.outcome,
                        r.identity,
                        r.person_id or "",
                        r.method,
                        json.dumps(r.changes, ensure_ascii=False) if r.changes else "",
                        "; ".join(f"{e['field'] or '—'}: {e['reason']}" for e in r.errors),
                    ]
                )
