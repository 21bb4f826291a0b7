from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionKind(models.TextChoices):
    CAPITAL = "capital", _("Capital")
    AUTONOMOUS_REPUBLIC = "autonomous_republic", _("Autonomous republic")
    REGION = "region", _("Region")


class SettlementKind(models.TextChoices):
    CITY = "city", _("City")
    TOWN = "town", _("Town")
    VILLAGE = "village", _("Village")


class OfficeAgency(models.TextChoices):
    SSA = "ssa", _("Social Service Agency")
    SCA = "sca", _("State Care Agency")
