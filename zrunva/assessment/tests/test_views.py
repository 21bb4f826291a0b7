from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.assessment.models import Assessment
from zrunva.assessment.services import assessment_record
from zrunva.assessment.tests.factories import visit_form
from zrunva.geo.models import Municipality
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def household():
    household = factories.household("kutaisi", head={"birth_date": date(1980, 1, 1)})
    factories.member(household, birth_date=date(2016, 5, 1))
    return household


def _household_reads(user, household) -> list[str]:
    """The purposes of the audited reads of the household by the user."""
    return list(
        LogEntry.objects.filter(
            actor=user,
            action=LogEntry.Action.ACCESS,
            content_type__model="household",
            object_pk=str(household.pk),
        )
        .exclude(additional_data__has_key="attempt")  # a denied try is audited, not a read
        .order_by("id")
        .values_list("additional_data__purpose", flat=True)
    )


def test_an_ssa_officer_records_a_visit_and_sees_the_score(login_as, household):
    client = login_as(Role.SSA_OFFICER)
    url = reverse("assessment:record", args=[household.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "The household has 2 current members." in html
    assert 'name="cattle" value="0"' in html  # prefilled from the household's record
    assert f'name="visit_date" value="{timezone.localdate().isoformat()}"' in html
    assert _household_reads(client.user, household) == ["assess"]
    response = client.post(url, visit_form(household, declared_income="300"))
    assessment = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:household_detail", args=[household.pk])
    shown = client.get(response["Location"]).content.decode()
    assert f"The home visit is recorded: rating score {assessment.score}." in shown
    assert assessment.assessor == client.user
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
    html = client.post(url, visit_form(household, visit_date=future)).content.decode()
    assert "The visit date cannot be in the future." in html
    assert 'href="#id_visit_date"' in html  # the error summary links to the field
    assert '<div class="error-message" id="id_visit_date_error">' in html
    html = client.post(url, visit_form(household, declared_income="-5")).content.decode()
    field_error = html.split('id="id_declared_income_error">', 1)[1].split("</div>", 1)[0]
    assert "Ensure this value is greater than or equal to 0." in field_error
    assert 'href="#id_declared_income"' in html
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
    assert client.get(url).status_code == status
    assert client.post(url, visit_form(household)).status_code == status
    assert not Assessment.objects.exists()
    assert _household_reads(client.user, household) == []  # nothing was shown


def test_an_ssa_officer_of_the_households_area_records_it(login_as, household):
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    url = reverse("assessment:record", args=[household.pk])
    assert client.post(url, visit_form(household)).status_code == 302
    assert Assessment.objects.get().household == household


def test_the_detail_shows_each_variables_points_adding_up_to_the_score(login_as, household):
    officer = factories.system_actor()
    assessment = assessment_record(
        actor=officer, household=household, visit_date=timezone.localdate(), declaration={}
    )
    client = login_as(Role.SUPERVISOR)
    response = client.get(reverse("assessment:detail", args=[assessment.pk]))
    assert response.status_code == 200
    rows = response.context["rows"]
    weighed = [row for row in rows if row["points"] is not None]
    assert len(weighed) == len(assessment.scoring_model.weights)
    assert all(row["points"] == row["value"] * row["weight"] for row in weighed)
    total = float(assessment.scoring_model.intercept) + sum(row["points"] for row in weighed)
    assert response.context["total"] == pytest.approx(total)
    assert round(max(total, 0)) == assessment.score
    html = response.content.decode()
    assert f"Rating score {assessment.score}" in html
    assert "members with a disability status" in html  # labels from scoring.VARIABLES
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


def test_the_score_history_highlights_an_overdue_re_assessment(login_as, household):
    assessment_record(
        actor=factories.system_actor(),
        household=household,
        visit_date=timezone.localdate() - timedelta(days=5 * 365),
        declaration={},
    )
    client = login_as(Role.SOCIAL_WORKER, office="sca-ge-im")
    url = reverse("assessment:score_history", args=[household.pk])
    fragment = client.get(url, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "<html" not in html
    assert "Re-assessment due since" in html
    assert "pmt-illustrative-2015" in html and "Illustrative" in html
    assert "Record a home visit" not in html  # social workers read, they do not record
    assert "HX-Request" in fragment["Vary"]
    page = client.get(url).content.decode()  # the fallback link: a page of its own
    assert "<html" in page and "Rating score history" in page and "Re-assessment due since" in page
    assert _household_reads(client.user, household) == ["scores", "scores"]


def test_the_score_history_is_only_for_the_households_area(login_as, household):
    client = login_as(Role.SOCIAL_WORKER, office="sca-ge-sz")
    url = reverse("assessment:score_history", args=[household.pk])
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404
    assert _household_reads(client.user, household) == []


def test_the_due_list_filters_by_a_municipality_of_the_area(login_as, household):
    in_tkibuli = factories.household("tkibuli")
    in_zugdidi = factories.household("zugdidi")
    client = login_as(Role.SOCIAL_WORKER, office="sca-ge-im")
    url = reverse("assessment:due")
    html = client.get(url).content.decode()
    assert f">{household}<" in html and f">{in_tkibuli}<" in html
    assert f">{in_zugdidi}<" not in html
    tkibuli = Municipality.objects.get(code="tkibuli")
    html = client.get(url, {"municipality": tkibuli.pk}).content.decode()
    assert f">{in_tkibuli}<" in html and f">{household}<" not in html
    zugdidi = Municipality.objects.get(code="zugdidi")
    html = client.get(url, {"municipality": zugdidi.pk}).content.decode()
    assert "Select a valid choice." in html  # a municipality outside the area is not offered
    assert f">{in_zugdidi}<" not in html
    assert f'<option value="{zugdidi.pk}"' not in html


def test_the_due_list_offers_a_visit_to_those_who_record(login_as, household):
    html = login_as(Role.SSA_OFFICER).get(reverse("assessment:due")).content.decode()
    assert reverse("assessment:record", args=[household.pk]) in html
    assert "Never assessed" in html
    assert login_as(Role.ANALYST).get(reverse("assessment:due")).status_code == 403


def test_roles_without_health_access_do_not_see_health_counts(login_as, household):
    factories.member(household, birth_date=date(1950, 1, 1), disability_degree="severe")
    assessment = assessment_record(
        actor=factories.system_actor(),
        household=household,
        visit_date=timezone.localdate(),
        declaration={},
    )
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    rows = officer.get(reverse("assessment:detail", args=[assessment.pk])).context["rows"]
    hidden = {row["label"] for row in rows if row["hidden"]}
    assert hidden == {"members with a disability status", "members with a chronic illness"}
    html = officer.get(reverse("assessment:detail", args=[assessment.pk])).content.decode()
    assert "Hidden: health data" in html and ">Total<" not in html
    ssa = login_as(Role.SSA_OFFICER)
    rows = ssa.get(reverse("assessment:detail", args=[assessment.pk])).context["rows"]
    assert not any(row["hidden"] for row in rows)
