from datetime import date

from django.core.management.base import BaseCommand

from zrunva.integration.quality import quality_snapshot


class Command(BaseCommand):
    help = (
        "Store today's (or --on's) data-quality counts per municipality and check, for the "
        "charts over time on the data-quality pages. For cron, daily; run again the same day, "
        "it replaces that day's counts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--on", type=date.fromisoformat, help="The day (YYYY-MM-DD); today by default."
        )

    def handle(self, *args, on, **options):
        rows = quality_snapshot(on=on)
        self.stdout.write(f"Stored {rows} data-quality count(s).")
