"""Issue 9, finding 7, sibling: the rating score column is an integer (at most 2,147,483,647).
With the illustrative weights (150 a GEL of income per member) a household of one whose income
is recorded or declared at 15 million GEL a month (a typing slip the forms accept: incomes go up
to 99,999,999.99) scores past it: the visit cannot be recorded (an error on "score", a field the
officer never sees), and a bulk assessment holding such a household fails whole on PostgreSQL
("integer out of range"). No threshold is anywhere near: the score is held at the column's
largest value."""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from zrunva.accounts.choices import Role
from zrunva.assessment.models import Assessment, ScoringModel
from zrunva.assessment.scoring import Weights, score_frame
from zrunva.assessment.services import assessment_record
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db
LARGEST_SCORE = 2_147_483_647


def test_a_high_declared_income_is_recorded_with_the_largest_score(make_user):
    household = factories.household()
    assessment = assessment_record(
        actor=make_user(Role.SSA_OFFICER),
        household=household,
        visit_date=date(2025, 5, 1),
        declaration={},
        declared_income=Decimal("20000000"),
    )
    assert Assessment.objects.get(pk=assessment.pk).score == LARGEST_SCORE


def test_scores_stay_inside_the_column_for_a_whole_frame():
    weights = Weights.of(ScoringModel.objects.order_by("valid_from").first())
    frame = pl.DataFrame(
        [dict.fromkeys(weights.weights, 0.0) | {"income_per_member": 1e12}]
        + [dict.fromkeys(weights.weights, 0.0)]
    )
    scores = score_frame(frame, weights).to_list()
    assert scores[0] == LARGEST_SCORE
    assert scores[1] == int(weights.intercept)
