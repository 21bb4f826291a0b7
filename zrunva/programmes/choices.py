from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zrunva.core.jobs import JobStatus


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
    # The formula gave an amount no decision can hold (not a finite number, or more than
    # `validators.LARGEST_AMOUNT`): this beneficiary and programme are left undecided, and the
    # rest of the run goes on.
    ERROR = "error", _("Error: amount out of range")
    # Explanations only, never stored by a run: the programme was not in force on the date.
    NOT_IN_FORCE = "not_in_force", _("Not in force on that date")


class DecisionReason(models.TextChoices):
    """Why a decision is what it is, as a code for reports and the API."""

    CRITERIA_MET = "criteria_met", _("The criteria are met")
    CRITERIA_NOT_MET = "criteria_not_met", _("The criteria are not met")
    NO_AMOUNT = "no_amount", _("The criteria are met but the formula gives no amount")
    MISSING_DATA = "missing_data", _("Data the rules read is missing")
    NOT_REGISTERED = "not_registered", _("No longer a member of a household in the registry")
    AMOUNT_OUT_OF_RANGE = (
        "amount_out_of_range",
        _(
            "The formula gives an amount that cannot be paid or stored; the programme's formula "
            "needs correcting"
        ),
    )
    NOT_IN_FORCE = "not_in_force", _("The programme is not in force on that date")


# A run is a batch job (zrunva.core.jobs): its statuses are a job's.
RunStatus = JobStatus


# A parameter's unit is free text (Parameter.unit); those the shipped parameters and the forms'
# examples use are shown in the page's language, any other as it was written.
UNIT_LABELS = {
    "GEL": _("GEL"),
    "GEL per month": _("GEL a month"),
    "GEL per child": pgettext_lazy("unit", "GEL per child"),
    "GEL per member": pgettext_lazy("unit", "GEL per member"),
    "score": pgettext_lazy("unit", "points"),
    "points": pgettext_lazy("unit", "points"),
    "share": pgettext_lazy("unit", "share"),
    "years": pgettext_lazy("unit", "years"),
    "months": pgettext_lazy("unit", "months"),
    "ha": pgettext_lazy("unit", "ha"),
}


def unit_label(unit: str) -> str:
    """A parameter's unit as a reader of the page's language writes it."""
    return str(UNIT_LABELS.get(unit.strip(), unit)) if unit else ""
