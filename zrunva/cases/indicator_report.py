"""The quality indicators as a printable report: A4 landscape, in the active language (Georgian
or English), with the decision letters' fonts (which carry Georgian), the filters it was made
for, and each table of `indicators.TABLES` as the page shows it; "page X of Y" on every page.
Made with fpdf2, as the decision letters and the cash lists are."""

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf.fonts import FontFace

from zrunva.applications.letters import LandscapeReport as _Report
from zrunva.cases.indicators import TABLES, Indicators, names, rows
from zrunva.core import numbers
from zrunva.core.text import long_date


def cell(value, kind: str) -> str:
    """A figure as people read it in the active language; no figure is a dash."""
    if value is None or value == "":
        return "—"
    if kind == "count":
        return numbers.count(value)
    if kind in ("hours", "percent"):
        return numbers.figure(round(value, 1))
    return str(value)


def report_pdf(result: Indicators, *, office: str = "", specialisation: str = "") -> bytes:
    """The report of `result` (its filters named by `office` and `specialisation`, as the
    page shows them) in the active language."""
    title = _("Quality of social work")
    pdf = _Report(title)
    pdf.set_title(title)
    pdf.set_lang(translation.get_language() or "ka")
    pdf.set_creator("Zrunva")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=9)
    filters = result.filters
    for line in (
        _("Months: %(first)s to %(last)s")
        % {"first": f"{filters.first:%Y-%m}", "last": f"{filters.last:%Y-%m}"},
        _("Office: %(office)s") % {"office": office or _("All offices")},
        _("Specialisation: %(value)s") % {"value": specialisation or _("All specialisations")},
        _("Made on %(date)s") % {"date": long_date(timezone.localdate())},
    ):
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    named = names()
    for table in TABLES:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(0, 6, str(table.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=8)
        pdf.multi_cell(0, 4.5, str(table.note), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
        found = rows(result, table, named)
        if not found:
            pdf.multi_cell(0, 5, _("No case in these months."), new_x="LMARGIN", new_y="NEXT")
            continue
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
            for row in found:
                line = grid.row()
                for column in table.columns:
                    line.cell(cell(row[column.field], column.kind))
    return bytes(pdf.output())
