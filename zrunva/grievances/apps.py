from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrievancesConfig(AppConfig):
    name = "zrunva.grievances"
    verbose_name = _("Grievances and appeals")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.grievances import models

        auditlog.register(models.Grievance)
