"""The monthly monitoring report (issue 18, item 6): the dashboard's tables for a month (the
twelve months up to it for the series), for one municipality or a whole area, as a PDF (A4
landscape, fpdf2 with the decision letters' fonts, which carry Georgian) and as an XLSX (one
sheet a table). Made by `manage.py monthly_report` for cron and downloaded from the dashboard;
small cells are suppressed as the reader's dashboard suppresses them."""

import io
from datetime import date
from decimal import Decimal

import xlsxwriter
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf.fonts import FontFace

from zrunva.analytics import indicators
from zrunva.analytics.aggregates import months_before
from zrunva.applications.letters import LandscapeReport as _Report
from zrunva.core.text import long_date

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
REPORT_MONTHS = 12
TABLES = (
    "coverage",
    "benefits_area",
    "benefits_programme",
    "benefits_month",
    "grievances_kind",
    "grievances_area",
    "caseload",
)


def file_name(month: date, area: str, fmt: str) -> str:
    return f"zrunva-monthly-{month:%Y-%m}-{area}.{fmt}"


def report_data(*, month: date, scope: frozenset[int] | None, suppress: bool):
    filters = indicators.Filters(first=months_before(month, REPORT_MONTHS - 1), last=month)
    return indicators.dashboard(scope=scope, suppress=suppress, filters=filters)


def _title(month: date, area_name: str) -> str:
    return _("Monthly monitoring report, %(month)s: %(area)s") % {
        "month": f"{month:%Y-%m}",
        "area": area_name,
    }


def _area_name(result: indicators.Dashboard, code: str) -> str:
    if code:
        return next(p["name"] for p in result.places.values() if p["code"] == code)
    return _("Georgia") if result.national else _("All municipalities shown")


def _text(row: dict, column: indicators.Column) -> str:
    return indicators.cell_text(row.get(column.field), column.kind, column.field in row["hidden"])


def _pdf(result: indicators.Dashboard, title: str) -> bytes:
    pdf = _Report(title)
    pdf.set_title(title)
    pdf.set_lang(translation.get_language() or "ka")
    pdf.set_creator("Zrunva")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    lines = [
        _("Months: %(first)s to %(last)s")
        % {"first": f"{result.filters.first:%Y-%m}", "last": f"{result.filters.last:%Y-%m}"},
        _("Made on %(date)s") % {"date": long_date(timezone.localdate())},
    ]
    if result.suppressed:
        lines.append(
            _(
                "Every count under 10 people is suppressed, and so is any figure that would "
                "give one back."
            )
        )
    for line in lines:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    for key in TABLES:
        table = result.table(key)
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(0, 6, str(table.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=7.5)
        pdf.multi_cell(0, 4, str(table.note), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        pdf.set_font("DejaVu", size=7)
        aligns = tuple("LEFT" if c.kind == "text" else "RIGHT" for c in table.columns)
        with pdf.table(
            text_align=aligns,
            headings_style=FontFace(emphasis="BOLD"),
            line_height=4,
            padding=1,
        ) as grid:
            heading = grid.row()
            for column in table.columns:
                heading.cell(str(column.label))
            for row in table.rows:
                line = grid.row()
                for column in table.columns:
                    line.cell(_text(row, column))
    return bytes(pdf.output())


def _xlsx(result: indicators.Dashboard, title: str) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    decimal = book.add_format({"num_format": "0.0"})
    about = book.add_worksheet(_("Report")[:31])
    about.write(0, 0, title, bold)
    about.write(
        1,
        0,
        _("Months: %(first)s to %(last)s")
        % {"first": f"{result.filters.first:%Y-%m}", "last": f"{result.filters.last:%Y-%m}"},
    )
    if result.suppressed:
        about.write(
            2,
            0,
            _(
                "Every count under 10 people is suppressed, and so is any figure that would "
                "give one back."
            ),
        )
    used = set()
    for key in TABLES:
        table = result.table(key)
        name = str(table.title)[:31].replace(":", " ").replace("/", " ")
        while name in used:
            name = name[:29] + f"{len(used):02d}"
        used.add(name)
        sheet = book.add_worksheet(name)
        sheet.write(0, 0, str(table.note))
        for col, column in enumerate(table.columns):
            sheet.write(2, col, str(column.label), bold)
            sheet.set_column(col, col, 30 if column.kind == "text" else 14)
        for line, row in enumerate(table.rows, start=3):
            for col, column in enumerate(table.columns):
                value = row.get(column.field)
                if column.field in row["hidden"]:
                    sheet.write_string(line, col, _("suppressed"))
                elif value is None:
                    sheet.write_blank(line, col, None)
                elif column.kind == "money":
                    sheet.write_number(line, col, float(Decimal(value)), money)
                elif column.kind in ("percent", "rate"):
                    sheet.write_number(line, col, float(value), decimal)
                elif column.kind == "count":
                    sheet.write_number(line, col, int(value))
                else:
                    sheet.write_string(line, col, str(value))
        sheet.freeze_panes(3, 1)
    book.close()
    return out.getvalue()


def monthly_report(
    *, month: date, scope: frozenset[int] | None, suppress: bool, fmt: str, code: str = ""
) -> bytes:
    """The report of `month` for the municipalities of `scope` (None: the country; `code`
    names the municipality when it is one) as `fmt` ("pdf" or "xlsx")."""
    result = report_data(month=month, scope=scope, suppress=suppress)
    title = _title(month, _area_name(result, code))
    return _pdf(result, title) if fmt == "pdf" else _xlsx(result, title)
