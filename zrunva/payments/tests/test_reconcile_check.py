"""`reconcile.check` judges a bank's answers over columns: each bad line is named with its line
and the reason, as a line-by-line reading would name it, and a good file has no problem. The
CSV and camt.054 readers give the same answers for the same payments."""

from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from zrunva.payments import reconcile

DATA = Path(__file__).parent / "data"

PAYMENTS = pl.DataFrame(
    {
        "id": [1, 2, 3, 4],
        "amount": [Decimal("495.00"), Decimal("100.50"), Decimal("0.00"), Decimal("70.00")],
        "status": ["due", "due", "paid", "due"],
    },
    schema=reconcile.PAYMENTS,
)


def _answers(*rows) -> pl.DataFrame:
    """Answers from (reference, amount, returned, reason, currency), on lines 2, 3, …"""
    columns = {name: [] for name in reconcile.ANSWERS}
    for number, (reference, amount, returned, reason, *currency) in enumerate(rows, start=2):
        columns["line"].append(number)
        columns["reference"].append(reference)
        columns["amount"].append(amount)
        columns["currency"].append(currency[0] if currency else "GEL")
        columns["returned"].append(returned)
        columns["reason"].append(reason)
    frame = pl.DataFrame(columns, schema=reconcile.ANSWERS).with_columns(
        pl.lit(None, dtype=dtype).alias(name) for name, dtype in reconcile.CONTROLS.items()
    )
    return reconcile.identified(frame)


def _problems(*rows) -> list[tuple[int, str]]:
    return [(p["line"], p["problem"]) for p in reconcile.check(_answers(*rows), PAYMENTS)]


def test_a_good_answer_has_no_problem_whichever_way_the_amount_is_written():
    assert (
        _problems(
            ("ZR-P1-202701", "495.00", False, ""),
            ("ZR-P2-202701", "100.5", True, "AC04"),
            ("ZR-P4-202701", "70", False, ""),
        )
        == []
    )


def test_an_empty_file_names_no_payment():
    assert _problems() == [(0, "The file names no payment.")]


def test_a_reference_not_of_this_payroll_is_named_and_nothing_else_of_its_line():
    assert _problems(
        ("ZR-P9-202701", "not money", False, "", "EUR"),
        ("someone else's", "1.00", False, ""),
        ("ZR-P1-202701", "495.00", False, ""),
    ) == [
        (2, "No payment of this payroll has this reference."),
        (3, "No payment of this payroll has this reference."),
    ]


def test_a_payment_named_twice_names_the_line_of_its_first_answer():
    assert _problems(
        ("ZR-P9-202701", "1.00", False, ""),  # unknown: not a first answer of anything
        ("ZR-P2-202701", "100.50", False, ""),
        ("ZR-P1-202701", "495.00", False, ""),
        ("ZR-P2-202701", "100.50", True, "AC04"),
        ("ZR-P2-202701", "1.00", False, ""),
    ) == [
        (2, "No payment of this payroll has this reference."),
        (5, "This payment is named twice (also on line 3)."),
        (6, "This payment is named twice (also on line 3)."),
    ]


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("495.001", "The amount is 495.001; the payment was 495.00."),
        ("494.99", "The amount is 494.99; the payment was 495.00."),
        ("4.95E+2", None),  # a number, written otherwise: equal
        ("1_000", "The amount is 1_000; the payment was 495.00."),
        ("12345678901234", "The amount is 12345678901234; the payment was 495.00."),
        ("", "The amount is not a number."),
        ("495,00", "The amount is not a number."),
        ("NaN", "The amount is not a number."),
        ("sNaN", "The amount is not a number."),
        ("Infinity", "The amount is not a number."),
    ],
)
def test_an_amount_is_compared_as_a_number(amount, problem):
    found = _problems(("ZR-P1-202701", amount, False, ""))
    assert found == ([(2, problem)] if problem else [])


def test_each_problem_of_a_line_is_named_in_turn():
    assert _problems(
        ("ZR-P3-202701", "0.00", False, ""),  # already paid
        ("ZR-P1-202701", "1.00", True, "", "USD"),
        ("ZR-P4-202701", "x", True, "closed"),  # not a number: its reason is not looked at
    ) == [
        (2, "This payment was already settled by an earlier answer."),
        (3, "The currency is USD, not GEL."),
        (3, "The amount is 1.00; the payment was 495.00."),
        (3, "A returned payment needs its ISO 20022 reason code, e.g. AC04."),
        (4, "The amount is not a number."),
    ]


def test_the_csv_and_the_camt054_readers_give_the_same_answers():
    xml = (DATA / "camt054_paid_and_returned.xml").read_text()
    values = {
        "paid_reference": "ZR-P1-202701",
        "paid_amount": "495.00",
        "returned_reference": "ZR-P2-202701",
        "returned_amount": "100.50",
        "summary_sum": "595.50",
    }
    from_xml = reconcile.parse_camt054(xml.format(**values).encode())
    csv = (DATA / "answer.csv").read_text().format(**values)
    from_csv = reconcile.parse_csv(csv.replace("MD07", "AC04").encode())
    columns = ["reference", "amount", "currency", "returned", "reason"]
    assert from_xml.columns == from_csv.columns == [*reconcile.ANSWERS, *reconcile.CONTROLS]
    assert (
        from_xml.select(columns).to_dicts()
        == from_csv.select(columns).to_dicts()
        == [
            {
                "reference": "ZR-P1-202701",
                "amount": "495.00",
                "currency": "GEL",
                "returned": False,
                "reason": "",
            },
            {
                "reference": "ZR-P2-202701",
                "amount": "100.50",
                "currency": "GEL",
                "returned": True,
                "reason": "AC04",
            },
        ]
    )
    assert from_xml["line"].to_list() == [23, 37]  # where each <TxDtls> opens
    assert from_csv["line"].to_list() == [2, 3]
    assert reconcile.check(reconcile.identified(from_xml), PAYMENTS) == []


def test_a_reference_is_ours_only_whole():
    answers = _answers(
        ("ZR-P1-202701\n", "495.00", False, ""),
        ("ZR-P1-2027011", "495.00", False, ""),
        ("xZR-P1-202701", "495.00", False, ""),
        ("ZR-P1-202701", "495.00", False, ""),
    )
    assert answers["payment"].to_list() == [None, None, None, 1]


def test_a_transactions_elements_are_found_in_any_of_their_repeated_parents():
    # Two <Refs> (the id in the second), two <Rsn> (the code in the second): read as `find`
    # with a path reads them.
    xml = b"""<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
    <BkToCstmrDbtCdtNtfctn><Ntfctn><Ntry><NtryDtls><TxDtls>
      <Refs><InstrId>x</InstrId></Refs><Refs><EndToEndId>ZR-P2-202701</EndToEndId></Refs>
      <AmtDtls><InstdAmt><Amt Ccy="GEL">100.50</Amt></InstdAmt></AmtDtls>
      <RtrInf><Rsn><Prtry>x</Prtry></Rsn><Rsn><Cd>AC04</Cd></Rsn></RtrInf>
    </TxDtls></NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"""
    read = reconcile.parse_camt054(xml)
    assert read.select(list(reconcile.ANSWERS)).drop("line").to_dicts() == [
        {
            "reference": "ZR-P2-202701",
            "amount": "100.50",
            "currency": "GEL",
            "returned": True,
            "reason": "AC04",
        }
    ]


@pytest.mark.parametrize("per_entry", [1, 700])
def test_what_was_read_is_freed_as_the_file_is_read(monkeypatch, per_entry):
    """A million lines never sit in memory as one tree: at the end, of 2,100 transactions (one
    an entry, or 700 in each of three), only those since the last walk that frees them are
    left, emptied, and none of their entries before."""
    transaction = (
        "<TxDtls><Refs><EndToEndId>ZR-P{n}-202701</EndToEndId></Refs>"
        '<Amt Ccy="GEL">10.00</Amt></TxDtls>'
    )
    entries = "".join(
        "<Ntry><NtryDtls>"
        + "".join(transaction.format(n=e * per_entry + t + 1) for t in range(per_entry))
        + "</NtryDtls></Ntry>"
        for e in range(2100 // per_entry)
    )
    xml = (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
        f"<BkToCstmrDbtCdtNtfctn><Ntfctn>{entries}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()
    parsers = []
    iterparse = reconcile.etree.iterparse

    def kept(*args, **kwargs):
        parsers.append(iterparse(*args, **kwargs))
        return parsers[-1]

    monkeypatch.setattr(reconcile.etree, "iterparse", kept)
    read = reconcile.parse_camt054(xml)
    assert read.height == 2100 and read["reference"][-1] == "ZR-P2100-202701"
    left = list(parsers[-1].root.iter("{*}TxDtls"))
    assert 0 < len(left) <= reconcile.FORGET_EVERY
    assert all(len(element) == 0 for element in left)
    assert len(list(parsers[-1].root.iter("{*}Ntry"))) <= reconcile.FORGET_EVERY


def _notification(entries: list[tuple[str, list[str]]], summary: str = "", batch=None) -> bytes:
    """A camt.054 of entries (stated amount, transactions' amounts), references ZR-P1…, with a
    summary (`TxsSummry` inner XML) and, for each entry, a batch (`batch(amounts)`: its inner
    XML) when given."""
    n = 0
    parts = []
    for stated, amounts in entries:
        transactions = []
        for amount in amounts:
            n += 1
            transactions.append(
                f"<TxDtls><Refs><EndToEndId>ZR-P{n}-202701</EndToEndId></Refs>"
                f'<Amt Ccy="GEL">{amount}</Amt></TxDtls>'
            )
        head = f'<Amt Ccy="GEL">{stated}</Amt>' if stated is not None else ""
        btch = f"<Btch>{batch(amounts)}</Btch>" if batch else ""
        parts.append(
            f"<Ntry>{head}<CdtDbtInd>DBIT</CdtDbtInd><NtryDtls>{btch}"
            + "".join(transactions)
            + "</NtryDtls></Ntry>"
        )
    summary = f"<TxsSummry><TtlNtries>{summary}</TtlNtries></TxsSummry>" if summary else ""
    return (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">\n'
        f"<BkToCstmrDbtCdtNtfctn><Ntfctn>\n{summary}\n"
        + "\n".join(parts)
        + "\n</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def _stated_problems(xml: bytes) -> list[tuple[int, str]]:
    payments = pl.DataFrame(
        {"id": [1, 2, 3], "amount": [Decimal("495.00"), Decimal("100.50"), Decimal("70.00")],
         "status": ["due", "due", "due"]},
        schema=reconcile.PAYMENTS,
    )  # fmt: skip
    answers = reconcile.identified(reconcile.parse_camt054(xml))
    return [(p["line"], p["problem"]) for p in reconcile.check(answers, payments)]


def _batch(amounts):
    total = sum(Decimal(a) for a in amounts)
    return f"<NbOfTxs>{len(amounts)}</NbOfTxs><TtlAmt>{total:.2f}</TtlAmt>"


@pytest.mark.parametrize("one_line", [False, True])
def test_stated_totals_that_add_up_are_no_problem(one_line):
    good = _notification(
        [("595.50", ["495.00", "100.5"]), ("70", ["70.00"])],
        summary="<NbOfNtries>2</NbOfNtries><Sum>665.50</Sum>",
        batch=_batch,
    )
    assert _stated_problems(good.replace(b"\n", b"") if one_line else good) == []


def test_an_entry_whose_transactions_do_not_add_up_is_named_with_its_line():
    xml = _notification([("595.51", ["495.00", "100.50"]), (None, ["70.00"])])
    assert _stated_problems(xml) == [
        (4, "The entry's amount is 595.51; its transactions add up to 595.50."),
        (5, "The entry states no amount (Ntry/Amt)."),
    ]


def test_a_batch_and_a_summary_that_do_not_add_up_are_named_with_their_lines():
    xml = _notification(
        [("595.50", ["495.00", "100.50"]), ("70.00", ["70.00"])],
        summary="<NbOfNtries>3</NbOfNtries><Sum>665.00</Sum>",
        batch=lambda amounts: "<NbOfTxs>2</NbOfTxs><TtlAmt>70.01</TtlAmt>",
    )
    assert _stated_problems(xml) == [
        (3, "The summary states 3 entries; the notification holds 2."),
        (3, "The summary's sum is 665.00; the entries add up to 665.50."),
        (4, "The batch's total is 70.01; its transactions add up to 595.50."),
        (5, "The batch states 2 transactions; it holds 1."),
        (5, "The batch's total is 70.01; its transactions add up to 70.00."),
    ]
    # Written on one line, each entry, batch and summary is still told apart.
    assert _stated_problems(xml.replace(b"\n", b"")) == [
        (1, "The batch's total is 70.01; its transactions add up to 595.50."),
        (1, "The batch states 2 transactions; it holds 1."),
        (1, "The batch's total is 70.01; its transactions add up to 70.00."),
        (1, "The summary states 3 entries; the notification holds 2."),
        (1, "The summary's sum is 665.00; the entries add up to 665.50."),
    ]


def test_a_line_that_is_not_a_number_is_named_and_its_entry_not_summed():
    # The batch states the right count and a total: neither sum is compared with "ten".
    xml = _notification(
        [("595.50", ["495.00", "ten"])],
        batch=lambda amounts: "<NbOfTxs>2</NbOfTxs><TtlAmt>1.00</TtlAmt>",
    )
    assert _stated_problems(xml) == [(4, "The amount is not a number.")]


@pytest.mark.parametrize("one_line", [False, True])
def test_what_is_stated_is_read_before_it_is_freed(one_line):
    """Entries of more transactions than are freed at once (`FORGET_EVERY`): each entry's
    amount, batch and the summary before them are read before the walk frees them."""
    size = reconcile.FORGET_EVERY + 50
    amounts = [f"{n % 7 + 1}.25" for n in range(size)]
    total = sum(Decimal(a) for a in amounts)
    xml = _notification(
        [(f"{total:.2f}", amounts)] * 3,
        summary=f"<NbOfNtries>3</NbOfNtries><Sum>{total * 3:.2f}</Sum>",
        batch=_batch,
    )
    read = reconcile.parse_camt054(xml.replace(b"\n", b"") if one_line else xml)
    assert read.height == 3 * size
    assert read["entry"].unique().sort().to_list() == [1, 2, 3]
    assert read["summary_count"].unique().to_list() == ["3"]
    assert read["batch_count"].unique().to_list() == [str(size)]
    assert reconcile._control_problems(read) == []
    wrong = xml.replace(f"<Sum>{total * 3:.2f}</Sum>".encode(), b"<Sum>1.00</Sum>")
    assert [p["problem"] for p in reconcile._control_problems(reconcile.parse_camt054(wrong))] == [
        f"The summary's sum is 1.00; the entries add up to {total * 3:.2f}."
    ]


def test_a_transaction_outside_any_entry_is_named_not_a_crash():
    xml = b"""<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
    <BkToCstmrDbtCdtNtfctn><TxDtls><Refs><EndToEndId>ZR-P1-202701</EndToEndId></Refs>
    <Amt Ccy="GEL">495.00</Amt></TxDtls></BkToCstmrDbtCdtNtfctn></Document>"""
    # Its "entry" is what holds it (here the document): named for stating no amount.
    assert _stated_problems(xml) == [(1, "The entry states no amount (Ntry/Amt).")]
