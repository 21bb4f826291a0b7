"""A payroll's journey in a real browser: an officer records the beneficiary's account and
prepares the month's payroll, checks it; another approves it and makes the bank files; the
bank's answer is applied; the citizen's status page shows the payment. axe-core checks the
pages (WCAG 2.1 AA) on the way."""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from zrunva.accounts.choices import Role
from zrunva.applications.models import Enrolment
from zrunva.applications.tests.factories import enrolled_application
from zrunva.core.tests.accessibility import accessible
from zrunva.payments.models import Payment, Payroll
from zrunva.payments.tests.factories import IBAN

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _desk(page, live_server, user):
    """A browser context signed in as `user` (the login form's journey is the registry's)."""
    client = Client()
    client.force_login(user)
    context = page.context.browser.new_context()
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


def _submit(desk, selector: str) -> None:
    with desk.expect_navigation():
        desk.locator(selector).click()


def test_prepare_approve_export_reconcile_and_the_citizen_sees_the_payment(
    live_server, page, make_user, tmp_path, settings
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    application = enrolled_application()
    enrolment = Enrolment.objects.get(application=application)
    url = live_server.url
    preparer = _desk(page, live_server, make_user(Role.SSA_OFFICER))

    # The beneficiary's account, from the person's page.
    preparer.goto(f"{url}/payments/people/{enrolment.person_id}/accounts/new/")
    accessible(preparer)
    preparer.check('input[name="method"][value="bank"]')
    preparer.fill("#id_iban", "GE29 NB00 0000 0101 9049 17")
    preparer.fill("#id_valid_from", enrolment.starts.isoformat())
    _submit(preparer, "main form button[type=submit]")
    expect(preparer.locator("#payment-accounts")).to_contain_text(IBAN)

    # The month's payroll: prepared (the worker runs at once in tests), then checked.
    preparer.goto(f"{url}/payments/payrolls/")
    accessible(preparer)
    preparer.fill("#id_month", enrolment.starts.strftime("%Y-%m"))
    _submit(preparer, 'main form[method="post"] button[type=submit]')
    payroll = Payroll.objects.get()
    expect(preparer.locator("main")).to_contain_text("495,00 ₾")
    accessible(preparer)
    _submit(preparer, 'form[action$="/check/"] button')
    expect(preparer.locator('form[action$="/approve/"]')).to_have_count(0)

    # Another officer approves and makes the bank files.
    approver = _desk(page, live_server, make_user(Role.SSA_OFFICER))
    approver.goto(f"{url}/payments/payrolls/{payroll.pk}/")
    _submit(approver, 'form[action$="/approve/"] button')
    _submit(approver, 'form[action$="/export/"] button')
    expect(approver.locator("#files-heading")).to_be_visible()
    accessible(approver)

    # The bank's answer: the payment was made.
    payment = Payment.objects.get(payroll=payroll)
    answer = tmp_path / "answer.csv"
    answer.write_text(
        "end_to_end_id,amount,currency,status,reason\n"
        f"ZR-P{payment.pk}-{payment.month:%Y%m},495.00,GEL,paid,\n"
    )
    approver.check('input[name="kind"][value="csv"]')
    approver.set_input_files("#id_file", str(answer))
    _submit(approver, 'form[action$="/answers/"] button[type=submit]')
    expect(approver.locator(".message--success")).to_contain_text("1")
    payroll.refresh_from_db()
    assert payroll.step == "reconciled"

    # The citizen, with their application's number and personal number.
    page.goto(f"{url}/en/portal/status/")
    page.fill("#id_number", application.number)
    page.fill("#id_personal_number", application.personal_number)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("#payments-heading")).to_be_visible()
    expect(page.locator("main")).to_contain_text("GEL 495.00 — paid (the bank confirmed it on")
    accessible(page)
