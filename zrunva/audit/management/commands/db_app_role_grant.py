from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from zrunva.audit.database import app_role_grant


class Command(BaseCommand):
    help = (
        "Grant the application's database role (DB_APP_ROLE) what it needs: the data, not the "
        "schema, and no UPDATE, DELETE or TRUNCATE of the audit trail. Run as the tables' owner."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", default=settings.DB_APP_ROLE, help="Default: DB_APP_ROLE.")

    def handle(self, *args, role: str, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Roles are PostgreSQL's; there is nothing to grant on SQLite.")
        if not role:
            raise CommandError("Name the role: set DB_APP_ROLE or pass --role.")
        if not app_role_grant(connection, role):
            raise CommandError(f"There is no database role {role!r}: create it first.")
        self.stdout.write(f"Granted {role} the application's rights.")
