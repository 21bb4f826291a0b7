"""The dashboards in a real browser: an analyst's national page (suppressed), its map and a
filter applied, and the public page in Georgian; axe-core checks each."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from zrunva.accounts.choices import Role
from zrunva.analytics.models import BenefitMonth, RegistryCoverage
from zrunva.core.tests.accessibility import accessible
from zrunva.core.tests.browser import click_button, signed_in
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_dashboards(live_server, page, make_user):
    url = live_server.url
    kutaisi = Municipality.objects.get(code="kutaisi")
    RegistryCoverage.objects.create(
        municipality=kutaisi, people=120, households=45, assessed=40, scored=7, open_cases=0
    )
    BenefitMonth.objects.create(
        month=date(2026, 11, 1),
        municipality=kutaisi,
        programme=Programme.objects.get(code="tsa"),
        source="payments",
        recipients=30,
        households=30,
        amount=Decimal("1800.00"),
    )
    analyst = signed_in(page, live_server, make_user(Role.ANALYST))
    analyst.goto(f"{url}/en/analytics/?first=2026-06&last=2026-11")
    expect(analyst.locator("h1")).to_have_text("Monitoring dashboards")
    expect(analyst.locator(".tile-grid li")).to_have_count(64)
    expect(analyst.locator("#map-table")).to_be_visible()
    accessible(analyst)
    analyst.select_option("#id_map", "recipients_per_1000")
    click_button(analyst, "Apply filters")
    expect(analyst.locator("#map-heading")).to_contain_text("Recipients per 1,000 inhabitants")
    accessible(analyst)

    public = page.context.browser.new_context().new_page()
    public.goto(f"{url}/open/?first=2026-06&last=2026-11")
    expect(public.locator("html")).to_have_attribute("lang", "ka")
    expect(public.locator(".tile-grid li")).to_have_count(64)
    accessible(public)
