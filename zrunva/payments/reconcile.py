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


def _child(element, *path: str):
    for name in path:
        if element is None:
            return None
        element = next(
            (c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == name),
            None,
        )
    return element


def _text(element, *path: str) -> str:
    found = _child(element, *path)
    return (found.text or "").strip() if found is not None else ""


def _forget(element) -> None:
    """Free a finished element and the finished siblings before it (a streamed read keeps only
    what is still open, so a million lines never sit in memory as one tree)."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def parse_camt054(data: bytes) -> list[Line]:
    """The transactions of a camt.054 notification (any version: read by element names),
    streamed. A file that is not well-formed XML or not a camt.054 is refused with the reason."""
    not_camt = ValidationError(
        {"file": _("This is not a camt.054 notification (BkToCstmrDbtCdtNtfctn).")}
    )
    lines: list[Line] = []
    root, notification = None, False
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        for event, element in events:
            name = etree.QName(element).localname
            if event == "start":
                if root is None:
                    if name != "Document":
                        raise not_camt
                    root = element
                elif name == "BkToCstmrDbtCdtNtfctn" and element.getparent() is root:
                    notification = True
                continue
            if name == "TxDtls" and notification:
                amount = _child(element, "Amt")
                if amount is None:
                    amount = _child(element, "AmtDtls", "InstdAmt", "Amt")
                returned = _child(element, "RtrInf")
                lines.append(
                    Line(
                        number=element.sourceline or 0,
                        reference=_text(element, "Refs", "EndToEndId"),
                        amount=(amount.text or "").strip() if amount is not None else "",
                        currency=amount.get("Ccy", "") if amount is not None else "",
                        returned=returned is not None,
                        reason=_text(returned, "Rsn", "Cd") if returned is not None else "",
                    )
                )
                _forget(element)
            elif name == "Ntry":
                _forget(element)
    except etree.XMLSyntaxError as error:
        raise ValidationError(
            {"file": _("The file is not well-formed XML: %(error)s") % {"error": error}}
        ) from None
    if not notification:
        raise not_camt
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
