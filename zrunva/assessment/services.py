from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.assessment.models import Assessment
from zrunva.assessment.scoring import REASSESSMENT_YEARS, Weights, score_one, variables_frame
from zrunva.assessment.selectors import scoring_model_on
from zrunva.core.trail import acting_as
from zrunva.registry import services as registry
from zrunva.registry.columns import RegistryFrames, registry_frames
from zrunva.registry.models import Household

# What the social agent records on the visit; all but the declared income also update the
# household's record, so the registry keeps what was last seen.
DWELLING_FIELDS = (
    "rooms",
    "dwelling_condition",
    "monthly_utility_spending",
    "cars",
    "extra_dwellings",
    "agricultural_land_ha",
    "cattle",
    "small_livestock",
)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def household_variables(household: Household, *, on: date, declared_income: Decimal | None):
    """The means-test variables of a household, from its record and its members as the registry
    holds them now (a visit is recorded after it took place), with ages on the visit date: the
    same columnar computation a whole-registry re-scoring runs, on one household."""
    registry_data = registry_frames(on=timezone.localdate(), household_ids=[household.pk])
    if declared_income is not None:
        registry_data = RegistryFrames(
            registry_data.households.with_columns(declared_income=float(declared_income)),
            registry_data.people,
        )
    rows = variables_frame(registry_data, on=on).drop("household_id").to_dicts()
    if not rows:
        raise ValidationError(_("The household has no members to assess."))
    return rows[0]


@transaction.atomic
def assessment_record(
    *,
    actor,
    household: Household,
    visit_date: date,
    declaration: dict,
    declared_income: Decimal | None = None,
    notes: str = "",
) -> Assessment:
    """Record a home visit: update the dwelling and assets as found, compute the rating score
    under the scoring model in force on the visit date (Decree №758), and set the next
    re-assessment 4 years on."""
    permissions.require(actor, permissions.ASSESSMENT_RECORD)
    permissions.require_in_scope(actor, household.municipality_id)
    if visit_date > timezone.localdate():
        raise ValidationError({"visit_date": _("The visit date cannot be in the future.")})
    if declared_income is not None and declared_income < 0:
        raise ValidationError({"declared_income": _("Income cannot be negative.")})
    unknown = set(declaration) - set(DWELLING_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    model = scoring_model_on(visit_date)
    if model is None:
        raise ValidationError({"visit_date": _("No scoring model is in force on this date.")})
    with acting_as(actor):
        if declaration:
            household = registry.household_update(
                actor=actor, household=household, data=declaration
            )
        variables = household_variables(household, on=visit_date, declared_income=declared_income)
        assessment = Assessment(
            household=household,
            visit_date=visit_date,
            assessor=actor,
            scoring_model=model,
            variables=variables,
            score=score_one(variables, Weights.of(model)),
            reassessment_due=_years_later(visit_date, REASSESSMENT_YEARS),
            notes=notes,
        )
        assessment.full_clean()
        assessment.save()
    return assessment
