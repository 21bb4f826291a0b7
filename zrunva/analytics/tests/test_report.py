"""The monthly monitoring report: the command writes a PDF and an XLSX that open, with the
month's figures and small cells suppressed; its bad arguments are named; the dashboard's
download."""

from datetime import date
from decimal import Decimal
from io import BytesIO, StringIO

import openpyxl
import pikepdf
import pytest
from django.core.management import CommandError, call_command

from zrunva.accounts.choices import Role
from zrunva.analytics.models import BenefitMonth, RegistryCoverage
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures():
    kutaisi = Municipality.objects.get(code="kutaisi")
    RegistryCoverage.objects.create(
        municipality=kutaisi, people=120, households=45, assessed=40, scored=7, open_cases=0
    )
    BenefitMonth.objects.create(
        month=date(2026, 11, 1),
        municipality=kutaisi,
        programme=Programme.objects.get(code="tsa"),
        source="payments",
        recipients=30,
        households=30,
        amount=Decimal("1800.00"),
    )


def test_the_command_writes_a_pdf_and_an_xlsx(figures, tmp_path):
    out = StringIO()
    call_command(
        "monthly_report", month="2026-11", municipality="kutaisi", directory=tmp_path, stdout=out
    )
    assert "2 files written" in out.getvalue()
    with pikepdf.open(tmp_path / "zrunva-monthly-2026-11-kutaisi.pdf") as pdf:
        assert len(pdf.pages) >= 1
    book = openpyxl.load_workbook(tmp_path / "zrunva-monthly-2026-11-kutaisi.xlsx")
    coverage = book["Registry coverage"]
    rows = list(coverage.iter_rows(min_row=4, values_only=True))
    kutaisi = next(r for r in rows if r[0] in ("Kutaisi", "ქუთაისი"))
    # People 120, households 45, assessed 40 shown; 7 with a current score suppressed.
    assert kutaisi[1:5] == (120, 45, 40, "suppressed")
    benefits = list(book.worksheets[2].iter_rows(min_row=4, values_only=True))
    assert any(r[1] == 30 and r[3] == 1800.0 for r in benefits)
    # Run again: the same files, replaced whole.
    call_command(
        "monthly_report", month="2026-11", municipality="kutaisi", directory=tmp_path, stdout=out
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "zrunva-monthly-2026-11-kutaisi.pdf",
        "zrunva-monthly-2026-11-kutaisi.xlsx",
    ]


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(CommandError, match="--month '2026-13': write the month as YYYY-MM"):
        call_command("monthly_report", month="2026-13", directory=tmp_path)
    with pytest.raises(CommandError, match="--municipality 'atlantis': no municipality"):
        call_command("monthly_report", month="2026-11", municipality="atlantis", directory=tmp_path)


def test_the_dashboard_download(figures, login_as):
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    pdf = officer.get("/en/analytics/report/?month=2026-11&municipality=kutaisi&format=pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    with pikepdf.open(BytesIO(pdf.content)) as document:
        assert len(document.pages) >= 1
    xlsx = officer.get("/en/analytics/report/?month=2026-11&format=xlsx")
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(BytesIO(xlsx.content))
    rows = list(book["Registry coverage"].iter_rows(min_row=4, values_only=True))
    # A municipal officer reads the registry: the 7 are shown; and only their municipality.
    assert any(r[4] == 7 for r in rows)
    assert not any(r[0] in ("Tkibuli", "ტყიბული") for r in rows)
    # A municipality outside the officer's area is not offered.
    other = officer.get("/en/analytics/report/?month=2026-11&municipality=tkibuli&format=pdf")
    assert other.status_code == 200 and other["Content-Type"].startswith("text/html")
