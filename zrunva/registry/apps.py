from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "zrunva.registry"
    verbose_name = _("Registry")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.registry import models

        auditlog.register(models.Household)
        auditlog.register(
            models.Person, exclude_fields=["name_key", "name_key_rev", "municipality", "updated_at"]
        )
        auditlog.register(models.Membership)
        auditlog.register(models.IncomeSource)
        auditlog.register(models.Representative)
