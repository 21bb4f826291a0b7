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

        from zrunva.audit import subject_access
        from zrunva.registry import selectors

        subject_access.register(
            "person", _("Personal details"), selectors.subject_access_person, order=10
        )
        subject_access.register(
            "households", _("Households"), selectors.subject_access_households, order=11
        )
        subject_access.register(
            "incomes", _("Income sources"), selectors.subject_access_incomes, order=12
        )
        subject_access.register(
            "representatives",
            _("Representatives"),
            selectors.subject_access_representatives,
            order=13,
        )
