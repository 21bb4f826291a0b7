from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "zrunva.cases"
    verbose_name = _("Social work cases")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.cases import models

        auditlog.register(models.SocialCase)
        auditlog.register(models.Entry, exclude_fields=["file"])
        auditlog.register(models.CarePlan)
        auditlog.register(models.PlanAction)
        auditlog.register(models.Colleague)
        auditlog.register(models.BreakGlass)
        auditlog.register(models.Transfer)
        auditlog.register(models.JobSeekerReferral)
