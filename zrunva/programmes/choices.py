from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgrammeLevel(models.TextChoices):
    """Who the beneficiary is: TSA and child benefit pay the family, the pension and the
    disability package a person. The values are the rule language's levels
    (`expressions.Level`)."""

    HOUSEHOLD = "household", _("Household")
    PERSON = "person", _("Person")
