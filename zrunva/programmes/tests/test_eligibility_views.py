import html
from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.assessment.tests.factories import assess
from zrunva.programmes.choices import RunStatus
from zrunva.programmes.models import Programme, Run
from zrunva.programmes.runs import run_execute, run_start
from zrunva.programmes.tests.factories import years_ago
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    household = factories.household("kutaisi", head={"birth_date": years_ago(70), "sex": "F"})
    factories.member(household, birth_date=years_ago(8), disability_degree="severe")
    assess(household, 72340)
    return household


def test_the_household_page_explains_each_programme(login_as, family):
    client = login_as(Role.SSA_OFFICER)
    response = client.get(reverse("eligibility:household", args=[family.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Targeted social assistance",
        "household.rating_score &lt;= param.tsa_band_4_max_score",
        "Rating score were 65,000 (now 72,340)",
        "param.pension_from_70",
        "Eligible: GEL\xa0495.00 a month",
        "Social package for persons with disabilities",
        "Announced increase of 45 GEL for 2026",
    ):
        assert text in html, text
    entry = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_pk=str(family.pk)).get()
    assert entry.additional_data["purpose"] == "eligibility"


def test_an_earlier_date_uses_the_rules_and_values_then(login_as, family):
    from zrunva.registry.models import Membership

    Membership.objects.filter(household=family).update(start_date=date(2020, 1, 1))
    client = login_as(Role.SSA_OFFICER)
    html = client.get(
        reverse("eligibility:household", args=[family.pk]), {"on": "2024-06-01"}
    ).content.decode()
    # In June 2024 she was 67: the 2024 pension under 70; the child's package at its 2024 amount.
    assert "Eligible: GEL\xa0315.00 a month" in html
    assert "Eligible: GEL\xa0390.00 a month" in html
    today = client.get(reverse("eligibility:household", args=[family.pk])).content.decode()
    assert "Eligible: GEL\xa0495.00 a month" in today and "Eligible: GEL\xa0480.00 a month" in today


def test_roles_without_health_access_do_not_see_health_rules(login_as, family):
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    html = client.get(reverse("eligibility:household", args=[family.pk])).content.decode()
    assert "State old-age pension" in html
    assert "Social package for persons with disabilities" not in html
    assert "1 programme reads health data and is not shown to your role." in html


@pytest.mark.parametrize(
    "role,scope,status",
    [
        (Role.MUNICIPAL_OFFICER, {"municipality": "tbilisi"}, 404),
        (Role.ANALYST, {}, 403),
        (Role.SERVICE_PROVIDER, {}, 403),
        (Role.CITIZEN, {}, 403),
    ],
)
def test_the_household_page_is_refused_outside_role_and_area(login_as, family, role, scope, status):
    client = login_as(role, **scope)
    assert client.get(reverse("eligibility:household", args=[family.pk])).status_code == status


def test_an_officer_starts_a_run_and_follows_it(
    login_as, family, django_capture_on_commit_callbacks
):
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("eligibility:run_list"),
            {"on": timezone.localdate().isoformat(), "municipality": family.municipality_id},
        )
    run = Run.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("eligibility:run_detail", args=[run.pk])
    assert run.status == RunStatus.DONE and run.municipality_id == family.municipality_id
    page = client.get(response["Location"]).content.decode()
    assert "Gained a benefit" in page and "State old-age pension" in page
    # The table by programme under the chart: each programme's name and counts.
    for row in run.summary["programmes"]:
        name = html.escape(Programme.objects.get(pk=row["programme_id"]).name)
        assert f'<td data-label="Programme">{name}</td>' in page
        assert f'<td data-label="Evaluated" class="numeric">{row["evaluated"]}</td>' in page
    search = LogEntry.objects.filter(additional_data__purpose="search").latest("id")
    assert search.additional_data["terms"] == {"run": run.pk, "page": 1}
    assert (
        client.get(response["Location"], {"kind": "lost"}).content.decode().count("<tbody>") == 1
    )  # the totals table only: nobody lost anything


def test_a_finished_run_polled_by_htmx_reloads_the_page(login_as, family, make_user):
    run = run_execute(
        run=run_start(actor=make_user(Role.ADMIN), on=timezone.localdate(), enqueue=False)
    )
    client = login_as(Role.SSA_OFFICER)
    response = client.get(reverse("eligibility:run_detail", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"


def test_a_municipal_officer_must_choose_their_municipality(login_as, family):
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    response = client.post(
        reverse("eligibility:run_list"), {"on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    other = factories.household("tbilisi").municipality_id
    response = client.post(
        reverse("eligibility:run_list"),
        {"on": timezone.localdate().isoformat(), "municipality": other},
    )
    assert "Select a valid choice." in response.content.decode()
    assert not Run.objects.exists()


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.SUPERVISOR])
def test_staff_who_may_not_start_runs_see_no_form_and_are_refused(login_as, role):
    client = login_as(role)
    page = client.get(reverse("eligibility:run_list"))
    assert page.status_code == 200 and "Start the run" not in page.content.decode()
    response = client.post(
        reverse("eligibility:run_list"), {"on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 403


def test_changes_of_a_national_run_are_limited_to_the_viewers_area(login_as, family, make_user):
    elsewhere = factories.household("tbilisi", head={"birth_date": years_ago(80), "sex": "M"})
    run = run_execute(
        run=run_start(actor=make_user(Role.ADMIN), on=timezone.localdate(), enqueue=False)
    )
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    html = client.get(reverse("eligibility:run_detail", args=[run.pk])).content.decode()
    assert str(family) in html and str(elsewhere) not in html
    # A run of another municipality is not theirs to see.
    other = Run.objects.create(
        on=timezone.localdate() - timedelta(days=1),
        municipality=elsewhere.municipality,
        started_by=make_user(Role.ADMIN),
    )
    assert client.get(reverse("eligibility:run_detail", args=[other.pk])).status_code == 404


def test_run_changes_leave_out_health_programmes_for_roles_without_health_access(
    login_as, family, make_user
):
    run = run_execute(
        run=run_start(actor=make_user(Role.ADMIN), on=timezone.localdate(), enqueue=False)
    )
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    html = officer.get(reverse("eligibility:run_detail", args=[run.pk])).content.decode()
    assert "State old-age pension" in html
    changes = officer.get(
        f"/api/v1/eligibility/runs/{run.pk}/changes", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert {c["programme"] for c in changes} == {"state_pension", "child_benefit"}
    ssa = login_as(Role.SSA_OFFICER)
    changes = ssa.get(f"/api/v1/eligibility/runs/{run.pk}/changes").json()
    assert {c["programme"] for c in changes} == {
        "state_pension",
        "child_benefit",
        "disability_package",
    }
    # The API's list is audited like the page's.
    search = LogEntry.objects.filter(additional_data__purpose="search").latest("id")
    assert search.additional_data["terms"]["run"] == run.pk


def test_dates_outside_the_range_are_refused_with_the_field(login_as, family):
    client = login_as(Role.SSA_OFFICER)
    html = client.get(
        reverse("eligibility:household", args=[family.pk]), {"on": "0100-01-01"}
    ).content.decode()
    assert "Choose a date between 1991-01-01 and 2100-12-31." in html
    response = client.get(f"/api/v1/households/{family.pk}/eligibility", {"on": "0100-01-01"})
    # The API publishes the range in its schema (core.api.Day), so it refuses with 422 there.
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "on"


def test_the_household_page_opens_with_a_summary_in_sentences(login_as, family):
    client = login_as(Role.SSA_OFFICER)
    response = client.get(reverse("eligibility:household", args=[family.pk]))
    page = html.unescape(response.content.decode())
    summary = page.split('id="summary-heading"', 1)[1].split("</section>", 1)[0]
    assert (
        "Targeted social assistance (subsistence allowance): not eligible. Your household's "
        "rating score, 72,340, is more than 65,000." in summary
    )
    assert "Child benefit: eligible, GEL\xa0200.00 a month." in summary
    assert "param." not in summary and "household." not in summary
    # The same sentences head each programme's detail.
    assert "Your household's rating score, 72,340, is more than 65,000: not met." in page
