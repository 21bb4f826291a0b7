"""One journey in a real browser (issue 14's check): a citizen finds an accessible day-care
service in a municipality, reads its page in Georgian and English, sorts the catalogue by
distance, then runs the screener for an elderly person with a disability and sees the benefits,
the nearest SSA office and the day centre among the services nearby; axe-core checks each
page."""

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from zrunva.core import numbers
from zrunva.core.tests.accessibility import accessible
from zrunva.geo.models import Municipality
from zrunva.programmes.selectors import parameter_versions, resolved
from zrunva.services.models import ServiceType
from zrunva.services.tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_citizen_finds_a_day_centre_then_checks_their_rights(live_server, page):
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

    # The catalogue nearest first from Kutaisi, in English: Kutaisi's own, then Batumi's.
    page.goto(f"{url}/en/portal/services/")
    page.select_option("#id_near", label="Kutaisi")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    titles = page.locator(".results__title")
    expect(titles).to_have_count(3)
    expect(titles.last).to_have_text("Day centre in Batumi")
    expect(page.locator(".results__item").last).to_contain_text("km away")
    accessible(page)

    # Then the screener for an elderly woman with a severe disability in Kutaisi.
    with page.expect_navigation():
        page.locator('nav a[href="/en/portal/screener/"]').click()
    page.select_option("#id_municipality", label="Kutaisi")
    page.fill("#id_members-0-age", "70")
    page.select_option("#id_members-0-sex", "F")
    page.select_option("#id_members-0-disability_degree", "severe")
    page.fill("#id_income", "0")
    page.check("#id_score_unknown")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    values = resolved(parameter_versions(on=timezone.localdate())[None])
    with translation.override("en"):
        pension = numbers.money(values["pension_from_70"])
        package = numbers.money(values["disability_package_severe"])
    expect(page.locator("#programme-state_pension")).to_contain_text(pension)
    expect(page.locator("#programme-disability_package")).to_contain_text(package)
    main = page.locator("main")
    expect(main).to_contain_text("Social Service Agency, Kutaisi territorial centre")
    nearby = page.locator("section[aria-labelledby=services-heading] .results__title")
    expect(nearby.first).to_have_text("Day centre for the elderly")
    expect(nearby.last).to_have_text("Day centre in Batumi")
    accessible(page)
