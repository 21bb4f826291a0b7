"""A citizen checks their rights in a real browser, in Georgian then English: an elderly person
with a severe disability learns of the state pension and the disability package with their
amounts and the nearest SSA centre; axe-core checks the screener and programme pages."""

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from zrunva.core import numbers
from zrunva.core.tests.accessibility import accessible
from zrunva.programmes.selectors import parameter_versions, resolved

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def amounts(language: str) -> tuple[str, str]:
    """The pension at 70 and the severe disability package today, as the page writes them."""
    values = resolved(parameter_versions(on=timezone.localdate())[None])
    with translation.override(language):
        return (
            numbers.money(values["pension_from_70"]),
            numbers.money(values["disability_package_severe"]),
        )


def test_an_elderly_citizen_with_a_disability_checks_their_rights(live_server, page):
    url = live_server.url
    page.goto(f"{url}/portal/")
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    with page.expect_navigation():
        page.locator('main a[href="/portal/screener/"]').click()
    accessible(page)

    # A member added and removed again, without JavaScript: the form is sent and redrawn.
    with page.expect_navigation():
        page.locator('button[name="add_member"]').click()
    expect(page.locator("#id_members-1-age")).to_be_visible()
    with page.expect_navigation():
        page.locator('button[name="remove_member"]').click()
    expect(page.locator("#id_members-1-age")).to_have_count(0)

    # First an age no one has: refused at the field, nothing computed.
    page.select_option("#id_municipality", label="ქუთაისი")
    page.fill("#id_members-0-age", "190")
    page.select_option("#id_members-0-sex", "F")
    page.select_option("#id_members-0-disability_degree", "severe")
    page.fill("#id_income", "0")
    page.check("#id_score_unknown")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    expect(page.locator("#id_members-0-age_error")).to_be_visible()
    expect(page.locator(".error-summary a[href='#id_members-0-age']")).to_be_visible()
    accessible(page)

    page.fill("#id_members-0-age", "70")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    pension, package = amounts("ka")
    main = page.locator("main")
    expect(page.locator("#programme-state_pension")).to_contain_text(pension)
    expect(page.locator("#programme-state_pension")).to_contain_text("სახელმწიფო პენსია")
    expect(page.locator("#programme-disability_package")).to_contain_text(package)
    expect(main).to_contain_text("სოციალური მომსახურების სააგენტო — ქუთაისი, ტერიტორიული ცენტრი")
    accessible(page)

    # The same answers, in English: sent again from the page, never stored.
    with page.expect_navigation(url=f"{url}/en/portal/screener/"):
        page.locator('main button[lang="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    pension, package = amounts("en")
    expect(page.locator("#programme-state_pension")).to_contain_text(pension)
    expect(page.locator("#programme-state_pension")).to_contain_text("State old-age pension")
    expect(page.locator("#programme-disability_package")).to_contain_text(package)
    expect(main).to_contain_text("Social Service Agency, Kutaisi territorial centre")
    expect(main).to_contain_text("Monday to Friday")
    accessible(page)

    # The programme's page, from the result.
    with page.expect_navigation():
        page.locator(
            '#programme-state_pension a[href="/en/portal/programmes/state_pension/"]'
        ).click()
    expect(page.locator("h1")).to_have_text("State old-age pension")
    accessible(page)
    page.goto(f"{url}/portal/programmes/disability_package/")
    accessible(page)
    page.goto(f"{url}/portal/programmes/")
    accessible(page)
