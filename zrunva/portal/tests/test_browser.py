"""The citizen's journey in a real browser, in Georgian: apply with a document, check the
status, and an officer takes the application through to enrolment; axe-core checks the portal's
pages (WCAG 2.1 AA rules) on the way."""

import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from zrunva.accounts.choices import Role
from zrunva.applications.models import Application, Document, Enrolment
from zrunva.applications.tests.pdfs import plain_pdf
from zrunva.core.tests.accessibility import accessible
from zrunva.notifications.models import Message
from zrunva.registry.tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
PDF = plain_pdf()


def test_a_citizen_applies_in_georgian_and_an_officer_enrols_them(live_server, page, make_user):
    household = factories.household(
        "kutaisi",
        head={"first_name": "ნოდარი", "last_name": "ბერიძე", "birth_date": date(1950, 2, 1)},
    )
    pn = household.memberships.get().person.personal_number
    officer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    url = live_server.url

    page.goto(f"{url}/portal/")
    expect(page.locator("html")).to_have_attribute("lang", "ka")
    accessible(page)
    with page.expect_navigation():
        page.locator('a[href="/portal/apply/?programme=state_pension"]').click()
    expect(page.locator("#id_programme option:checked")).to_contain_text("პენსია")
    accessible(page)

    # A first try with the personal number mistyped, the consent forgotten, the certificate
    # attached: the summary names both errors and links to the fields; the file is kept.
    page.fill("#id_personal_number", pn[:-1])
    page.select_option("#id_municipality", label="ქუთაისი")
    page.fill("#id_first_name", "ნოდარი")
    page.fill("#id_last_name", "ბერიძე")
    page.fill("#id_birth_date", "1950-02-01")
    page.fill("#id_phone", "555 12 34 56")
    page.set_input_files(
        "#id_documents",
        files=[{"name": "pension-certificate.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator('a[href="#id_consent"]')).to_be_visible()
    expect(page.locator("main form")).to_contain_text("pension-certificate.pdf")
    accessible(page)
    summary.locator('a[href="#id_personal_number"]').click()
    expect(page.locator("#id_personal_number")).to_be_focused()

    # Fixed, and a member added, born tomorrow by mistake: refused on the member's field.
    page.fill("#id_personal_number", pn)
    with page.expect_navigation():
        page.locator('button[name="add_member"]').click()
    expect(page.locator("#id_members-0-first_name")).to_have_attribute("autofocus", "")
    page.fill("#id_members-0-first_name", "ნანა")
    page.fill("#id_members-0-last_name", "ბერიძე")
    page.fill("#id_members-0-birth_date", (timezone.localdate() + timedelta(days=2)).isoformat())
    page.select_option("#id_members-0-relationship", "spouse")
    page.check("#id_consent")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()
    expect(page.locator('.error-summary a[href="#id_members-0-birth_date"]')).to_be_visible()
    expect(page.locator("main form")).to_contain_text("pension-certificate.pdf")
    accessible(page)

    # The date corrected; the certificate is not chosen again.
    page.fill("#id_members-0-birth_date", "1954-07-12")
    if not page.is_checked("#id_consent"):
        page.check("#id_consent")
    with page.expect_navigation(url=re.compile(r"/portal/apply/submitted/")):
        page.locator("main form button[type=submit]").last.click()

    expect(page).to_have_url(re.compile(r"/portal/apply/submitted/"))
    accessible(page)
    number = page.locator(".application-number").inner_text().strip()
    application = Application.objects.get(number=number)
    assert application.members[0]["first_name"] == "ნანა"
    assert Document.objects.get(application=application).name == "pension-certificate.pdf"

    # "I lost my number", from the status page: the neutral answer.
    page.goto(f"{url}/portal/status/")
    accessible(page)
    with page.expect_navigation():
        page.locator('a[href="/portal/status/lost-number/"]').click()
    accessible(page)
    page.fill("#id_personal_number", pn)
    page.fill("#id_birth_date", "1950-02-01")
    before = Message.objects.filter(reference=number).count()
    with page.expect_navigation(url=f"{url}/portal/status/lost-number/sent/"):
        page.locator("main form button[type=submit]").click()
    accessible(page)
    # One SMS, to the phone the application gave (stored in E.164).
    resent = Message.objects.filter(reference=number).order_by("-id")
    assert resent.count() == before + 1 and resent[0].to == "+995555123456"

    page.goto(f"{url}/portal/status/")
    page.fill("#id_number", number.lower())
    page.fill("#id_personal_number", pn)
    with page.expect_navigation(url=f"{url}/portal/status/application/"):
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{url}/portal/status/application/")
    expect(page.locator("h1")).to_contain_text(number)
    expect(page.locator(".tag")).to_have_text("წარდგენილია")
    accessible(page)

    # The officer, in another browser context: register, decide on the rules, enrol. Signed in
    # with a session of their own (the login form's journey is registry/tests/test_browser.py's).
    signed_in = Client()
    signed_in.force_login(officer)
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    staff = page.context.browser.new_context()
    staff.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url}])
    desk = staff.new_page()
    desk.goto(f"{url}/applications/{application.pk}/")
    expect(desk.locator("main")).to_contain_text("pension-certificate.pdf")
    # Registering: the registry's household is proposed (the same personal number): one click.
    expect(desk.locator("main")).to_contain_text(f"№{household.pk}")
    with desk.expect_navigation():
        desk.get_by_role("button", name="ამ ოჯახზე დარეგისტრირება").click()
    expect(desk.locator(".message--success")).to_be_visible()
    for status in ("decided", "enrolled"):
        desk.select_option("#id_to", status)
        with desk.expect_navigation():
            desk.locator("form:has(#id_to) button[type=submit]").click()
        # Granting and enrolling say what they will do and wait for the officer's word.
        expect(desk.locator("h1")).to_contain_text("შეამოწმეთ და დაადასტურეთ")
        with desk.expect_navigation():
            desk.locator('form[action$="/move/"] button[type=submit]').click()
        expect(desk.locator(".message--success")).to_be_visible()
    enrolment = Enrolment.objects.get(application=application)
    assert enrolment.person.personal_number == pn and enrolment.amount > 0
    staff.close()

    page.reload()
    expect(page.locator(".tag")).to_have_text("ჩართულია პროგრამაში")
    with page.expect_download() as download:
        page.locator('a[href="/portal/status/letter/"]').click()
    assert re.fullmatch(r"ZR-[0-9A-Z-]+\.pdf", download.value.suggested_filename)
    accessible(page)
