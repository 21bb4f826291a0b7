"""A citizen finds an accessible day-care service in a municipality and reads its page in
Georgian and English, in a real browser; axe-core checks each page."""

import pytest
from playwright.sync_api import expect

from zrunva.core.tests.accessibility import accessible
from zrunva.geo.models import Municipality
from zrunva.services.models import ServiceType
from zrunva.services.tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_citizen_finds_an_accessible_day_centre(live_server, page):
    provider = factories.provider()
    factories.service(
        provider,
        name_ka="დღის ცენტრი ხანდაზმულებისთვის",
        name_en="Day centre for the elderly",
        step_free=True,
        opening_hours=[[d, "09:00", "18:00"] for d in range(1, 6)],
    )
    factories.service(provider, name_ka="დღის ცენტრი, კიბეებით", name_en="Day centre, stairs")
    factories.service(
        provider,
        name_ka="დღის ცენტრი ბათუმში",
        name_en="Day centre in Batumi",
        step_free=True,
        municipality=Municipality.objects.get(code="batumi"),
    )
    url = live_server.url
    page.goto(f"{url}/portal/")
    with page.expect_navigation():
        page.locator('nav a[href="/portal/services/"]').click()
    accessible(page)
    page.select_option("#id_municipality", label="ქუთაისი")
    page.select_option("#id_service_type", str(ServiceType.objects.get(code="day_care").pk))
    page.check("#id_accessible")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    results = page.locator(".results__title")
    expect(results).to_have_count(1)
    expect(results).to_have_text("დღის ცენტრი ხანდაზმულებისთვის")
    accessible(page)
    with page.expect_navigation():
        results.locator("a").click()
    expect(page.locator("h1")).to_have_text("დღის ცენტრი ხანდაზმულებისთვის")
    expect(page.locator("main")).to_contain_text("ორშაბათი–პარასკევი, 09:00–18:00")
    expect(page.locator("main")).to_contain_text("უსაფეხურო შესასვლელი")
    accessible(page)
    with page.expect_navigation():
        page.locator(
            'a[hreflang="en"], a:has-text("English"), button:has-text("English")'
        ).first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Day centre for the elderly")
    expect(page.locator("main")).to_contain_text("Monday–Friday, 09:00–18:00")
    accessible(page)
