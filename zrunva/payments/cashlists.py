"""Cash lists of an approved payroll: the payments due in cash, which a post office branch pays
out at its counter against the recipient's signature.

- a PDF per post office (A4 landscape, the DejaVu fonts of the decision letters, which carry
  Georgian): the payroll, month, programme and branch; a numbered line per payment with the
  reference the bank files use (`bankfiles.end_to_end`), the payee and their personal number
  (and who collects under a mandate), the programme, the month (arrears are earlier months),
  the amount and an empty box for the recipient's signature; the count and total after the last
  line; "page X of Y" on every page;
- one XLSX workbook of every post office, for the finance office: one sheet of all lines with a
  post-office column rather than a sheet per branch, so it can be filtered, sorted and pivoted
  as one table, no branch name is cut to a sheet name's 31 characters, and its totals row
  (SUBTOTAL) gives a branch's total once filtered to it; a second sheet sums each branch.

The lines come from `selectors.payroll_cash_lines` (tuples read in chunks, one query); the
totals are summed from the lines written, so a list's footer equals its lines.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

import xlsxwriter
from django.utils import formats, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fpdf import FPDF

from zrunva.applications.letters import add_fonts
from zrunva.core import numbers
from zrunva.core.models import in_language
from zrunva.core.romanisation import romanise
from zrunva.payments.bankfiles import end_to_end
from zrunva.payments.models import Payroll


@dataclass(frozen=True)
class CashLine:
    """One line of a cash list, as `selectors.CASH_LINE` reads it."""

    id: int
    month: date
    amount: Decimal
    post_office: str
    first_name: str
    last_name: str
    personal_number: str
    representative_id: int | None
    holder_first_name: str
    holder_last_name: str
    holder_personal_number: str
    programme_ka: str
    programme_en: str

    @property
    def reference(self) -> str:
        return end_to_end(self.id, self.month)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def programme(self) -> str:
        return in_language(self.programme_ka, self.programme_en)

    @property
    def collector(self) -> str:
        """Who collects under a mandate (a representative holds the account), else empty."""
        if self.representative_id is None:
            return ""
        return _("Collected by %(name)s, %(pn)s") % {
            "name": f"{self.holder_first_name} {self.holder_last_name}",
            "pn": self.holder_personal_number,
        }


@dataclass(frozen=True)
class Figures:
    """What a file written holds: its lines and their sum."""

    count: int
    total: Decimal


def file_name(payroll: Payroll, post_office: str | None, suffix: str) -> str:
    """payroll-<pk>-<YYYY-MM>-cash[-<post office, romanised>].<suffix>"""
    name = f"payroll-{payroll.pk}-{payroll.month:%Y-%m}-cash"
    if post_office is not None:
        name += f"-{slugify(romanise(post_office))[:60] or 'post-office'}"
    return f"{name}.{suffix}"


def _heading(payroll: Payroll) -> str:
    programme = payroll.programme.name if payroll.programme else _("all programmes")
    month = formats.date_format(payroll.month, "YEAR_MONTH_FORMAT")
    return _("Payroll #%(number)s, %(month)s, %(programme)s") % {
        "number": payroll.pk,
        "month": month,
        "programme": programme,
    }


# -- PDF -----------------------------------------------------------------------------------------

ROW = 9.0  # mm: two lines of text, and room to sign
LINE = 3.8


class _Sheet(FPDF):
    """A4 landscape pages with the list's heading and column heads on each, so a page handed
    out alone still says whose list it is."""

    def __init__(self, heading: str, office: str):
        super().__init__(orientation="L", format="A4")
        add_fonts(self, lari_sign=False)
        self.set_margins(10, 10, 10)
        # Rows break pages themselves (a row is never split between two pages).
        self.set_auto_page_break(False, margin=14)
        self.list_heading = heading
        self._fitted: dict[tuple, str] = {}
        self.office = office
        # (heading, width in mm, alignment): 277 mm between the margins.
        self.columns = [
            (_("No."), 12, "R"),
            (_("Payment reference"), 40, "L"),
            (_("Payee, personal number"), 78, "L"),
            (_("Programme"), 50, "L"),
            (_("Month"), 17, "C"),
            (_("Amount, GEL"), 25, "R"),
            (_("Recipient's signature"), 55, "L"),
        ]

    def header(self):
        self.set_font("DejaVu", "B", 12)
        self.cell(0, 6, _("Cash list"), new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 9)
        self.cell(0, 5, self.list_heading, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "B", 9)
        self.cell(
            0,
            5,
            _("Post office: %(office)s") % {"office": self.office},
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.ln(2)
        self.set_font("DejaVu", "B", 8)
        self.set_fill_color(235, 235, 235)
        for text, width, align in self.columns:
            self.cell(width, 6, self._fit(text, width)[0], border=1, align=align, fill=True)
        self.ln(6)
        self.set_font("DejaVu", "", 8)

    def footer(self):
        self.set_y(-10)
        self.set_font("DejaVu", "", 8)
        page = _("page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": "{nb}"}
        self.cell(0, 5, f"{self.list_heading} · {self.office} · {page}", align="C")

    def _fit(self, text: str, width: float) -> tuple[str, float]:
        """`text` cut with an ellipsis to fit a column (a long name or branch stays on its row),
        and its width. Remembered: programmes, amounts and names repeat, and measuring text is
        most of a row's time."""
        key = (text, width, self.font_style)
        if key not in self._fitted:
            room, fitted = width - 2 * self.c_margin, text
            if self.get_string_width(text) > room:
                while fitted and self.get_string_width(fitted + "…") > room:
                    fitted = fitted[:-1]
                fitted += "…"
            if len(self._fitted) > 10_000:
                self._fitted.clear()
            self._fitted[key] = (fitted, self.get_string_width(fitted))
        return self._fitted[key]

    def row(self, cells: list[tuple[str, ...]], *, bold: bool = False):
        """One line of the table, its cells' text placed directly (`text()`, not `cell()`: a
        list of tens of thousands of lines is made in seconds)."""
        if self.get_y() + ROW > self.h - self.b_margin:
            self.add_page()
        x, y = self.l_margin, self.get_y()
        if bold:
            self.set_font("DejaVu", "B", 8)
        for (_label, width, align), lines in zip(self.columns, cells, strict=True):
            self.rect(x, y, width, ROW)
            lines = [line for line in lines if line]
            # The first line's baseline: the lines centred in the row.
            baseline = y + (ROW - LINE * len(lines)) / 2 + LINE * 0.78
            for n, line in enumerate(lines):
                text, used = self._fit(line, width)
                if align == "R":
                    left = x + width - self.c_margin - used
                elif align == "C":
                    left = x + (width - used) / 2
                else:
                    left = x + self.c_margin
                self.text(left, baseline + n * LINE, text)
            x += width
        self.set_xy(self.l_margin, y + ROW)
        if bold:
            self.set_font("DejaVu", "", 8)


def cash_list_pdf(payroll: Payroll, post_office: str, lines: Iterable[tuple], out) -> Figures:
    """Write one post office's cash list as a PDF to `out` (a binary file object), in the active
    language (names as stored)."""
    pdf = _Sheet(_heading(payroll), post_office)
    pdf.set_title(f"{_('Cash list')}: {pdf.list_heading}, {post_office}")
    pdf.set_lang(translation.get_language() or "ka")
    pdf.set_creator("Zrunva")
    pdf.add_page()
    count, total = 0, Decimal("0.00")
    for values in lines:
        line = CashLine(*values)
        count += 1
        total += line.amount
        pdf.row(
            [
                (str(count),),
                (line.reference,),
                (f"{line.name}, {line.personal_number}", line.collector),
                (line.programme,),
                (f"{line.month:%Y-%m}",),
                (numbers.money(line.amount, currency=False),),
                ("",),
            ]
        )
    summary = ngettext("%(count)s payment", "%(count)s payments", count) % {"count": count}
    pdf.row(
        [
            ("",),
            (_("Total"),),
            (summary,),
            ("",),
            ("",),
            (numbers.money(total, currency=False),),
            ("",),
        ],
        bold=True,
    )
    out.write(bytes(pdf.output()))
    return Figures(count=count, total=total)


# -- XLSX ----------------------------------------------------------------------------------------

_NOT_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def _sheet_name(text: str) -> str:
    """A worksheet name Excel accepts: none of []:*?/\\, no apostrophe at either end, ≤ 31."""
    return _NOT_IN_SHEET_NAME.sub(" ", str(text)).strip("' ")[:31] or "Sheet"


def cash_lists_xlsx(payroll: Payroll, lines: Iterable[tuple], out) -> Figures:
    """Every post office's lines in one workbook written to `out` (a binary file object), row
    by row (XlsxWriter's constant-memory mode: a row is flushed once the next begins)."""
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "0.00"})
    money_bold = book.add_format({"num_format": "0.00", "bold": True})
    month_format = book.add_format({"num_format": "yyyy-mm"})
    sheet = book.add_worksheet(_sheet_name(_("Cash lists")))
    headings = [
        _("Post office"),
        _("No."),
        _("Payment reference"),
        _("Payee"),
        _("Personal number"),
        _("Collected by"),
        _("Programme"),
        _("Month"),
        _("Amount, GEL"),
    ]
    sheet.write(0, 0, _heading(payroll), bold)
    for col, heading in enumerate(headings):
        sheet.write(1, col, str(heading), bold)
    offices: dict[str, list] = {}
    row, number, office = 1, 0, None
    count, total = 0, Decimal("0.00")
    for values in lines:
        line = CashLine(*values)
        row += 1
        number = number + 1 if line.post_office == office else 1
        office = line.post_office
        count += 1
        total += line.amount
        mine = offices.setdefault(office, [0, Decimal("0.00")])
        mine[0] += 1
        mine[1] += line.amount
        sheet.write_string(row, 0, office)
        sheet.write_number(row, 1, number)
        sheet.write_string(row, 2, line.reference)
        sheet.write_string(row, 3, line.name)
        sheet.write_string(row, 4, line.personal_number)
        if line.representative_id is not None:
            holder = f"{line.holder_first_name} {line.holder_last_name}"
            sheet.write_string(row, 5, f"{holder}, {line.holder_personal_number}")
        sheet.write_string(row, 6, line.programme)
        sheet.write_datetime(row, 7, datetime.combine(line.month, time()), month_format)
        # Exact in the database; a spreadsheet number's 15 significant digits hold any line.
        sheet.write_number(row, 8, float(line.amount), money)
    last = row + 1  # the last line's row number as Excel counts (from 1)
    row += 1
    sheet.write_string(row, 0, _("Total"), bold)
    # SUBTOTAL skips rows a filter hides: filtered to one post office, the row shows its total.
    sheet.write_formula(row, 2, f"=SUBTOTAL(103,C3:C{last})", bold, count)
    sheet.write_formula(row, 8, f"=SUBTOTAL(109,I3:I{last})", money_bold, float(total))
    sheet.autofilter(1, 0, last - 1, len(headings) - 1)
    sheet.freeze_panes(2, 0)
    sheet.set_column(0, 0, 32)
    sheet.set_column(1, 1, 6)
    sheet.set_column(2, 2, 22)
    sheet.set_column(3, 6, 24)
    sheet.set_column(7, 8, 12)

    summary = book.add_worksheet(_sheet_name(_("Post offices")))
    for col, heading in enumerate([_("Post office"), _("Payments"), _("Total, GEL")]):
        summary.write(0, col, str(heading), bold)
    for n, (name, (office_count, office_total)) in enumerate(offices.items(), start=1):
        summary.write_string(n, 0, name)
        summary.write_number(n, 1, office_count)
        summary.write_number(n, 2, float(office_total), money)
    end = len(offices) + 1
    summary.write_string(end, 0, _("Total"), bold)
    summary.write_formula(end, 1, f"=SUM(B2:B{end})", bold, count)
    summary.write_formula(end, 2, f"=SUM(C2:C{end})", money_bold, float(total))
    summary.set_column(0, 0, 40)
    summary.set_column(1, 2, 14)
    book.close()
    return Figures(count=count, total=total)
