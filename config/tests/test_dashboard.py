"""The staff home page's work dashboard: each role's counts, scoped as its lists are, each a
link to the list it counts; counts stop at the cap."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.applications.models import Application
from zrunva.applications.tests.factories import pension_application
from zrunva.core import dashboard
from zrunva.core.jobs import JobStatus
from zrunva.core.trail import attempt_log
from zrunva.programmes.models import Run

pytestmark = pytest.mark.django_db


def _tiles(user) -> dict[tuple[str, str], dashboard.Tile]:
    return {(g["title"], str(t.label)): t for g in dashboard.tiles(user) for t in g["tiles"]}


def _groups(user) -> set[str]:
    return {g["title"] for g in dashboard.tiles(user)}


def test_an_officers_applications_by_queue_and_step_in_their_area(make_user):
    application, officer = pension_application()  # registered, in Kutaisi, unassigned
    Application.objects.filter(pk=application.pk).update(
        assigned_to=officer, due_date=timezone.localdate() - timedelta(days=1)
    )
    mine = _tiles(officer)
    assert mine[("Applications", "Assigned to me")].count == 1
    overdue = mine[("Applications", "Assigned to me, overdue")]
    assert (overdue.count, overdue.alert) == (1, True)
    assert overdue.url == "/en/applications/?assigned=me&overdue=on"
    step = mine[("Open applications by step", "Registered")]
    assert (step.count, step.detail, step.url) == (
        1,
        "1 overdue",
        "/en/applications/?status=registered",
    )
    # Another office's officer and a municipality's (the pension is the state's) see none.
    for user in (
        make_user(Role.SSA_OFFICER, office="ssa-zugdidi"),
        make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"),
    ):
        tiles = _tiles(user)
        assert tiles[("Applications", "Overdue in my area")].count == 0
        assert ("Open applications by step", "Registered") not in tiles
    # Roles without the queue have no applications at all.
    for role in (Role.SOCIAL_WORKER, Role.ANALYST, Role.DPO):
        assert "Applications" not in _groups(make_user(role))


def test_the_dpo_sees_denied_attempts_and_requests_and_nothing_else(make_user):
    dpo, officer = make_user(Role.DPO), make_user(Role.SSA_OFFICER)
    attempt_log(actor=officer, path="/en/registry/people/1/", status=403, reason="test")
    tiles = _tiles(dpo)
    denied = tiles[("Data protection", "Denied attempts in the last 7 days")]
    assert (denied.count, denied.alert) == (1, True)
    assert denied.url.startswith("/en/audit/?attempts=on&since=")
    assert _groups(dpo) == {"Data protection"}
    assert "Data protection" not in _groups(officer)


def test_the_analyst_sees_the_countrys_figures_from_the_latest_national_run(make_user):
    analyst = make_user(Role.ANALYST)
    assert _groups(analyst) == set()
    officer = make_user(Role.SSA_OFFICER)
    Run.objects.create(
        on=date(2026, 11, 1),
        started_by=officer,
        status=JobStatus.DONE,
        finished_at=timezone.now(),
        summary={
            "households": 1234,
            "programmes": [
                {"code": "state_pension", "eligible": 800, "amount": "396000.00"},
                {"code": "disability_package", "eligible": 12, "amount": "3960.00"},
            ],
        },
    )
    tiles = _tiles(analyst)
    group = "The country, run of 1 November 2026"
    assert tiles[(group, "Households evaluated")].count == 1234
    pension = tiles[(group, "State old-age pension")]
    assert (pension.count, pension.detail) == (800, "eligible; GEL\xa0396,000.00 a month")
    # The disability package's rules read health data: not for an analyst without health access.
    assert not any("disab" in label.lower() for _, label in tiles)
    assert "Applications" not in _groups(analyst)


def test_counts_stop_at_the_cap():
    User = get_user_model()
    User.objects.bulk_create(User(username=f"u{n}") for n in range(dashboard.CAP + 5))
    assert dashboard.capped(User.objects.all()) == (dashboard.CAP, True)
    assert dashboard.capped(User.objects.filter(username="u1")) == (1, False)


def test_the_home_page_shows_the_tiles_as_links(login_as):
    pension_application()
    client = login_as(Role.SSA_OFFICER)
    page = client.get("/en/").content.decode()
    assert "Not assigned to anyone" in page
    assert 'href="/en/applications/?assigned=none"' in page
    assert "Payrolls to check" in page


def test_a_municipal_officer_sees_their_programmes_budget_and_nobody_elses(make_user):
    from decimal import Decimal

    from zrunva.geo.models import Municipality
    from zrunva.programmes.services import programme_save
    from zrunva.programmes.tests.factories import utility_parameters

    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    utility_parameters(officer)
    programme_save(
        actor=officer,
        programme=None,
        data={
            "code": "kutaisi_utility_assistance",
            "name_ka": "კომუნალური დახმარება",
            "name_en": "Utility assistance",
            "level": "household",
            "criteria": "household.rating_score <= param.kutaisi_utility_max_score",
            "formula": "min(household.monthly_utility_spending, param.kutaisi_utility_aid)",
            "legal_basis": "Kutaisi City Council resolution (test)",
            "valid_from": date(2026, 1, 1),
            "budget": Decimal("250000.00"),
            "municipality": Municipality.objects.get(code="kutaisi"),
        },
    )
    year = timezone.localdate().year
    budget = _tiles(officer)[(f"Budgets of {year}", "Utility assistance")]
    assert (budget.value, budget.alert) == ("0% committed", False)
    assert budget.detail.startswith("GEL\xa00.00 of GEL\xa0250,000.00")
    # The SSA pays the state's programmes: a council's budget is not on its officers' home.
    assert f"Budgets of {year}" not in _groups(make_user(Role.SSA_OFFICER))
    other = make_user(Role.MUNICIPAL_OFFICER, municipality="batumi")
    assert f"Budgets of {year}" not in _groups(other)
