from datetime import date

from django.core.management.base import BaseCommand

from zrunva.grievances.services import grievances_escalate


class Command(BaseCommand):
    help = (
        "Escalate every unresolved grievance whose answer was due before today (or --on), once, "
        "and tell its complainant. Safe to run again: nothing is escalated twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--on", type=date.fromisoformat, help="As of (YYYY-MM-DD); today by default."
        )

    def handle(self, *args, on, **options):
        counts = grievances_escalate(today=on)
        self.stdout.write(
            f"Escalated {counts['escalated']} grievance(s); queued {counts['messages']} message(s)."
        )
