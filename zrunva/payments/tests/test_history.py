"""Who sees which payments: on a person's and a household's page (staff, in their area; a
health programme's payments only with health access), and on the citizen's status page once
sent to the bank."""

import re
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.payments import services
from zrunva.payments.choices import PaymentStatus
from zrunva.payments.models import Payment, PayrollFile, Reconciliation

pytestmark = pytest.mark.django_db


def test_a_persons_and_a_households_payments_on_their_pages(approved, login_as):
    payroll, officer = approved
    payment = payroll.payments.first()
    client = login_as(Role.SSA_OFFICER)
    person_page = client.get(f"/en/registry/people/{payment.payee_id}/").content.decode()
    assert f'hx-get="/en/payments/people/{payment.payee_id}/payments/"' in person_page
    panel = client.get(
        f"/en/payments/people/{payment.payee_id}/payments/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "495.00" in panel and f"#{payroll.pk}" in panel
    household_page = client.get(f"/en/registry/households/{payment.household_id}/")
    assert (
        f'hx-get="/en/payments/households/{payment.household_id}/payments/"'
        in household_page.content.decode()
    )
    household = client.get(
        f"/en/payments/households/{payment.household_id}/payments/"
    ).content.decode()
    assert "495.00" in household and "Back to" in household
    assert (
        login_as(Role.ANALYST).get(f"/en/payments/people/{payment.payee_id}/payments/").status_code
        == 403
    )
    batumi = login_as(Role.MUNICIPAL_OFFICER, municipality="batumi")
    assert batumi.get(f"/en/payments/people/{payment.payee_id}/payments/").status_code == 404


def test_a_health_programmes_payments_are_hidden_without_health_access(approved, login_as):
    from zrunva.programmes.models import Programme

    payroll, officer = approved
    payment = payroll.payments.first()
    Payment.objects.filter(pk=payment.pk).update(
        programme=Programme.objects.get(code="disability_package")
    )
    url = f"/en/payments/people/{payment.payee_id}/payments/"
    municipal = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi").get(url)
    assert municipal.status_code == 200 and "495.00" not in municipal.content.decode()
    assert "495.00" in login_as(Role.SSA_OFFICER).get(url).content.decode()


def test_the_citizen_sees_payments_once_sent_to_the_bank(approved):
    payroll, officer = approved
    payment = payroll.payments.select_related("enrolment__application").first()
    application = payment.enrolment.application
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post(
        reverse("portal:status"),
        {"number": application.number, "personal_number": application.personal_number},
    )

    def page() -> str:
        # The template's line breaks as spaces; the amount's no-break space kept.
        return re.sub(r"[ \n]+", " ", client.get(reverse("portal:application")).content.decode())

    assert "payments-heading" not in page()  # approved, not yet sent: nothing to tell
    services.payroll_export(actor=officer, payroll=payroll)
    PayrollFile.objects.filter(payroll=payroll).update(
        created_at=datetime(2027, 1, 3, 9, tzinfo=UTC)
    )
    assert "GEL\xa0495.00 — sent to the bank on 3 January 2027" in page()
    answer = "end_to_end_id,amount,currency,status,reason\n" + "".join(
        f"ZR-P{p.pk}-{p.month:%Y%m},{p.amount:.2f},GEL,{'returned' if p == payment else 'paid'},"
        f"{'AC04' if p == payment else ''}\n"
        for p in payroll.payments.all()
    )
    record = services.reconciliation_apply(
        actor=officer,
        payroll=payroll,
        upload=SimpleUploadedFile("answer.csv", answer.encode()),
        kind="csv",
    )
    Reconciliation.objects.filter(pk=record.pk).update(
        uploaded_at=datetime(2027, 1, 5, 9, tzinfo=UTC)
    )
    assert "GEL\xa0495.00 — returned by the bank on 5 January 2027: contact" in page()
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.PAID)
    assert "GEL\xa0495.00 — paid (the bank confirmed it on 5 January 2027)" in page()


def test_the_report_totals_payments_in_the_area_with_a_chart_and_an_xlsx(approved, login_as):
    import zipfile
    from io import BytesIO

    payroll, officer = approved
    services.payroll_export(actor=officer, payroll=payroll)
    page = login_as(Role.SSA_OFFICER).get("/en/payments/report/")
    html = page.content.decode()
    assert page.status_code == 200 and "bar-chart__bar" in html
    assert "GEL\xa01,485.00" in html  # three pensioners at 495.00, sent to the bank
    assert "State old-age pension" in html and "Kutaisi" in html
    xlsx = login_as(Role.SSA_OFFICER).get("/en/payments/report/", {"format": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = zipfile.ZipFile(BytesIO(xlsx.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<v>1485</v>" in sheet and "<v>3</v>" in sheet
    elsewhere = login_as(Role.MUNICIPAL_OFFICER, municipality="batumi").get("/en/payments/report/")
    assert "1,485.00" not in elsewhere.content.decode()
    assert login_as(Role.ANALYST).get("/en/payments/report/").status_code == 403
