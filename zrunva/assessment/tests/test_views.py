from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.assessment.models import Assessment
from zrunva.assessment.services import assessment_record
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def household():
    household = factories.household("kutaisi", head={"birth_date": date(1980, 1, 1)})
    factories.member(household, birth_date=date(2016, 5, 1))
    return household


def _visit(household, **overrides):
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


def test_an_ssa_officer_records_a_visit_and_sees_the_score(login_as, household):
    client = login_as(Role.SSA_OFFICER)
    url = reverse("assessment:record", args=[household.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "The household has 2 current members." in page.content.decode()
    response = client.post(url, _visit(household, declared_income="300"))
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:household_detail", args=[household.pk])
    assert assessment.variables["income_per_member"] == 150.0
    household.refresh_from_db()
    assert household.cattle == 1  # the record now shows what the visit found
    history = client.get(
        reverse("assessment:score_history", args=[household.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert str(assessment.score) in history and "Record a home visit" in history


def test_bad_visits_show_the_error_next_to_the_field(login_as, household):
    client = login_as(Role.SSA_OFFICER)
    url = reverse("assessment:record", args=[household.pk])
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    html = client.post(url, _visit(household, visit_date=future)).content.decode()
    assert "The visit date cannot be in the future." in html
    assert 'href="#id_visit_date"' in html  # the error summary links to the field
    html = client.post(url, _visit(household, declared_income="-5")).content.decode()
    assert "Ensure this value is greater than or equal to 0." in html
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    "role,scope,status",
    [
        (Role.SOCIAL_WORKER, {}, 403),
        (Role.SUPERVISOR, {}, 403),
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}, 403),
        (Role.ANALYST, {}, 403),
        (Role.SERVICE_PROVIDER, {}, 403),
        (Role.CITIZEN, {}, 403),
        (Role.SSA_OFFICER, {"office": "ssa-zugdidi"}, 404),
    ],
)
def test_only_ssa_staff_in_the_area_record_visits(login_as, household, role, scope, status):
    client = login_as(role, **scope)
    url = reverse("assessment:record", args=[household.pk])
    assert client.post(url, _visit(household)).status_code == status
    assert not Assessment.objects.exists()


def test_the_detail_shows_each_variables_points_adding_up_to_the_score(login_as, household):
    officer = factories.system_actor()
    assessment = assessment_record(
        actor=officer, household=household, visit_date=timezone.localdate(), declaration={}
    )
    client = login_as(Role.SUPERVISOR)
    response = client.get(reverse("assessment:detail", args=[assessment.pk]))
    assert response.status_code == 200
    model = assessment.scoring_model
    points = float(model.intercept) + sum(
        assessment.variables[name] * weight for name, weight in model.weights.items()
    )
    assert round(max(points, 0)) == assessment.score
    assert f"Rating score {assessment.score}" in response.content.decode()
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_pk=str(assessment.pk))
    assert entry.exists()
    other = login_as(Role.MUNICIPAL_OFFICER, municipality="tbilisi")
    assert other.get(reverse("assessment:detail", args=[assessment.pk])).status_code == 404


def test_the_due_list_puts_never_assessed_first_and_stays_in_the_area(
    login_as, household, django_assert_max_num_queries
):
    recent = factories.household("kutaisi")
    assessment_record(
        actor=factories.system_actor(),
        household=recent,
        visit_date=timezone.localdate(),
        declaration={},
    )
    overdue = factories.household("kutaisi")
    assessment_record(
        actor=factories.system_actor(),
        household=overdue,
        visit_date=timezone.localdate() - timedelta(days=5 * 365),
        declaration={},
    )
    elsewhere = factories.household("tbilisi")
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    with django_assert_max_num_queries(8):
        html = client.get(reverse("assessment:due")).content.decode()
    assert html.index(f">{household}<") < html.index(f">{overdue}<")
    assert f">{recent}<" not in html
    assert f">{elsewhere}<" not in html
    assert "Record a home visit" not in html  # a municipal officer does not record visits
    search = LogEntry.objects.filter(additional_data__purpose="search").latest("id")
    assert search.additional_data["terms"] == {"due_for_assessment": True}


def test_the_household_page_loads_the_score_section(login_as, household):
    client = login_as(Role.SSA_OFFICER)
    html = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert reverse("assessment:score_history", args=[household.pk]) in html
    fragment = client.get(
        reverse("assessment:score_history", args=[household.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Not assessed yet" in fragment
    assert (
        login_as(Role.ANALYST)
        .get(reverse("assessment:score_history", args=[household.pk]))
        .status_code
        == 403
    )
