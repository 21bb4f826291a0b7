"""Builders for tests that need a household's assessment: a recorded score, and the home
visit form's data."""

from datetime import date, timedelta

from django.utils import timezone

from zrunva.assessment.models import Assessment, ScoringModel
from zrunva.registry.tests import factories


def assess(household, score: int, visit: date = date(2025, 1, 10)) -> Assessment:
    """An assessment with a given score, as if the visit had found it."""
    return Assessment.objects.create(
        household=household,
        visit_date=visit,
        assessor=factories.system_actor(),
        scoring_model=ScoringModel.objects.get(code="pmt-illustrative-2015"),
        variables={},
        score=score,
        reassessment_due=visit + timedelta(days=4 * 365),
    )


def visit_form(household, **overrides) -> dict:
    """The home visit form's data for a modest dwelling visited today, changed by
    `overrides`."""
    data = {
        "visit_date": timezone.localdate().isoformat(),
        "rooms": 2,
        "dwelling_condition": "poor",
        "monthly_utility_spending": "40",
        "cars": 0,
        "extra_dwellings": 0,
        "agricultural_land_ha": "0.5",
        "cattle": 1,
        "small_livestock": 0,
        "declared_income": "",
        "notes": "",
    }
    return data | overrides
