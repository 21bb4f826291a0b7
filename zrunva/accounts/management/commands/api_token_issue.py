from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zrunva.accounts.models import User
from zrunva.accounts.services import api_token_issue


class Command(BaseCommand):
    help = (
        "Issue an API bearer token for a user: the key is printed once on standard output (only "
        "its hash is stored), its expiry on standard error. It expires after --days "
        "(API_TOKEN_DAYS, 365, by default)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="integration")
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, username, name, days, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user named {username!r}.") from None
        token, key = api_token_issue(user=user, name=name, days=days)
        self.stdout.write(key)
        self.stderr.write(
            f"Token {token.prefix}… for {username} expires on "
            f"{timezone.localtime(token.expires_at):%Y-%m-%d %H:%M %Z}.",
            style_func=None,
        )
