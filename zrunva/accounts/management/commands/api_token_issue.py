from django.core.management.base import BaseCommand, CommandError

from zrunva.accounts.models import User
from zrunva.accounts.services import api_token_issue


class Command(BaseCommand):
    help = "Issue an API bearer token for a user (printed once; only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="integration")

    def handle(self, *args, username, name, **options):
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user named {username!r}.") from None
        _, key = api_token_issue(user=user, name=name)
        self.stdout.write(key)
