"""Reading a bank's answer to an exported payroll: ISO 20022 camt.054 (debit notification) or
CSV, one line per payment, each naming the payment by the end-to-end id our pain.001 gave it
(`bankfiles.end_to_end`), with the amount, the currency and, for a returned payment, the ISO 20022
reason code. A file is checked whole before anything is applied (`check`): one bad line refuses
it, and the report names every bad line with its number and the reason."""

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree

from zrunva.payments.bankfiles import payment_id
from zrunva.payments.choices import PaymentStatus

CURRENCY = "GEL"
MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Line:
    number: int  # the line of the file it was read from
    reference: str
    amount: str
    currency: str
    returned: bool
    reason: str = ""


SAFE = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


def _is_camt054(data: bytes) -> bool:
    """Whether the document is a camt.054 notification: a Document whose first element is
    BkToCstmrDbtCdtNtfctn (read up to that element only)."""
    names = []
    for _event, element in etree.iterparse(io.BytesIO(data), events=("start",), **SAFE):
        names.append(etree.QName(element).localname)
        if len(names) == 2:
            break
    return names == ["Document", "BkToCstmrDbtCdtNtfctn"]


def _forget(element) -> None:
    """Free a finished transaction and what finished before it, up to its entry, so that a
    million lines never sit in memory as one tree."""
    element.clear(keep_tail=True)
    node = element
    for _level in range(3):  # TxDtls, NtryDtls, Ntry
        parent = node.getparent()
        if parent is None:
            break
        while node.getprevious() is not None:
            del parent[0]
        node = parent


def parse_camt054(data: bytes) -> list[Line]:
    """The transactions of a camt.054 notification (any version: read by element names),
    streamed; the lookups are lxml's own (C), a name test per element costs more than the
    parse. A file that is not well-formed XML or not a camt.054 is refused with the reason."""
    lines: list[Line] = []
    try:
        if not _is_camt054(data):
            for _item in etree.iterparse(io.BytesIO(data), **SAFE):
                pass  # malformed XML says so first
            raise ValidationError(
                {"file": _("This is not a camt.054 notification (BkToCstmrDbtCdtNtfctn).")}
            )
        transactions = etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}TxDtls", **SAFE)
        for _event, element in transactions:
            amount = element.find("{*}Amt")
            if amount is None:
                amount = element.find("{*}AmtDtls/{*}InstdAmt/{*}Amt")
            returned = element.find("{*}RtrInf")
            reference = element.findtext("{*}Refs/{*}EndToEndId") or ""
            reason = returned.findtext("{*}Rsn/{*}Cd") or "" if returned is not None else ""
            lines.append(
                Line(
                    number=element.sourceline or 0,
                    reference=reference.strip(),
                    amount=(amount.text or "").strip() if amount is not None else "",
                    currency=amount.get("Ccy", "") if amount is not None else "",
                    returned=returned is not None,
                    reason=reason.strip(),
                )
            )
            _forget(element)
    except etree.XMLSyntaxError as error:
        raise ValidationError(
            {"file": _("The file is not well-formed XML: %(error)s") % {"error": error}}
        ) from None
    return lines


CSV_COLUMNS = ["end_to_end_id", "amount", "currency", "status", "reason"]


def parse_csv(data: bytes) -> list[Line]:
    """Lines of a CSV answer: end_to_end_id, amount, currency, status (paid or returned),
    reason (the return's code)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": _("The CSV file is not UTF-8 text.")}) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS[:4] if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError(
            {
                "file": _("The CSV file lacks the columns: %(names)s.")
                % {"names": ", ".join(missing)}
            }
        )
    lines = []
    for number, row in enumerate(reader, start=2):
        status = (row.get("status") or "").strip().lower()
        if status not in ("paid", "returned"):
            raise ValidationError(
                {"file": _("Line %(line)d: the status is paid or returned.") % {"line": number}}
            )
        lines.append(
            Line(
                number=number,
                reference=(row.get("end_to_end_id") or "").strip(),
                amount=(row.get("amount") or "").strip(),
                currency=(row.get("currency") or "").strip(),
                returned=status == "returned",
                reason=(row.get("reason") or "").strip(),
            )
        )
    return lines


def check(lines: list[Line], payments: dict[int, tuple[Decimal, str]]) -> list[dict]:
    """Every problem of the file, line by line ({"line", "reference", "problem"}); none: it may
    be applied. `payments` maps the payroll's payment ids to (amount, status)."""
    problems = []
    seen: dict[int, int] = {}

    def problem(line: Line, text: str) -> None:
        problems.append({"line": line.number, "reference": line.reference, "problem": str(text)})

    if not lines:
        return [{"line": 0, "reference": "", "problem": str(_("The file names no payment."))}]
    for line in lines:
        pk = payment_id(line.reference)
        if pk not in payments:
            problem(line, _("No payment of this payroll has this reference."))
            continue
        if pk in seen:
            problem(
                line, _("This payment is named twice (also on line %(line)d).") % {"line": seen[pk]}
            )
            continue
        seen[pk] = line.number
        amount, status = payments[pk]
        if status != PaymentStatus.DUE:
            problem(line, _("This payment was already settled by an earlier answer."))
        if line.currency != CURRENCY:
            problem(
                line, _("The currency is %(found)s, not GEL.") % {"found": line.currency or "—"}
            )
        try:
            stated = Decimal(line.amount)
        except InvalidOperation:
            problem(line, _("The amount is not a number."))
            continue
        if stated != amount:
            problem(
                line,
                _("The amount is %(found)s; the payment was %(amount)s.")
                % {"found": line.amount, "amount": f"{amount:.2f}"},
            )
        if line.returned and not re.fullmatch(r"[A-Z0-9]{4}", line.reason):
            problem(line, _("A returned payment needs its ISO 20022 reason code, e.g. AC04."))
    return problems
