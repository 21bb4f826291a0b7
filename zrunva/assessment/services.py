from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.assessment.models import Assessment
from zrunva.assessment.scoring import REASSESSMENT_YEARS, Weights, score_one
from zrunva.assessment.selectors import scoring_model_on
from zrunva.audit.services import acting_as
from zrunva.registry import services as registry
from zrunva.registry.choices import DisabilityDegree, DwellingCondition
from zrunva.registry.models import Household, IncomeSource, Person

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


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def household_variables(household: Household, *, on: date, declared_income: Decimal | None):
    """The means-test variables of a household on a date, from its record and its members."""
    members = list(
        Person.objects.filter(
            memberships__household=household, memberships__end_date__isnull=True
        ).only("birth_date", "disability_degree", "chronic_illness", "pension_amount")
    )
    if not members:
        raise ValidationError(_("The household has no members to assess."))
    size = len(members)
    if declared_income is None:
        incomes = IncomeSource.objects.filter(person__in=members).aggregate(
            total=Sum("monthly_amount")
        )
        declared_income = (incomes["total"] or Decimal(0)) + sum(m.pension_amount for m in members)
    dependants = sum(1 for m in members if not 16 <= _age(m.birth_date, on) < 65)
    return {
        "members": size,
        "income_per_member": float(declared_income) / size,
        "utility_spending_per_member": float(household.monthly_utility_spending) / size,
        "rooms_per_member": household.rooms / size,
        "cars": household.cars,
        "extra_dwellings": household.extra_dwellings,
        "agricultural_land_ha": float(household.agricultural_land_ha),
        "cattle": household.cattle,
        "small_livestock": household.small_livestock,
        "poor_dwelling": int(
            household.dwelling_condition in (DwellingCondition.POOR, DwellingCondition.UNSAFE)
        ),
        "disabled_members": sum(1 for m in members if m.disability_degree != DisabilityDegree.NONE),
        "chronically_ill_members": sum(1 for m in members if m.chronic_illness),
        "dependants_share": dependants / size,
    }


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
