from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    name = "zrunva.integration"
    verbose_name = _("Data integration")

    def ready(self):
        self._imports()

    def _imports(self):
        from auditlog.registry import auditlog

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, register
        from zrunva.integration import models

        auditlog.register(models.Source)
        auditlog.register(models.Import, exclude_fields=["progress", "stage", "summary"])
        register(
            "nav",
            "integration:home",
            NavItem(_("Imports"), "integration:home", permissions.allows(permissions.IMPORTS_RUN)),
            order=70,
        )
