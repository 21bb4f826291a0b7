from datetime import date

from django.core.management.base import BaseCommand

from zrunva.payments.services import suspensions_due


class Command(BaseCommand):
    help = (
        "Suspend, from next month, the payment of every open enrolment of a programme decided "
        "on a home visit whose household's assessment is out of date, and resume (the months "
        "suspended paid as arrears) those whose household was assessed again, as of today (or "
        "--on); the beneficiary is told. For cron, daily, before end_enrolments. Safe to run "
        "again: nothing is suspended or resumed twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--on", type=date.fromisoformat, help="As of (YYYY-MM-DD); today by default."
        )

    def handle(self, *args, on, **options):
        counts = suspensions_due(on=on)
        self.stdout.write(
            f"Suspended {counts['suspended']} payment(s) for an expired assessment; "
            f"resumed {counts['resumed']}."
        )
