from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgrammeLevel(models.TextChoices):
    """Who the beneficiary is: TSA and child benefit pay the family, the pension and the
    disability package a person. The values are the rule language's levels
    (`expressions.Level`)."""

    HOUSEHOLD = "household", _("Household")
    PERSON = "person", _("Person")


class DecisionStatus(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    # A rule read an attribute the registry lacks for this beneficiary: decided by no one yet.
    NEEDS_DATA = "needs_data", _("Needs data")


class DecisionReason(models.TextChoices):
    """Why a decision is what it is, as a code for reports and the API."""

    CRITERIA_MET = "criteria_met", _("The criteria are met")
    CRITERIA_NOT_MET = "criteria_not_met", _("The criteria are not met")
    NO_AMOUNT = "no_amount", _("The criteria are met but the formula gives no amount")
    MISSING_DATA = "missing_data", _("Data the rules read is missing")
    NOT_REGISTERED = "not_registered", _("No longer a member of a household in the registry")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
