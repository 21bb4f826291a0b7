from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    DPO = "dpo", _("Data protection officer")
    SSA_OFFICER = "ssa_officer", _("SSA officer")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    SUPERVISOR = "supervisor", _("Supervisor")
    MUNICIPAL_OFFICER = "municipal_officer", _("Municipal officer")
    SERVICE_PROVIDER = "service_provider", _("Service provider")
    CSO_MONITOR = "cso_monitor", _("CSO monitor")
    ANALYST = "analyst", _("Analyst")
    CITIZEN = "citizen", _("Citizen")
