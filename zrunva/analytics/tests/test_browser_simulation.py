"""An analyst's reform in a real browser (issue 18's check): a scenario built, simulated (the
task runs at once in tests), compared with the rules in force, one losing household's result
explained, and the XLSX downloaded; axe-core checks each page."""

import io
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from zrunva.accounts.choices import Role
from zrunva.analytics.models import SimulationRun
from zrunva.analytics.tests.factories_simulation import three_households
from zrunva.core.tests.accessibility import accessible
from zrunva.core.tests.browser import click_button, signed_in
from zrunva.programmes.models import Programme

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_analyst_simulates_a_reform(live_server, page, make_user):
    url = live_server.url
    a, _b, _c = three_households()
    analyst = make_user(Role.ANALYST)
    desk = signed_in(page, live_server, analyst)

    desk.goto(f"{url}/en/analytics/scenarios/")
    accessible(desk)
    desk.get_by_role("link", name="New scenario").click()
    accessible(desk)
    desk.fill("#id_name", "Child benefit for the poorest only")
    click_button(desk, "Save the scenario")

    # The child benefit's highest score lowered from 120,000 to 20,000.
    desk.select_option("#id_programme", str(Programme.objects.get(code="child_benefit").pk))
    click_button(desk, "Show its parameters and rules")
    accessible(desk)
    desk.fill("#id_param_child_benefit_max_score", "20000")
    click_button(desk, "Save the change")
    expect(desk.locator("main")).to_contain_text("param.child_benefit_max_score = 20000")

    click_button(desk, "Simulate")
    run = SimulationRun.objects.get()
    expect(desk.locator("#outcomes-heading")).to_be_visible()
    expect(desk.locator("main")).to_contain_text("Suppressed: fewer than ten households")
    accessible(desk)

    desk.get_by_role("link", name="Compare with the rules in force").click()
    expect(desk.locator("#compare-heading")).to_be_visible()
    expect(desk.locator("table")).to_contain_text("675.00")
    accessible(desk)

    desk.goto(f"{url}/en/analytics/simulations/{run.pk}/")
    desk.get_by_role("link", name=f"#{a.pk}").first.click()
    expect(desk.locator("h1")).to_contain_text(f"Household #{a.pk}")
    expect(desk.locator("main")).to_contain_text("Not eligible")
    accessible(desk)

    desk.goto(f"{url}/en/analytics/simulations/{run.pk}/")
    with desk.expect_download() as download:
        desk.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert "Winners and losers" in book.sheetnames
    losses = {row[0]: row[1] for row in book["Winners and losers"].iter_rows(values_only=True)}
    # One losing household: under ten, suppressed for an analyst.
    assert losses["Loss"] == "*"
