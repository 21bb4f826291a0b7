import os
import tempfile
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zrunva.analytics.report import file_name, monthly_report
from zrunva.geo.models import Municipality


class Command(BaseCommand):
    help = (
        "Write the monthly monitoring report (PDF and XLSX) for the country and for each "
        "municipality (or one: --municipality) into a directory. Idempotent: the files of a "
        "month are written again whole (each replaced at once), so cron may run it any time "
        "after the month's payroll. Small cells are suppressed (the files may be published) "
        "unless --unsuppressed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month, YYYY-MM.")
        parser.add_argument("--municipality", default="", help="One municipality's code.")
        parser.add_argument(
            "--directory",
            default=str(Path(settings.VAR_DIR) / "reports"),
            help="Where to write the files (default var/reports/).",
        )
        parser.add_argument(
            "--unsuppressed",
            action="store_true",
            help="Show cells under 10 people (for internal use only).",
        )

    def handle(self, *args, month, municipality, directory, unsuppressed, **options):
        try:
            day = datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            raise CommandError(
                f"--month {month!r}: write the month as YYYY-MM, e.g. 2026-11."
            ) from None
        if municipality:
            found = Municipality.objects.filter(code=municipality).first()
            if found is None:
                raise CommandError(
                    f"--municipality {municipality!r}: no municipality has this code."
                )
            areas = [(found.code, frozenset({found.pk}))]
        else:
            areas = [("georgia", None)] + [
                (m.code, frozenset({m.pk})) for m in Municipality.objects.order_by("code")
            ]
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        written = 0
        for code, scope in areas:
            for fmt in ("pdf", "xlsx"):
                content = monthly_report(
                    month=day,
                    scope=scope,
                    suppress=not unsuppressed,
                    fmt=fmt,
                    code="" if scope is None else code,
                )
                path = target / file_name(day, code, fmt)
                # Written beside and renamed: a reader never finds half a file.
                with tempfile.NamedTemporaryFile(dir=target, delete=False, suffix=".part") as out:
                    out.write(content)
                os.replace(out.name, path)
                written += 1
        self.stdout.write(f"{written} files written to {target} for {day:%Y-%m}.")
