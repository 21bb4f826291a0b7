from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zrunva.accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.accounts.models import User

        auditlog.register(User, exclude_fields=["password", "last_login"])
