"""The main journey in a real browser (Debian's Chromium through Playwright), in Georgian."""

import pytest
from playwright.sync_api import expect

from zrunva.accounts.choices import Role
from zrunva.registry.tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_officer_finds_a_household_edits_a_member_and_sees_the_history(
    live_server, page, make_user
):
    household = factories.household(head={"first_name": "გიორგი", "last_name": "ბერიძე"})
    member = factories.member(household, first_name="ნინო", sex="F", relationship="spouse")
    factories.household(head={"first_name": "დავით", "last_name": "კაპანაძე"})
    officer = make_user(Role.SSA_OFFICER)

    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", "Zrunva-test-pass-1")
    page.click("main button[type=submit]")

    page.goto(f"{live_server.url}/registry/people/")
    page.fill("#id_q", "giorgi")  # Latin letters find the Georgian name through htmx
    result = page.get_by_role("link", name="გიორგი ბერიძე")
    expect(result).to_be_visible()
    expect(page.get_by_role("link", name="დავით კაპანაძე")).to_have_count(0)

    page.get_by_role("link", name=f"№{household.pk}").click()
    expect(page).to_have_url(f"{live_server.url}/registry/households/{household.pk}/")
    page.get_by_role("link", name="ნინო ბერიძე").first.click()
    page.locator(f'a[href="/registry/people/{member.pk}/edit/"]').click()
    page.fill("#id_first_name", "ნანა")
    page.click("main form button[type=submit]")

    expect(page).to_have_url(f"{live_server.url}/registry/people/{member.pk}/")
    history = page.locator("#history")
    expect(history).to_contain_text("ნინო")
    expect(history).to_contain_text("ნანა")
    expect(history).to_contain_text(officer.username)
