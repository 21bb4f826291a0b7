from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zrunva.integration.agencies import agency_key_issue
from zrunva.integration.models import Agency


class Command(BaseCommand):
    help = (
        "Issue a key for another agency's system to search the registry (the DCI search API): "
        "the key is printed once on standard output (only its hash is stored), its expiry on "
        "standard error. The agency is named by its sender id. It expires after --days "
        "(API_TOKEN_DAYS, 365, by default)."
    )

    def add_arguments(self, parser):
        parser.add_argument("agency", help="the agency's sender id")
        parser.add_argument("--name", default="integration", help="the system the key is for")
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, agency, name, days, **options):
        try:
            found = Agency.objects.get(sender_id=agency)
        except Agency.DoesNotExist:
            known = ", ".join(Agency.objects.values_list("sender_id", flat=True)) or "none"
            raise CommandError(
                f"No agency with the sender id {agency!r} (known: {known})."
            ) from None
        try:
            client, key = agency_key_issue(actor=None, agency=found, name=name, days=days)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(key)
        self.stderr.write(
            f"Key {client.prefix}… for {found.name} ({name}) expires on "
            f"{timezone.localtime(client.expires_at):%Y-%m-%d %H:%M %Z}.",
            style_func=None,
        )
