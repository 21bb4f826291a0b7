from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.assessment.models import ScoringModel
from zrunva.assessment.scoring import VARIABLES, Weights, score_frame, score_one, unknown_variables
from zrunva.assessment.selectors import households_due, score_history
from zrunva.assessment.services import assessment_record
from zrunva.registry import services as registry
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


def _model() -> ScoringModel:
    return ScoringModel.objects.get(code="pmt-illustrative-2015")


def test_shipped_model_names_only_known_variables_and_is_illustrative():
    model = _model()
    assert unknown_variables(model.weights) == []
    assert model.illustrative and "Decree №758" in model.source


def test_score_is_the_weighted_sum_clipped_at_zero():
    weights = Weights(intercept=Decimal(1000), weights={"cars": 500, "disabled_members": -2000})
    assert score_one({"cars": 2, "disabled_members": 0}, weights) == 2000
    assert score_one({"cars": 0, "disabled_members": 1}, weights) == 0


def test_bulk_and_single_scores_agree():
    weights = Weights.of(_model())
    rows = [
        {name: (i * 7 + j * 3) % 11 / (1 + j % 3) for j, name in enumerate(VARIABLES)}
        for i in range(500)
    ]
    bulk = score_frame(pl.DataFrame(rows), weights).to_list()
    assert bulk == [score_one(row, weights) for row in rows]


def test_a_home_visit_records_variables_score_and_next_due_date(make_user):
    officer = make_user(Role.SSA_OFFICER)
    household = factories.household(head={"birth_date": date(1950, 1, 1)})
    child = factories.member(household, birth_date=date(2015, 1, 1), disability_degree="severe")
    registry.income_add(
        actor=officer, person=child, data={"kind": "other", "monthly_amount": Decimal("100")}
    )
    visit = date(2024, 2, 29)
    assessment = assessment_record(
        actor=officer,
        household=household,
        visit_date=visit,
        declaration={"cars": 1, "rooms": 3, "dwelling_condition": "poor"},
    )
    v = assessment.variables
    assert (v["members"], v["income_per_member"], v["cars"], v["rooms_per_member"]) == (
        2,
        50.0,
        1,
        1.5,
    )
    assert (v["poor_dwelling"], v["disabled_members"], v["dependants_share"]) == (1, 1, 1.0)
    assert assessment.score == score_one(v, Weights.of(_model()))
    assert assessment.reassessment_due == date(2028, 2, 29)
    # The household's record now shows what the visit found, with its history.
    household.refresh_from_db()
    assert household.cars == 1
    assert LogEntry.objects.get_for_object(household).filter(action=LogEntry.Action.UPDATE).exists()


def test_declared_income_replaces_the_recorded_one(make_user):
    household = factories.household()
    assessment = assessment_record(
        actor=make_user(Role.SSA_OFFICER),
        household=household,
        visit_date=date(2025, 5, 1),
        declaration={},
        declared_income=Decimal("900"),
    )
    assert assessment.variables["income_per_member"] == 900.0


def test_bad_visits_are_refused_with_the_field_named(make_user):
    officer = make_user(Role.SSA_OFFICER)
    household = factories.household()
    with pytest.raises(ValidationError) as err:
        assessment_record(
            actor=officer,
            household=household,
            visit_date=timezone.localdate() + timedelta(days=1),
            declaration={},
        )
    assert err.value.message_dict == {"visit_date": ["The visit date cannot be in the future."]}
    with pytest.raises(ValidationError) as err:
        assessment_record(
            actor=officer, household=household, visit_date=date(2010, 1, 1), declaration={}
        )
    assert err.value.message_dict == {"visit_date": ["No scoring model is in force on this date."]}
    with pytest.raises(ValidationError) as err:
        assessment_record(
            actor=officer,
            household=household,
            visit_date=date(2025, 1, 1),
            declaration={"cars": -1},
        )
    assert "cars" in err.value.message_dict
    assert not household.assessments.exists()


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.SOCIAL_WORKER, {}),
        (Role.ANALYST, {}),
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}),
        (Role.SSA_OFFICER, {"office": "ssa-zugdidi"}),
    ],
)
def test_only_ssa_staff_in_the_area_record_visits(make_user, role, scope):
    household = factories.household("kutaisi")
    with pytest.raises(PermissionDenied):
        assessment_record(
            actor=make_user(role, **scope),
            household=household,
            visit_date=date(2025, 1, 1),
            declaration={},
        )
    assert not household.assessments.exists()


def test_households_due_lists_never_assessed_and_expired(make_user):
    officer = make_user(Role.SSA_OFFICER)
    never = factories.household()
    old = factories.household()
    fresh = factories.household()
    assessment_record(actor=officer, household=old, visit_date=date(2020, 1, 10), declaration={})
    assessment_record(actor=officer, household=fresh, visit_date=date(2024, 1, 10), declaration={})
    due = list(households_due(actor=officer, on=date(2025, 6, 1)))
    assert [h.pk for h in due] == [never.pk, old.pk]
    assert (due[0].due, due[1].due) == (None, date(2024, 1, 10))
    history = score_history(actor=officer, household=old)
    assert [a.visit_date for a in history] == [date(2020, 1, 10)]


def test_households_due_stay_in_the_officers_area(make_user):
    factories.household("batumi")
    kutaisi = factories.household("kutaisi")
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    assert [h.pk for h in households_due(actor=officer, on=date(2025, 1, 1))] == [kutaisi.pk]


def test_the_score_does_not_depend_on_the_order_weights_are_stored_in():
    """A total of exactly x.5 (here 332,088.5) rounds by its last bit, which the order of the
    additions sets; PostgreSQL's jsonb stores keys in its own order."""
    model = _model()
    row = dict.fromkeys(VARIABLES, 0.0)
    row |= {
        "members": 3,
        "cars": 1,
        "income_per_member": 5702.52 / 3,
        "utility_spending_per_member": 103.55 / 3,
        "rooms_per_member": 1 / 3,
        "dependants_share": 1 / 3,
    }
    forward = Weights(Decimal(model.intercept), dict(model.weights))
    backward = Weights(Decimal(model.intercept), dict(reversed(list(model.weights.items()))))
    assert score_one(row, forward) == score_one(row, backward)


def test_synthetic_assessments_are_the_same_however_often_they_are_generated():
    from zrunva.assessment.models import Assessment
    from zrunva.assessment.population import assessments_generate
    from zrunva.registry import population

    population.population_generate(households=120, seed=3, progress=False)
    actor = factories.system_actor()
    first = assessments_generate(assessor=actor, seed=3, share=0.5)
    rows = set(Assessment.objects.values_list("household_id", "visit_date", "score"))
    assert 30 < first < 90 and len(rows) == first
    assert assessments_generate(assessor=actor, seed=3, share=0.5) == 0
    # Interrupted halfway: running again restores the same visits, no more.
    Assessment.objects.filter(household_id__gt=60).delete()
    assessments_generate(assessor=actor, seed=3, share=0.5)
    assert set(Assessment.objects.values_list("household_id", "visit_date", "score")) == rows
