"""Reading a bank's answer to an exported payroll: ISO 20022 camt.054 (debit notification) or
CSV, one line per payment, each naming the payment by the end-to-end id our pain.001 gave it
(`bankfiles.end_to_end`), with the amount, the currency and, for a returned payment, the ISO 20022
reason code. A file is checked whole before anything is applied (`check`): one bad line, or a
total the file states that its lines do not add up to, refuses it, and the report names every
bad line with its number and the reason."""

import csv
import io
import re
from decimal import Decimal, InvalidOperation

import polars as pl
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree

from zrunva.payments.bankfiles import END_TO_END
from zrunva.payments.choices import PaymentStatus

CURRENCY = "GEL"
MAX_BYTES = 200 * 1024 * 1024

# A file's answers, one row per line in file order: `line` is the line of the file it was read
# from, `returned` whether the bank sent the payment back, with its `reason`.
ANSWERS = {
    "line": pl.Int64,
    "reference": pl.String,
    "amount": pl.String,
    "currency": pl.String,
    "returned": pl.Boolean,
    "reason": pl.String,
}
# What a camt.054 states of the transactions beside each (null in a CSV, which states nothing):
# of its entry (`Ntry`), numbered in file order, the line and amount; of the entry's batch
# (`NtryDtls/Btch`) its number, line, number of transactions and total; of the notification's
# summary (`TxsSummry/TtlNtries`) its number, line, number of entries and their sum. Numbers,
# not lines, tell them apart: a file may be written on one line. `check` compares them with
# the lines.
CONTROLS = {
    "entry": pl.Int64,
    "entry_line": pl.Int64,
    "entry_amount": pl.String,
    "batch": pl.Int64,
    "batch_line": pl.Int64,
    "batch_count": pl.String,
    "batch_total": pl.String,
    "summary": pl.Int64,
    "summary_line": pl.Int64,
    "summary_count": pl.String,
    "summary_total": pl.String,
}
# The payroll's payments an answer may name: id, amount, status.
PAYMENTS = {"id": pl.Int64, "amount": pl.Decimal(12, 2), "status": pl.String}


def _answers(columns: dict[str, list]) -> pl.DataFrame:
    return pl.DataFrame(columns, schema=ANSWERS)


def _child(element, name: str, before: str = ""):
    """`element`'s first child of this local name, looked for up to one named `before`."""
    for child in element:
        tag = _local(child.tag)
        if tag == name:
            return child
        if tag == before:
            break
    return None


class _Stated:
    """What a camt.054 states around its transactions (`CONTROLS`), a row for each `NtryDtls`.
    Each part is read at the first transaction after it: a notification's summary and an
    entry's amount when the first transaction of that notification or entry ends, a batch at
    its details' first. Nothing of them is freed before (`_forget` frees what comes before a
    finished transaction), so they are kept here for the transactions that follow."""

    def __init__(self):
        self.rows: list[dict] = []
        self.details = self.entry = self.notification = None
        self.entries = self.notifications = 0
        self.of_entry: dict = {}
        self.of_summary: dict = {}

    def of(self, details) -> int:
        """The row of what is stated around `details` (a transaction's parent)."""
        if details is self.details:
            return len(self.rows) - 1
        self.details, entry = details, details.getparent()
        notification = entry.getparent() if entry is not None else None
        if notification is not self.notification:
            self.notification, self.notifications = notification, self.notifications + 1
            summary = (
                _child(notification, "TxsSummry", before="Ntry")
                if notification is not None
                else None
            )
            totals = _at(summary, "TtlNtries")
            self.of_summary = {
                "summary": self.notifications if totals is not None else None,
                "summary_line": totals.sourceline if totals is not None else None,
                "summary_count": _text(_at(totals, "NbOfNtries")) if totals is not None else None,
                "summary_total": _text(_at(totals, "Sum")) if totals is not None else None,
            }
        if entry is not self.entry:
            self.entry, self.entries = entry, self.entries + 1
            amount = _child(entry, "Amt", before="NtryDtls") if entry is not None else None
            self.of_entry = {
                "entry": self.entries,
                "entry_line": (entry if entry is not None else details).sourceline,
                "entry_amount": _text(amount) if amount is not None else None,
            }
        batch = _child(details, "Btch", before="TxDtls")
        self.rows.append(
            self.of_entry
            | {
                "batch": len(self.rows) if batch is not None else None,
                "batch_line": batch.sourceline if batch is not None else None,
                "batch_count": _text(_at(batch, "NbOfTxs")) if batch is not None else None,
                "batch_total": _text(_at(batch, "TtlAmt")) if batch is not None else None,
            }
            | self.of_summary
        )
        return len(self.rows) - 1


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
    """Free what finished before a finished transaction, up to its entry, so that a million
    lines never sit in memory as one tree (nor a million entries of one line each)."""
    node = element
    for _level in range(3):  # TxDtls, NtryDtls, Ntry
        parent = node.getparent()
        if parent is None:
            break
        while node.getprevious() is not None:
            del parent[0]
        node = parent


# Transactions between two walks freeing what came before (each is emptied at once): a walk
# after every one took a sixth of the parsing.
FORGET_EVERY = 256


def _local(tag) -> str:
    return tag[tag.find("}") + 1 :] if isinstance(tag, str) else ""


def _at(element, *names):
    """The first element down the path of local names from `element`, or None: every child of
    a name is looked into, as `find` does with a path."""
    if element is None or not names:
        return element
    for child in element:
        if _local(child.tag) == names[0]:
            found = _at(child, *names[1:])
            if found is not None:
                return found
    return None


def _text(element) -> str:
    return (element.text or "").strip() if element is not None else ""


def parse_camt054(data: bytes) -> pl.DataFrame:
    """The transactions of a camt.054 notification (any version: read by element names),
    streamed, as `ANSWERS`. A transaction's children are walked in C by lxml's iteration
    (`find` with a path is interpreted in Python on every call: it took half the time). A
    file that is not well-formed XML or not a camt.054 is refused with the reason."""
    columns: dict[str, list] = {name: [] for name in ANSWERS}
    line, reference, amount, currency, returned, reason = columns.values()
    # Each transaction's row of what is stated around it.
    group: list[int] = []
    stated = _Stated()
    try:
        if not _is_camt054(data):
            for _item in etree.iterparse(io.BytesIO(data), **SAFE):
                pass  # malformed XML says so first
            raise ValidationError(
                {"file": _("This is not a camt.054 notification (BkToCstmrDbtCdtNtfctn).")}
            )
        transactions = etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}TxDtls", **SAFE)
        for n, (_event, element) in enumerate(transactions, 1):
            children: dict = {}
            for child in element:
                children.setdefault(_local(child.tag), child)
            money = children.get("Amt")
            if money is None:
                money = _at(element, "AmtDtls", "InstdAmt", "Amt")
            back = children.get("RtrInf")
            line.append(element.sourceline or 0)
            reference.append(_text(_at(element, "Refs", "EndToEndId")))
            amount.append(_text(money))
            currency.append(money.get("Ccy", "") if money is not None else "")
            returned.append(back is not None)
            reason.append(_text(_at(back, "Rsn", "Cd")))
            group.append(stated.of(element.getparent()))
            element.clear(keep_tail=True)
            if n % FORGET_EVERY == 0:
                _forget(element)
    except etree.XMLSyntaxError as error:
        raise ValidationError(
            {"file": _("The file is not well-formed XML: %(error)s") % {"error": error}}
        ) from None
    controls = pl.DataFrame(stated.rows, schema=CONTROLS, orient="row").with_row_index("group")
    return (
        _answers(columns)
        .with_columns(group=pl.Series(group, dtype=pl.UInt32))
        .join(controls, on="group", how="left", maintain_order="left")
        .drop("group")
    )


CSV_COLUMNS = ["end_to_end_id", "amount", "currency", "status", "reason"]


def parse_csv(data: bytes) -> pl.DataFrame:
    """Lines of a CSV answer as `ANSWERS`: end_to_end_id, amount, currency, status (paid or
    returned), reason (the return's code); `line` counts the header as line 1."""
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
    columns: dict[str, list] = {name: [] for name in ANSWERS}
    line, reference, amount, currency, returned, reason = columns.values()
    for number, row in enumerate(reader, start=2):
        status = (row.get("status") or "").strip().lower()
        if status not in ("paid", "returned"):
            raise ValidationError(
                {"file": _("Line %(line)d: the status is paid or returned.") % {"line": number}}
            )
        line.append(number)
        reference.append((row.get("end_to_end_id") or "").strip())
        amount.append((row.get("amount") or "").strip())
        currency.append((row.get("currency") or "").strip())
        returned.append(status == "returned")
        reason.append((row.get("reason") or "").strip())
    return _answers(columns).with_columns(
        pl.lit(None, dtype=dtype).alias(name) for name, dtype in CONTROLS.items()
    )


def identified(answers: pl.DataFrame) -> pl.DataFrame:
    """The answers with `payment`: the id their end-to-end reference names (`bankfiles.
    END_TO_END`, as `end_to_end` writes it), null when it is not one of ours."""
    # Python's `$` also matches before a last newline, Rust's does not: `\z` is the end.
    pattern = END_TO_END.pattern.removesuffix("$") + r"\z"
    return answers.with_columns(payment=pl.col("reference").str.extract(pattern, 1).cast(pl.Int64))


def _stated(text: str) -> Decimal | None:
    """An amount as written, or None when it is not a (finite) number."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def check(answers: pl.DataFrame, payments: pl.DataFrame) -> list[dict]:
    """Every problem of the file, line by line ({"line", "reference", "problem"}); none: it may
    be applied. `answers` as `identified` gives them; `payments` (`PAYMENTS`) the payroll's
    payments they may name. The lines are judged together over columns; only the few with a
    problem, or an amount not written plainly, are looked at one by one to say what it is. Then
    what a camt.054 states of them (`CONTROLS`: its entries', batches' and summaries' numbers and
    totals) is compared with them."""
    if answers.is_empty():
        return [{"line": 0, "reference": "", "problem": str(_("The file names no payment."))}]
    plain = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
    known = pl.col("status").is_not_null()
    judged = (
        answers.join(
            payments.rename({"amount": "owed"}),
            left_on="payment",
            right_on="id",
            how="left",
            maintain_order="left",
        )
        .with_row_index("row")
        .with_columns(
            first=pl.when(known).then(pl.col("line").first().over("payment", known)),
            first_row=pl.when(known).then(pl.col("row").first().over("payment", known)),
        )
        .with_columns(twice=known & (pl.col("row") != pl.col("first_row")))
        .with_columns(
            fine=known
            & ~pl.col("twice")
            & (pl.col("status") == PaymentStatus.DUE)
            & (pl.col("currency") == CURRENCY)
            & pl.col("amount").str.contains(plain)
            & (pl.col("amount").cast(pl.Decimal(12, 2), strict=False) == pl.col("owed"))
            & (~pl.col("returned") | pl.col("reason").str.contains(r"^[A-Z0-9]{4}$"))
        )
    )
    problems = []
    for row in judged.filter(~pl.col("fine")).iter_rows(named=True):

        def problem(text: str, row=row) -> None:
            problems.append({"line": row["line"], "reference": row["reference"], "problem": text})

        if row["status"] is None:
            problem(str(_("No payment of this payroll has this reference.")))
            continue
        if row["twice"]:
            problem(
                _("This payment is named twice (also on line %(line)d).") % {"line": row["first"]}
            )
            continue
        if row["status"] != PaymentStatus.DUE:
            problem(str(_("This payment was already settled by an earlier answer.")))
        if row["currency"] != CURRENCY:
            problem(_("The currency is %(found)s, not GEL.") % {"found": row["currency"] or "—"})
        stated = _stated(row["amount"])
        if stated is None:
            problem(str(_("The amount is not a number.")))
            continue
        if stated != row["owed"]:
            problem(
                _("The amount is %(found)s; the payment was %(amount)s.")
                % {"found": row["amount"], "amount": f"{row['owed']:.2f}"}
            )
        if row["returned"] and not re.fullmatch(r"[A-Z0-9]{4}", row["reason"]):
            problem(str(_("A returned payment needs its ISO 20022 reason code, e.g. AC04.")))
    # By line, the stated totals' problems among the lines' (each line's kept in their order).
    return sorted(problems + _control_problems(answers), key=lambda p: p["line"])


def _control_problems(answers: pl.DataFrame) -> list[dict]:
    """Where what a camt.054 states (`CONTROLS`) differs from its transactions: an entry's
    amount from their sum, a batch's number and total, a summary's number of entries and their
    sum. A sum with an amount that is not a number is not compared: that line is named."""
    if answers.is_empty() or answers["entry"].is_null().all():
        return []
    money = pl.col("amount").cast(pl.Decimal(38, 2), strict=False)
    entries = (
        answers.group_by("entry", maintain_order=True)
        .agg(
            line=pl.col("entry_line").first(),
            stated=pl.col("entry_amount").first(),
            total=money.sum(),
            unread=money.is_null().any(),
            summary=pl.col("summary").first(),
            summary_line=pl.col("summary_line").first(),
            summary_count=pl.col("summary_count").first(),
            summary_total=pl.col("summary_total").first(),
        )
        .with_columns(amount=pl.col("stated").cast(pl.Decimal(38, 2), strict=False))
    )
    batches = (
        answers.filter(pl.col("batch").is_not_null())
        .group_by("batch", maintain_order=True)
        .agg(
            line=pl.col("batch_line").first(),
            count=pl.len(),
            stated_count=pl.col("batch_count").first(),
            stated_total=pl.col("batch_total").first(),
            total=money.sum(),
            unread=money.is_null().any(),
        )
    )
    summaries = (
        entries.filter(pl.col("summary").is_not_null())
        .group_by("summary", maintain_order=True)
        .agg(
            pl.col("summary_line", "summary_count", "summary_total").first(),
            count=pl.len(),
            total=pl.col("amount").sum(),
            unread=pl.col("amount").is_null().any(),
        )
    )
    problems = []

    def problem(line: int, text: str) -> None:
        problems.append({"line": line, "reference": "", "problem": text})

    def differs(stated: str | None, counted, unread: bool = False) -> bool:
        return bool(stated) and not unread and _stated(stated) != counted

    for row in entries.iter_rows(named=True):
        if not row["stated"]:
            problem(row["line"], str(_("The entry states no amount (Ntry/Amt).")))
        elif row["amount"] is None:
            problem(row["line"], str(_("The entry's amount is not a number.")))
        elif differs(row["stated"], row["total"], row["unread"]):
            problem(
                row["line"],
                _("The entry's amount is %(stated)s; its transactions add up to %(total)s.")
                % {"stated": row["stated"], "total": f"{row['total']:.2f}"},
            )
    for row in batches.iter_rows(named=True):
        if differs(row["stated_count"], row["count"]):
            problem(
                row["line"],
                _("The batch states %(stated)s transactions; it holds %(count)d.")
                % {"stated": row["stated_count"], "count": row["count"]},
            )
        if differs(row["stated_total"], row["total"], row["unread"]):
            problem(
                row["line"],
                _("The batch's total is %(stated)s; its transactions add up to %(total)s.")
                % {"stated": row["stated_total"], "total": f"{row['total']:.2f}"},
            )
    for row in summaries.iter_rows(named=True):
        if differs(row["summary_count"], row["count"]):
            problem(
                row["summary_line"],
                _("The summary states %(stated)s entries; the notification holds %(count)d.")
                % {"stated": row["summary_count"], "count": row["count"]},
            )
        if differs(row["summary_total"], row["total"], row["unread"]):
            problem(
                row["summary_line"],
                _("The summary's sum is %(stated)s; the entries add up to %(total)s.")
                % {"stated": row["summary_total"], "total": f"{row['total']:.2f}"},
            )
    return problems
