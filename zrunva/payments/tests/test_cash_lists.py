"""Cash lists of an approved payroll, per post office: the PDF of one branch holds its lines
only, with their count and total, in Georgian glyphs; the XLSX of every branch has the same
lines and totals; from approval on, to those who manage the payroll, audited."""

import io
import logging
import re
import zipfile
from decimal import Decimal
from urllib.parse import quote

import pikepdf
import pytest
from auditlog.models import LogEntry
from dateutil.relativedelta import relativedelta
from lxml import etree

from zrunva.accounts.choices import Role
from zrunva.payments import services
from zrunva.payments.bankfiles import end_to_end
from zrunva.payments.tests.factories import KUTAISI_POST, TKIBULI_POST, checked_payroll

pytestmark = pytest.mark.django_db
KUTAISI, TKIBULI = KUTAISI_POST, TKIBULI_POST


@pytest.fixture
def checked(make_user, settings, tmp_path):
    """A checked payroll of four pensioners: two paid in cash at one post office (one of them
    through a guardian), one at another, one to a bank account. (The payroll, its approver.)"""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    officer, other = make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)
    return checked_payroll(officer), other


@pytest.fixture
def cash_payroll(checked):
    payroll, approver = checked
    return services.payroll_approve(actor=approver, payroll=payroll)


def _pdf_text(data: bytes) -> list[str]:
    """The text the PDF shows, a string per text operator, decoded through each font's
    ToUnicode map (fpdf2 writes two-byte glyph ids of a font subset)."""
    shown = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            maps = {}
            for name, font in page.resources.Font.items():
                cmap = font.ToUnicode.read_bytes().decode()
                pairs = re.findall(r"<([0-9A-F]{4})> <([0-9A-F]{4,})>", cmap)
                maps[name] = {int(code, 16): chr(int(uni, 16)) for code, uni in pairs}
            chars = {}
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "Tf":
                    chars = maps[str(operands[0])]
                elif str(operator) == "Tj":
                    raw = bytes(operands[0])
                    codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)]
                    shown.append("".join(chars[c] for c in codes))
    return shown


def _pdf_url(payroll, office):
    return f"/payments/payrolls/{payroll.pk}/cash-lists/pdf/?post_office={quote(office)}"


def test_a_post_offices_pdf_holds_its_lines_only_with_their_count_and_total(
    cash_payroll, login_as, caplog
):
    payroll = cash_payroll
    kutaisi = list(
        payroll.payments.filter(account__post_office=KUTAISI).select_related("payee").order_by("id")
    )
    assert len(kutaisi) == 2
    client = login_as(Role.SSA_OFFICER)
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        response = client.get(_pdf_url(payroll, KUTAISI))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        f'filename="payroll-{payroll.pk}-{payroll.month:%Y-%m}-cash-sakartvelos-posta-kutaisi.pdf"'
        in response["Content-Disposition"]
    )
    data = b"".join(response.streaming_content)
    assert not [r for r in caplog.records if "missing" in r.getMessage()]
    text = _pdf_text(data)
    references = [t for t in text if t.startswith("ZR-P")]
    assert sorted(references) == sorted(end_to_end(p.pk, p.month) for p in kutaisi)
    assert f"ფოსტის განყოფილება: {KUTAISI}" in text  # the user's language: Georgian
    for payment in kutaisi:
        payee = payment.payee
        assert f"{payee.first_name} {payee.last_name}, {payee.personal_number}" in text
    assert text.count("სახელმწიფო პენსია") == 2  # the programme's Georgian name, in its glyphs
    assert len([t for t in text if t.startswith("იღებს ")]) == 1  # through her guardian
    # After the lines: the totals row (Georgian "Total"), the count and the sum.
    total = text.index("ჯამი")
    # The amounts as Georgian writes them, in the column headed "Amount, GEL".
    amount = f"{sum(p.amount for p in kutaisi):.2f}".replace(".", ",")
    assert text[total + 1 : total + 3] == ["2 გადახდა", amount]
    assert "".join(text).endswith(f"{KUTAISI} · გვერდი 1 / 1")
    entry = LogEntry.objects.get(additional_data__purpose="download")
    assert entry.object_pk == str(payroll.pk)
    assert entry.additional_data | {} == {
        "purpose": "download",
        "cash_list": KUTAISI,
        "format": "pdf",
        "lines": 2,
    }


def test_the_pdf_is_in_the_users_language_names_as_stored(cash_payroll, login_as):
    client = login_as(Role.SSA_OFFICER)
    text = _pdf_text(
        b"".join(client.get("/en" + _pdf_url(cash_payroll, TKIBULI)).streaming_content)
    )
    assert "Cash list" in text and f"Post office: {TKIBULI}" in text
    assert "".join(text).endswith("page 1 of 1")
    assert "State old-age pension" in text and "1 payment" in text
    assert len([t for t in text if t.startswith("ZR-P")]) == 1
    assert "გიორგი ბერიძე" in " ".join(text)  # the payee's name as stored


def test_the_workbook_has_every_post_offices_lines_and_totals(cash_payroll, login_as):
    payroll = cash_payroll
    response = login_as(Role.SSA_OFFICER).get(
        f"/en/payments/payrolls/{payroll.pk}/cash-lists/xlsx/"
    )
    assert response.status_code == 200
    assert (
        f"payroll-{payroll.pk}-{payroll.month:%Y-%m}-cash.xlsx" in response["Content-Disposition"]
    )
    book = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    ns = {"s": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    names = [
        s.get("name")
        for s in etree.fromstring(book.read("xl/workbook.xml")).iterfind(".//s:sheet", ns)
    ]
    assert names == ["Cash lists", "Post offices"]
    sheet = etree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    styles = etree.fromstring(book.read("xl/styles.xml"))
    formats = {f.get("numFmtId"): f.get("formatCode") for f in styles.iterfind(".//s:numFmt", ns)}
    cell_formats = [x.get("numFmtId") for x in styles.find("s:cellXfs", ns)]

    def cells(row):
        out = {}
        for c in row.iterfind("s:c", ns):
            column = re.match(r"[A-Z]+", c.get("r")).group()
            value = c.find("s:is/s:t", ns)
            formula = c.find("s:f", ns)
            out[column] = (
                value.text if value is not None else c.findtext("s:v", namespaces=ns),
                formula.text if formula is not None else None,
                formats.get(cell_formats[int(c.get("s", 0))]),
            )
        return out

    rows = [cells(r) for r in sheet.iterfind(".//s:sheetData/s:row", ns)]
    assert rows[1]["A"][0] == "Post office" and rows[1]["I"][0] == "Amount, GEL"
    lines, total_row = rows[2:-1], rows[-1]
    due = payroll.payments.filter(status="due", account__method="cash").order_by("id")
    assert sorted(r["C"][0] for r in lines) == sorted(end_to_end(p.pk, p.month) for p in due)
    # By post office (in Georgian alphabetical order, ტ before ქ), numbered in each as its PDF.
    assert [r["A"][0] for r in lines] == [TKIBULI, KUTAISI, KUTAISI]
    assert [r["B"][0] for r in lines] == ["1", "1", "2"]
    assert {r["I"][2] for r in lines} == {"0.00"}
    assert sum(Decimal(r["I"][0]) for r in lines) == sum(p.amount for p in due)
    assert total_row["A"][0] == "Total"
    assert total_row["I"][1] == "SUBTOTAL(109,I3:I5)" and total_row["I"][2] == "0.00"
    assert Decimal(total_row["I"][0]) == sum(p.amount for p in due)
    summary = [
        cells(r)
        for r in etree.fromstring(book.read("xl/worksheets/sheet2.xml")).iterfind(
            ".//s:sheetData/s:row", ns
        )
    ]
    assert [(r["A"][0], r["B"][0]) for r in summary[1:-1]] == [(TKIBULI, "1"), (KUTAISI, "2")]


def test_no_cash_list_before_approval(checked, login_as):
    payroll, _ = checked
    client = login_as(Role.SSA_OFFICER)
    page = client.get(f"/en/payments/payrolls/{payroll.pk}/").content.decode()
    assert "Cash lists" not in page
    for url in (
        "/en" + _pdf_url(payroll, KUTAISI),
        f"/en/payments/payrolls/{payroll.pk}/cash-lists/xlsx/",
    ):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == f"/en/payments/payrolls/{payroll.pk}/"
        assert "Cash lists are made once the payroll is approved." in response.content.decode()
    assert not LogEntry.objects.filter(additional_data__purpose="download").exists()


def test_a_post_office_with_no_line_in_the_payroll_is_not_found(cash_payroll, login_as):
    client = login_as(Role.SSA_OFFICER)
    assert (
        client.get("/en" + _pdf_url(cash_payroll, "საქართველოს ფოსტა, ბათუმი")).status_code == 404
    )
    assert client.get(f"/en/payments/payrolls/{cash_payroll.pk}/cash-lists/pdf/").status_code == 404


@pytest.mark.parametrize(
    ("role", "scope", "status"),
    [
        (Role.ADMIN, {}, 200),
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}, 404),
        (Role.MUNICIPAL_OFFICER, {"municipality": "batumi"}, 404),
        (Role.ANALYST, {}, 403),
        (Role.SUPERVISOR, {}, 403),
        (Role.DPO, {}, 403),
    ],
)
def test_who_downloads_a_state_payrolls_cash_lists(cash_payroll, login_as, role, scope, status):
    client = login_as(role, **scope)
    for url in (
        "/en" + _pdf_url(cash_payroll, KUTAISI),
        f"/en/payments/payrolls/{cash_payroll.pk}/cash-lists/xlsx/",
    ):
        assert client.get(url).status_code == status
    downloads = LogEntry.objects.filter(additional_data__purpose="download")
    assert downloads.count() == (2 if status == 200 else 0)


def test_the_payroll_page_lists_the_post_offices(cash_payroll, login_as):
    page = login_as(Role.SSA_OFFICER).get(f"/en/payments/payrolls/{cash_payroll.pk}/")
    html = page.content.decode()
    assert "Cash lists" in html
    assert f"cash-lists/pdf/?post_office={quote(KUTAISI)}" in html
    assert "cash-lists/xlsx/" in html
    total = sum(
        p.amount for p in cash_payroll.payments.filter(account__post_office=KUTAISI, status="due")
    )
    assert f">GEL\xa0{total:,.2f}<" in html


def test_a_list_is_read_in_the_same_queries_however_many_lines(cash_payroll, login_as):
    """Not a query per line: the two-line list costs what the one-line list costs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login_as(Role.SSA_OFFICER)
    client.get(_pdf_url(cash_payroll, TKIBULI))  # the session and content types, cached
    counted = []
    for office in (TKIBULI, KUTAISI):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_pdf_url(cash_payroll, office)).status_code == 200
        counted.append(len(queries))
    assert counted[0] == counted[1]


def test_arrears_lines_keep_their_earlier_month(make_user, login_as, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    officer, other = make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)
    payroll = checked_payroll(officer, later=1, accounts=(TKIBULI,))
    payroll = services.payroll_approve(actor=other, payroll=payroll)
    response = login_as(Role.SSA_OFFICER).get("/en" + _pdf_url(payroll, TKIBULI))
    text = _pdf_text(b"".join(response.streaming_content))
    earlier = payroll.month - relativedelta(months=1)
    months = [t for t in text if re.fullmatch(r"\d{4}-\d{2}", t)]
    assert sorted(months) == [f"{earlier:%Y-%m}", f"{payroll.month:%Y-%m}"]
    assert text[text.index("Total") + 1 : text.index("Total") + 3] == ["2 payments", "990.00"]
