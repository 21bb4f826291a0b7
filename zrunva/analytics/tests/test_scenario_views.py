"""The scenario screens: who may use them, the form's errors, the results and their files, one
household's result (pseudonymous, health hidden, audited)."""

import io

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.analytics.models import Scenario
from zrunva.analytics.tests.factories_simulation import scenario, simulated, three_households
from zrunva.programmes.models import Programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(make_user):
    return make_user(Role.ANALYST)


@pytest.fixture
def child_benefit():
    return Programme.objects.get(code="child_benefit")


@pytest.mark.parametrize(
    ("role", "municipality", "status"),
    [
        (Role.ANALYST, None, 200),
        (Role.ADMIN, None, 200),
        (Role.SSA_OFFICER, None, 403),
        (Role.MUNICIPAL_OFFICER, "kutaisi", 403),
    ],
)
def test_who_may_simulate(client, make_user, role, municipality, status):
    client.force_login(make_user(role, municipality=municipality))
    assert client.get(reverse("analytics:scenario_list")).status_code == status
    assert client.get(reverse("analytics:scenario_create")).status_code == status


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("analytics:scenario_list"))
    assert response.status_code == 302 and "login" in response.url


def test_a_scenario_not_shared_is_invisible_to_another_analyst(client, make_user, analyst):
    own = scenario(analyst, name="Mine alone")
    shared = scenario(analyst, name="For the team", shared=True)
    other = make_user(Role.ANALYST)
    client.force_login(other)
    page = client.get(reverse("analytics:scenario_list")).content.decode()
    assert "For the team" in page and "Mine alone" not in page
    assert client.get(reverse("analytics:scenario_detail", args=[own.pk])).status_code == 404
    assert client.get(reverse("analytics:scenario_detail", args=[shared.pk])).status_code == 200
    # A colleague sees a shared scenario but does not change it.
    response = client.post(
        reverse("analytics:scenario_detail", args=[shared.pk]),
        {"programme": Programme.objects.get(code="tsa").pk, "param_tsa_band_1_amount": "70"},
    )
    assert response.status_code == 403


def test_the_form_shows_field_errors(client, analyst, child_benefit):
    client.force_login(analyst)
    created = scenario(analyst)
    url = reverse("analytics:scenario_detail", args=[created.pk])
    form = client.get(url, {"programme": child_benefit.pk}).context["form"]
    assert form.initial == {} and form.fields["param_child_benefit_amount"].initial == "200"
    response = client.post(
        url,
        {
            "programme": child_benefit.pk,
            "param_child_benefit_amount": "-10",
            "param_child_benefit_age_limit": "200",
            "param_child_benefit_max_score": "120000",
            "criteria": "household.rating_score <= param.child_benefit_max_score and",
            "formula": form.fields["formula"].initial,
        },
    )
    errors = response.context["form"].errors
    assert errors["param_child_benefit_amount"] == ["An amount cannot be negative."]
    assert errors["param_child_benefit_age_limit"] == ["An age limit cannot be over 120 years."]
    assert errors["criteria"] == ["The expression ends too early at column 60"]
    assert not created.changes.exists()
    response = client.post(
        url,
        {
            "programme": child_benefit.pk,
            "param_child_benefit_amount": "250",
            "param_child_benefit_age_limit": "16",
            "param_child_benefit_max_score": "120000",
            "criteria": form.fields["criteria"].initial,
            "formula": form.fields["formula"].initial,
        },
    )
    assert response.status_code == 302
    change = created.changes.get()
    # Only what differs from the rules in force is kept.
    assert change.parameters == {"child_benefit_amount": "250"}
    assert change.criteria == "" and change.formula == ""


def test_results_files_and_one_losing_household(client, analyst, child_benefit):
    a, b, c = three_households()
    run = simulated(
        analyst, scenario(analyst, changes=[(child_benefit, {"child_benefit_max_score": "20000"})])
    )
    client.force_login(analyst)
    url = reverse("analytics:run_detail", args=[run.pk])
    page = client.get(url).content.decode()
    # Both regions have fewer than ten households: suppressed for an analyst.
    assert "Suppressed: fewer than ten households" in page
    assert f"#{a.pk}" in page and "Loss" in page
    book = openpyxl.load_workbook(io.BytesIO(client.get(url, {"format": "xlsx"}).content))
    assert {"Outcomes", "Winners and losers", "By programme", "By region"} <= set(book.sheetnames)
    outcomes = {row[0]: row[1:] for row in book["Outcomes"].iter_rows(values_only=True)}
    assert outcomes["Cost a month, GEL"][1:3] == (875.0, 675.0)
    assert all(cell == "*" for cell in list(book["By region"].iter_rows(values_only=True))[1][1:])
    pdf = client.get(url, {"format": "pdf"})
    assert pdf.content.startswith(b"%PDF")

    household = client.get(reverse("analytics:run_household", args=[run.pk, a.pk]))
    assert household.status_code == 200
    result = household.context["result"]
    assert (result.baseline, result.scenario) == (380, 180)
    by_code = {p.code: p for p in result.pairs}
    assert by_code["child_benefit"].before.status == "eligible"
    assert by_code["child_benefit"].after.status == "not_eligible"
    # The disability package reads health data: not shown to an analyst.
    assert "disability_package" not in by_code and result.hidden == 1
    text = household.content.decode()
    head = a.memberships.first().person
    assert head.last_name not in text and head.personal_number not in text
    assert LogEntry.objects.filter(
        object_pk=str(a.pk), additional_data__purpose="simulation"
    ).exists()


def test_compare_up_to_four(client, analyst, child_benefit):
    three_households()
    first = scenario(
        analyst, name="Lower", changes=[(child_benefit, {"child_benefit_max_score": "20000"})]
    )
    second = scenario(
        analyst, name="Higher", changes=[(child_benefit, {"child_benefit_amount": "250"})]
    )
    simulated(analyst, first)
    simulated(analyst, second)
    client.force_login(analyst)
    response = client.get(
        reverse("analytics:scenario_compare"), {"scenario": [first.pk, second.pk]}
    )
    table = dict(response.context["table"])
    assert table["Cost a month, GEL"] == ["875.00", "675.00", "925.00"]
    many = [scenario(analyst, name=f"S{i}").pk for i in range(5)]
    response = client.get(reverse("analytics:scenario_compare"), {"scenario": many})
    assert response.context["form"].errors["scenario"] == ["Compare at most 4 scenarios at a time."]
    assert Scenario.objects.count() == 7


def test_creating_a_scenario(client, analyst):
    from zrunva.programmes.tests.factories import ON

    client.force_login(analyst)
    url = reverse("analytics:scenario_create")
    response = client.post(url, {"name": "", "on": ON.isoformat(), "poverty_share": "3"})
    assert response.context["form"].errors["name"] == ["This field is required."]
    response = client.post(url, {"name": "Pensions", "on": ON.isoformat(), "poverty_share": "3"})
    assert response.context["form"].errors["poverty_share"] == [
        "Give a share of the median from 0.01 to 2 (0.6 is 60%)."
    ]
    response = client.post(
        url, {"name": "Pensions", "on": ON.isoformat(), "poverty_share": "0.5", "shared": "on"}
    )
    created = Scenario.objects.get()
    assert response.url == reverse("analytics:scenario_detail", args=[created.pk])
    assert created.owner == analyst and created.shared and str(created.poverty_share) == "0.50"


def test_the_progress_fragment_reloads_the_page_once_done(client, analyst):
    three_households()
    run = simulated(analyst, scenario(analyst))
    client.force_login(analyst)
    response = client.get(
        reverse("analytics:run_detail", args=[run.pk]), headers={"HX-Request": "true"}
    )
    assert response["HX-Refresh"] == "true"
    assert 'id="job-progress"' in response.content.decode()


def test_only_the_owner_deletes(client, make_user, analyst):
    shared = scenario(analyst, name="Team", shared=True)
    client.force_login(make_user(Role.ANALYST))
    url = reverse("analytics:scenario_delete", args=[shared.pk])
    assert client.post(url).status_code == 403
    client.force_login(analyst)
    assert client.post(url).status_code == 302
    assert not Scenario.objects.exists()


def test_changes_to_a_scenario_are_audited(analyst, child_benefit):
    created = scenario(analyst, changes=[(child_benefit, {"child_benefit_amount": "250"})])
    entries = LogEntry.objects.get_for_objects(created.changes.all())
    assert entries.get().actor == analyst
    assert LogEntry.objects.get_for_object(created).get().actor == analyst
