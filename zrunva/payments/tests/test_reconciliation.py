"""The banks' answers: a camt.054 or CSV file marks payments paid or returned, whole or not at
all; a returned payment is paid again only to a corrected account."""

from decimal import Decimal
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from zrunva.accounts.choices import Role
from zrunva.payments import services
from zrunva.payments.choices import HoldReason, PaymentStatus, PayrollStep
from zrunva.payments.models import Payment, Reconciliation
from zrunva.payments.payroll import payroll_execute
from zrunva.payments.tests.factories import OTHER_IBAN

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


def _exported(approved):
    payroll, officer = approved
    services.payroll_export(actor=officer, payroll=payroll)
    payroll.refresh_from_db()
    paid, returned, other = payroll.payments.order_by("id")
    return payroll, officer, paid, returned, other


def _answer(template: str, paid, returned, **overrides) -> bytes:
    values = {
        "paid_reference": f"ZR-P{paid.pk}-{paid.month:%Y%m}",
        "paid_amount": f"{paid.amount:.2f}",
        "returned_reference": f"ZR-P{returned.pk}-{returned.month:%Y%m}",
        "returned_amount": f"{returned.amount:.2f}",
        "summary_sum": f"{paid.amount + returned.amount:.2f}",
    } | overrides
    return (DATA / template).read_text().format(**values).encode()


def _apply(payroll, officer, data: bytes, kind="camt054"):
    upload = SimpleUploadedFile(f"answer.{'xml' if kind == 'camt054' else 'csv'}", data)
    return services.reconciliation_apply(actor=officer, payroll=payroll, upload=upload, kind=kind)


@pytest.mark.parametrize(
    ("template", "kind", "reason"),
    [
        ("camt054_paid_and_returned.xml", "camt054", "AC04"),
        ("answer.csv", "csv", "MD07"),
    ],
)
def test_an_answer_marks_payments_paid_and_returned(approved, template, kind, reason):
    payroll, officer, paid, returned, other = _exported(approved)
    record = _apply(payroll, officer, _answer(template, paid, returned), kind)
    assert (record.paid, record.returned) == (1, 1)
    paid.refresh_from_db(), returned.refresh_from_db()
    assert paid.status == PaymentStatus.PAID and paid.reconciliation == record
    assert (returned.status, returned.return_reason) == (PaymentStatus.RETURNED, reason)
    payroll.refresh_from_db()
    assert payroll.step == PayrollStep.EXPORTED  # one payment has no answer yet


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"paid_reference": "ZR-P999999-202701"}, "No payment of this payroll has this reference"),
        ({"paid_amount": "494.99"}, "The amount is 494.99; the payment was 495.00"),
        ({"returned_reference": "{same}"}, "named twice"),
        (
            {"summary_sum": "990.01"},
            "The summary's sum is 990.01; the entries add up to 990.00",
        ),
    ],
)
def test_a_bad_line_refuses_the_whole_file_with_its_line(approved, overrides, problem):
    payroll, officer, paid, returned, other = _exported(approved)
    if overrides.get("returned_reference") == "{same}":
        overrides = {
            "returned_reference": f"ZR-P{paid.pk}-{paid.month:%Y%m}",
            "returned_amount": f"{paid.amount:.2f}",
        }
    with pytest.raises(ValidationError) as error:
        _apply(
            payroll, officer, _answer("camt054_paid_and_returned.xml", paid, returned, **overrides)
        )
    messages = error.value.message_dict["file"]
    assert any(problem in m and m.startswith("Line ") for m in messages), messages
    assert not Reconciliation.objects.exists()
    assert set(payroll.payments.values_list("status", flat=True)) == {PaymentStatus.DUE}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"<Document><unclosed></Document>", "not well-formed XML"),
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.09'/>", "not a camt.054"),
        (
            b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document>&x;</Document>',
            "camt.054",
        ),
    ],
)
def test_a_malformed_or_foreign_file_is_refused(approved, data, problem):
    payroll, officer, *_ = _exported(approved)
    with pytest.raises(ValidationError, match=problem):
        _apply(payroll, officer, data)
    assert not Reconciliation.objects.exists()


def test_a_foreign_currency_and_the_same_file_twice_are_refused(approved):
    payroll, officer, paid, returned, other = _exported(approved)
    data = _answer("camt054_paid_and_returned.xml", paid, returned).replace(b'"GEL"', b'"EUR"')
    with pytest.raises(ValidationError, match="The currency is EUR, not GEL"):
        _apply(payroll, officer, data)
    assert not Reconciliation.objects.exists()
    assert set(payroll.payments.values_list("status", flat=True)) == {PaymentStatus.DUE}
    good = _answer("camt054_paid_and_returned.xml", paid, returned)
    _apply(payroll, officer, good)
    with pytest.raises(ValidationError, match="already applied"):
        _apply(payroll, officer, good)


def test_a_returned_payment_waits_for_a_corrected_account_then_is_paid(approved, make_user):
    payroll, officer, paid, returned, other = _exported(approved)
    _apply(payroll, officer, _answer("camt054_paid_and_returned.xml", paid, returned))
    next_month = payroll.month + relativedelta(months=1)
    later = payroll_execute(
        payroll=services.payroll_start(actor=officer, month=next_month, enqueue=False)
    )
    again = later.payments.get(enrolment=returned.enrolment, month=payroll.month)
    assert (again.status, again.hold_reason) == (PaymentStatus.HELD, HoldReason.RETURNED)
    services.payment_account_set(
        actor=officer,
        person=returned.person,
        method="bank",
        iban=OTHER_IBAN,
        valid_from=returned.account.valid_from + relativedelta(days=1),
    )
    third = payroll_execute(
        payroll=services.payroll_start(actor=officer, month=next_month, enqueue=False)
    )
    repaid = third.payments.get(enrolment=returned.enrolment, month=payroll.month)
    assert (repaid.status, repaid.amount) == (PaymentStatus.DUE, Decimal("495.00"))
    # The one paid is never paid again.
    assert not Payment.objects.filter(
        enrolment=paid.enrolment, month=payroll.month, status=PaymentStatus.DUE
    ).exists()


def test_when_every_payment_is_answered_the_payroll_is_reconciled(approved):
    payroll, officer, paid, returned, other = _exported(approved)
    _apply(payroll, officer, _answer("answer.csv", paid, returned), "csv")
    _apply(
        payroll,
        officer,
        _answer("answer.csv", other, other).split(b"\n", 2)[0]
        + b"\n"
        + f"ZR-P{other.pk}-{other.month:%Y%m},{other.amount:.2f},GEL,paid,\n".encode(),
        "csv",
    )
    payroll.refresh_from_db()
    assert payroll.step == PayrollStep.RECONCILED


def test_the_page_and_the_api_apply_an_answer_and_list_a_refused_files_lines(
    approved,
    login_as,
):
    from django.test import Client

    from zrunva.accounts.services import api_token_issue

    payroll, officer, paid, returned, other = _exported(approved)
    client = login_as("ssa_officer")
    bad = _answer("camt054_paid_and_returned.xml", paid, returned, paid_amount="1.00")
    page = client.post(
        f"/en/payments/payrolls/{payroll.pk}/answers/",
        {"kind": "camt054", "file": SimpleUploadedFile("answer.xml", bad)},
    ).content.decode()
    assert "The amount is 1.00; the payment was 495.00." in page and "error-summary" in page
    assert not Reconciliation.objects.exists()
    _, key = api_token_issue(user=officer, name="bank")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
    good = _answer("camt054_paid_and_returned.xml", paid, returned)
    response = api.post(
        f"/api/v1/payrolls/{payroll.pk}/answers",
        {"kind": "camt054", "file": SimpleUploadedFile("answer.xml", good)},
    )
    assert response.status_code == 201, response.content
    assert (response.json()["paid"], response.json()["returned"]) == (1, 1)
    refused = api.post(
        f"/api/v1/payrolls/{payroll.pk}/answers",
        {"kind": "camt054", "file": SimpleUploadedFile("answer.xml", good)},
    )
    assert refused.status_code == 400
    assert refused.json()["detail"] == [
        {"loc": ["body", "file"], "msg": "This file was already applied."}
    ]


def test_the_delay_to_the_first_payment_counts_from_submission_to_the_banks_confirmation(
    approved, make_user
):
    from datetime import timedelta

    from django.utils import timezone

    from zrunva.applications.models import Application
    from zrunva.applications.selectors import delay_indicators

    payroll, officer, paid, returned, other = _exported(approved)
    _apply(payroll, officer, _answer("answer.csv", paid, returned), "csv")
    application = paid.enrolment.application
    submitted = timezone.now() - timedelta(days=40)
    Application.objects.filter(pk=application.pk).update(submitted_at=submitted)
    Reconciliation.objects.update(uploaded_at=submitted + timedelta(days=30))
    rows = delay_indicators(actor=make_user(Role.ADMIN)).to_dicts()
    month = submitted.strftime("%Y-%m")
    row = next(r for r in rows if r["month"] == month)
    # One beneficiary paid (the other was returned: no money reached them yet).
    assert (row["paid"], row["payment_median"]) == (1, 30.0)


def test_a_payroll_sent_to_the_banks_is_never_cancelled(approved, make_user):
    payroll, officer, paid, returned, other = _exported(approved)
    admin = make_user(Role.ADMIN)
    for step in ("exported", "reconciled"):
        payroll.step = step
        payroll.save(update_fields=["step"])
        with pytest.raises(ValidationError):
            services.payroll_cancel(actor=admin, payroll=payroll, reason="By mistake.")
    assert not payroll.payments.filter(status=PaymentStatus.CANCELLED).exists()
