"""Bank files of an approved payroll, one per payment provider (the bank an IBAN names):

- ISO 20022 `pain.001.001.09` (customer credit transfer initiation), written element by element
  with lxml's incremental writer, so 700,000 lines never sit in memory as one tree; the group
  header's number of transactions and control sum are counted by the database first, so they
  equal the lines by construction (and a test validates a file against the XSD shipped in
  `sepaxml`);
- CSV with the same lines, for providers that take no XML.

Cash at the post office is paid from a list per post office, not a bank file (cashlists.py).
"""

import csv
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from functools import cache
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone
from lxml import etree

from zrunva.payments.choices import PaymentMethod, PaymentStatus
from zrunva.payments.models import Payment, Payroll

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
CURRENCY = "GEL"
# Rows fetched from the database at a time while a file is written.
CHUNK = 5000


def bank_payments(payroll: Payroll, bank_code: str):
    """The payroll's payments due to bank accounts of one provider, in a stable order."""
    return Payment.objects.filter(
        payroll=payroll,
        status=PaymentStatus.DUE,
        account__method=PaymentMethod.BANK,
        account__bank_code=bank_code,
    ).order_by("id")


def bank_totals(payroll: Payroll) -> list[dict]:
    """Per provider: the number of payments and their sum, as the files' headers state them."""
    rows = (
        Payment.objects.filter(payroll=payroll, status=PaymentStatus.DUE)
        .values("account__method", "account__bank_code")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("account__method", "account__bank_code")
    )
    return [
        {
            "method": row["account__method"],
            "bank_code": row["account__bank_code"],
            "count": row["count"],
            "total": row["total"] or Decimal("0.00"),
        }
        for row in rows
    ]


LINE = (
    "id",
    "amount",
    "month",
    "account__iban",
    "account__holder__first_name",
    "account__holder__last_name",
    "programme__code",
)


def _lines(payroll: Payroll, bank_code: str) -> Iterator[tuple]:
    return bank_payments(payroll, bank_code).values_list(*LINE).iterator(chunk_size=CHUNK)


def lines_by_bank(payroll: Payroll) -> Iterator[tuple[str, Iterator[tuple]]]:
    """Every bank line of the payroll in one read, by provider: (bank code, its lines), the
    lines in a stable order. (One query rather than one per bank: each would go through all
    the payroll's lines again.)"""
    rows = (
        Payment.objects.filter(
            payroll=payroll, status=PaymentStatus.DUE, account__method=PaymentMethod.BANK
        )
        .order_by("account__bank_code", "id")
        .values_list("account__bank_code", *LINE)
        .iterator(chunk_size=CHUNK)
    )
    for code, group in groupby(rows, key=itemgetter(0)):
        yield code, (row[1:] for row in group)


def _text(parent, tag: str, value: str, **attributes) -> None:
    element = etree.Element(tag, **attributes)
    element.text = value
    parent.write(element)


def _party(xf, tag: str, name: str) -> None:
    with xf.element(tag):
        _text(xf, "Nm", name[:140])


# Each payment's end-to-end id, unique and read back from the bank's answer (camt.054):
# ZR-P<payment id>-<YYYYMM>.
END_TO_END = re.compile(r"^ZR-P([0-9]{1,18})-([0-9]{6})$")


def end_to_end(payment_id: int, month: date) -> str:
    return f"ZR-P{payment_id}-{_month_digits(month)}"


# A payroll pays a few months (its own and arrears): each one's texts are made once, not a
# date formatted three times for each of a million lines.
@cache
def _month_digits(month: date) -> str:
    return f"{month:%Y%m}"


@cache
def month_text(month: date) -> str:
    """The month as the files say it: YYYY-MM."""
    return f"{month:%Y-%m}"


CSV_HEADER = ["end_to_end_id", "iban", "name", "amount", "currency", "month", "programme"]

# One transaction's elements, filled for each line and written by lxml (which escapes the
# text): building a fresh subtree per line costs four times as long at a million lines.
TRANSACTION = (
    "<CdtTrfTxInf><PmtId><EndToEndId/></PmtId><Amt><InstdAmt Ccy='GEL'/></Amt>"
    "<Cdtr><Nm/></Cdtr><CdtrAcct><Id><IBAN/></Id></CdtrAcct><RmtInf><Ustrd/></RmtInf>"
    "</CdtTrfTxInf>"
)


def bank_files(
    payroll: Payroll, bank_code: str, xml_out, csv_out=None, *, lines=None, figures=None
) -> dict:
    """Write the provider's pain.001.001.09 file to `xml_out` (a binary file object) and, with
    `csv_out` (a text file object), the same lines as CSV, reading the lines once (`lines`, as
    `lines_by_bank` gives them, with `figures` from `bank_totals`; else read here). Returns the
    header's figures: {"count", "total", "message_id"}."""
    if figures is None:
        figures = next(
            (
                row
                for row in bank_totals(payroll)
                if row["method"] == PaymentMethod.BANK and row["bank_code"] == bank_code
            ),
            {"count": 0, "total": Decimal("0.00")},
        )
    count, total = figures["count"], figures["total"]
    message_id = f"ZR-PAYROLL-{payroll.pk}-{bank_code}"
    now = timezone.now().replace(microsecond=0)
    writer = csv.writer(csv_out) if csv_out is not None else None
    if writer is not None:
        writer.writerow(CSV_HEADER)
    transaction = etree.fromstring(TRANSACTION)
    reference, amount_, name, iban_, remittance = (
        transaction.find(path)
        for path in (
            "PmtId/EndToEndId",
            "Amt/InstdAmt",
            "Cdtr/Nm",
            "CdtrAcct/Id/IBAN",
            "RmtInf/Ustrd",
        )
    )
    with etree.xmlfile(xml_out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("Document", nsmap={None: NAMESPACE}), xf.element("CstmrCdtTrfInitn"):
            with xf.element("GrpHdr"):
                _text(xf, "MsgId", message_id)
                _text(xf, "CreDtTm", now.isoformat())
                _text(xf, "NbOfTxs", str(count))
                _text(xf, "CtrlSum", f"{total:.2f}")
                _party(xf, "InitgPty", settings.PAYMENT_DEBTOR_NAME)
            with xf.element("PmtInf"):
                _text(xf, "PmtInfId", message_id)
                _text(xf, "PmtMtd", "TRF")
                _text(xf, "NbOfTxs", str(count))
                _text(xf, "CtrlSum", f"{total:.2f}")
                with xf.element("ReqdExctnDt"):
                    _text(xf, "Dt", max(payroll.month, timezone.localdate()).isoformat())
                _party(xf, "Dbtr", settings.PAYMENT_DEBTOR_NAME)
                with xf.element("DbtrAcct"), xf.element("Id"):
                    _text(xf, "IBAN", settings.PAYMENT_DEBTOR_IBAN)
                with xf.element("DbtrAgt"), xf.element("FinInstnId"), xf.element("Othr"):
                    _text(xf, "Id", "NOTPROVIDED")
                lines = _lines(payroll, bank_code) if lines is None else lines
                for n, (pk, amount, month, iban, first, last, programme) in enumerate(lines):
                    e2e, money, who = end_to_end(pk, month), f"{amount:.2f}", f"{first} {last}"
                    said = month_text(month)
                    reference.text, amount_.text, iban_.text = e2e, money, iban
                    name.text = who[:140]
                    remittance.text = f"{programme} {said}"[:140]
                    xf.write(transaction)
                    if writer is not None:
                        writer.writerow([e2e, iban, who, money, CURRENCY, said, programme])
                    if n % CHUNK == 0:
                        xf.flush()
    return {"count": count, "total": total, "message_id": message_id}


def pain001(payroll: Payroll, bank_code: str, out) -> dict:
    """The provider's pain.001.001.09 file alone (`bank_files` without the CSV)."""
    return bank_files(payroll, bank_code, out)
