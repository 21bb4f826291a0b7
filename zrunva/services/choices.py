from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderKind(models.TextChoices):
    STATE = "state", _("State")
    MUNICIPAL = "municipal", _("Municipal")
    CSO = "cso", _("Civil society organisation")
    PRIVATE = "private", _("Private")


class Cost(models.TextChoices):
    FREE = "free", _("Free of charge")
    CO_PAYMENT = "co_payment", _("Co-payment")
    FEE = "fee", _("Fee")


class Language(models.TextChoices):
    KA = "ka", _("Georgian")
    EN = "en", _("English")
    RU = "ru", _("Russian")
    HY = "hy", _("Armenian")
    AZ = "az", _("Azerbaijani")
    SGN = "sgn", _("Georgian Sign Language")


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
