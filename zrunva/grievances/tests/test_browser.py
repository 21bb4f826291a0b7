"""A citizen's complaint in a real browser, in Georgian, with the keyboard where it matters:
a mistake is shown in the summary, which leads to the field; the complaint is sent and checked;
axe-core checks each page (WCAG 2.1 AA rules)."""

import re

import pytest
from playwright.sync_api import expect

from zrunva.core.tests.accessibility import accessible
from zrunva.grievances.models import Grievance

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_citizen_complains_and_checks_the_complaint(live_server, page):
    url = live_server.url
    page.goto(f"{url}/portal/grievances/")
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    accessible(page)

    page.fill("#id_personal_number", "0100101234")  # one digit short
    page.fill("#id_first_name", "ნინო")
    page.fill("#id_last_name", "ბერიძე")
    page.fill("#id_phone", "555 12 34 56")
    page.select_option("#id_category", "payment")
    page.select_option("#id_municipality", label="ქუთაისი")
    page.fill("#id_text", "ნოემბრის დახმარება არ ჩამირიცხეს.")
    page.locator("main form button[type=submit]").press("Enter")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    accessible(page)
    link = summary.locator('a[href="#id_personal_number"]')
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_personal_number")).to_be_focused()
    expect(page.locator("#id_personal_number")).to_have_attribute("aria-invalid", "true")

    page.fill("#id_personal_number", "01001012345")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/portal/grievances/filed/"))
    accessible(page)
    number = Grievance.objects.get().number
    expect(page.locator("main")).to_contain_text(number)

    page.goto(f"{url}/portal/grievances/status/")
    page.fill("#id_number", number)
    page.fill("#id_personal_number", "01001099999")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    accessible(page)
    page.fill("#id_personal_number", "01001012345")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text(number)
    accessible(page)
