"""An SSA officer's morning in a real browser, in Georgian: the home dashboard shows an overdue
application; the officer opens it from there, registers it to the household the registry
proposes, schedules a dated home visit, records "assessed" on that visit's assessment, grants
it after the confirmation page, and the decision letter reads in plain Georgian. axe-core
checks each page on the way."""

import re
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Channel, Status
from zrunva.applications.models import Application
from zrunva.applications.services import application_submit
from zrunva.assessment.tests.factories import assess
from zrunva.core.tests.accessibility import accessible
from zrunva.programmes.models import Programme
from zrunva.registry.tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _submit(desk, page_action):
    with desk.expect_navigation():
        page_action()
    expect(desk.locator(".message--success")).to_be_visible()


def test_an_officers_morning_from_the_dashboard_to_the_letter(
    live_server, page, make_user, tmp_path
):
    household = factories.household(
        "kutaisi",
        head={"first_name": "ლევანი", "last_name": "კაპანაძე", "birth_date": date(1985, 3, 1)},
    )
    factories.member(household, relationship="spouse", birth_date=date(1987, 1, 1), sex="F")
    factories.member(household, birth_date=date(2015, 6, 1))
    assess(household, 57000)
    head = household.memberships.get(relationship="head").person
    application = application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code="child_benefit"),
        municipality=household.municipality,
        applicant={
            "personal_number": head.personal_number,
            "first_name": head.first_name,
            "last_name": head.last_name,
            "birth_date": head.birth_date,
            "phone": "555 12 34 56",
            "language": "ka",
        },
        consent=True,
    )
    today = timezone.localdate()
    Application.objects.filter(pk=application.pk).update(due_date=today - timedelta(days=2))
    officer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    url = live_server.url
    signed_in = Client()
    signed_in.force_login(officer)
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url}])

    # The dashboard: one application overdue in the officer's area, a link to the list.
    page.goto(f"{url}/")
    tile = page.locator("a.tile", has_text="ვადაგადაცილებული ჩემს არეალში")
    expect(tile.locator(".tile__count")).to_have_text("1")
    accessible(page)
    with page.expect_navigation():
        tile.click()
    with page.expect_navigation():
        page.locator(f'a[href="/applications/{application.pk}/"]').first.click()
    expect(page.locator("h1")).to_contain_text(application.number)
    accessible(page)

    # Registered to the household the registry proposes (the same personal number).
    _submit(page, page.get_by_role("button", name="ამ ოჯახზე დარეგისტრირება").click)
    # The home visit, with its date; the social agent then records it.
    page.select_option("#id_to", Status.HOME_VISIT_SCHEDULED.value)
    page.fill("#id_visit_date", today.isoformat())
    _submit(page, page.locator("form:has(#id_to) button[type=submit]").click)
    assess(household, 57000, visit=today)
    page.reload()
    page.select_option("#id_to", Status.ASSESSED.value)
    _submit(page, page.locator("form:has(#id_to) button[type=submit]").click)
    expect(page.locator("main")).to_contain_text("ოჯახში ვიზიტი")

    # Granting says what will happen, and waits for the officer's word.
    page.select_option("#id_to", Status.DECIDED.value)
    with page.expect_navigation():
        page.locator("form:has(#id_to) button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("შეამოწმეთ და დაადასტურეთ")
    expect(page.locator("main")).to_contain_text("₾")  # the amount, as Georgian writes it
    accessible(page)
    _submit(page, page.locator('form[action$="/move/"] button[type=submit]').click)
    application.refresh_from_db()
    assert application.status == Status.DECIDED

    # The letter, in plain Georgian: the reasons as sentences, no rule code.
    letter = page.context.request.get(f"{url}/applications/{application.pk}/letter/")
    assert letter.status == 200 and letter.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(letter.body())
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) reads the letter's text")
    text = subprocess.run(  # noqa: S603 (a fixed program on our own file)
        [shutil.which("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "თქვენი განცხადება" in text and "დაკმაყოფილდა" in text
    assert "სარეიტინგო ქულა" in text and re.search(r"\d,\d\d\s₾", text), text
    assert "household." not in text and "param." not in text
    if shutil.which("pdftoppm"):  # the page as an image, for people to look at
        subprocess.run(  # noqa: S603
            [shutil.which("pdftoppm"), "-png", "-r", "60", str(pdf), str(tmp_path / "letter")],
            check=True,
        )
