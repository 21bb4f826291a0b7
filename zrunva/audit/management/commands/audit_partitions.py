from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Deprecated: `manage.py partitions` now makes the months of every partitioned table "
        "(the audit trail and the decisions). Kept so that an existing cron line (`audit_partitions "
        "&& audit_retention`) goes on working after an upgrade; it runs `partitions`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, help="months ahead of this one")

    def handle(self, *args, ahead, **options):
        self.stderr.write("audit_partitions is deprecated: change the cron line to `partitions`.")
        call_command("partitions", ahead=ahead, stdout=self.stdout, stderr=self.stderr)
