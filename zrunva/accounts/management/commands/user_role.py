from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from zrunva.accounts.choices import Role
from zrunva.accounts.models import User
from zrunva.accounts.services import user_role_set
from zrunva.geo.models import Municipality, Office


class Command(BaseCommand):
    help = (
        "Give a user a role and its area. The data protection officer is named only here, on "
        "the server, never in the admin (the DPO alone reads the audit trail)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("--municipality", help="a municipality's code (municipal officers)")
        parser.add_argument("--office", help="an office's code (SSA and State Care Agency staff)")

    def handle(self, *args, username, role, municipality, office, **options):
        try:
            user = User.objects.get(username=username)
            place = Municipality.objects.get(code=municipality) if municipality else None
            desk = Office.objects.get(code=office) if office else None
        except (User.DoesNotExist, Municipality.DoesNotExist, Office.DoesNotExist) as error:
            raise CommandError(str(error)) from None
        try:
            user = user_role_set(user=user, role=role, municipality=place, office=desk)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"{user.username}: {user.get_role_display()}")
