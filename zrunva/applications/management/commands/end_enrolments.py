from datetime import date

from django.core.management.base import BaseCommand

from zrunva.applications.services import enrolments_end_due


class Command(BaseCommand):
    help = (
        "End every open enrolment whose beneficiary's death the registry records, or whose "
        "household's re-assessment is overdue past REASSESSMENT_GRACE_DAYS (programmes decided "
        "on a home visit), as of today (or --on), and tell the beneficiary. For cron, daily. "
        "Safe to run again: nothing is ended twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--on", type=date.fromisoformat, help="As of (YYYY-MM-DD); today by default."
        )

    def handle(self, *args, on, **options):
        counts = enrolments_end_due(on=on)
        self.stdout.write(
            f"Ended {counts['death']} enrolment(s) on a recorded death and "
            f"{counts['reassessment_overdue']} on an overdue re-assessment."
        )
