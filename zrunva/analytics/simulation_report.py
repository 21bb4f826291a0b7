"""A simulation's outputs as files: an XLSX workbook (a sheet per table, figures as numbers)
and a printable PDF (A4 landscape, the decision letters' fonts, which carry Georgian), both in
the active language, with the method and the small regions suppressed as on the page."""

import io
from datetime import datetime
from decimal import Decimal

import xlsxwriter
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf.fonts import FontFace

from zrunva.analytics import simulation_results as results
from zrunva.applications.letters import LandscapeReport as _Report
from zrunva.core.text import long_date


def _tables(run, actor) -> list[tuple[str, list[str], list[list]]]:
    """(title, headings, rows of values) of each table."""
    summary = run.summary
    columns, lines = results.overview(summary)
    tables = [
        (
            _("Outcomes"),
            [_("Measure"), *columns],
            [[line.label, *(results.value(v, line.kind) for v in line.values)] for line in lines],
        )
    ]
    tables.append(
        (
            _("Winners and losers"),
            [_("Change in benefits a month"), _("Households"), _("People")],
            [[b["label"], b["households"], b["people"]] for b in results.bands(summary, actor)],
        )
    )
    tables.append(
        (
            _("By programme"),
            [
                _("Programme"),
                _("Changed"),
                _("Beneficiaries in force"),
                _("Cost a month in force, GEL"),
                _("Beneficiaries under the scenario"),
                _("Cost a month under the scenario, GEL"),
            ],
            [
                [
                    p["name"],
                    _("yes") if p["changed"] else _("no"),
                    p["baseline"]["recipients"],
                    results.value(p["baseline"]["cost_month"], "money"),
                    p["scenario"]["recipients"],
                    results.value(p["scenario"]["cost_month"], "money"),
                ]
                for p in results.programmes(summary, actor)
            ],
        )
    )
    region_rows = []
    for line in results.regions(summary, actor):
        if line.suppressed:
            region_rows.append([line.name, *([results.SUPPRESSED] * len(results.REGION_COLUMNS))])
        else:
            region_rows.append(
                [line.name]
                + [
                    results.value(getattr(line, key), kind)
                    for key, _l, kind in results.REGION_COLUMNS
                ]
            )
    tables.append(
        (
            _("By region"),
            [_("Region"), *(str(label) for _k, label, _kind in results.REGION_COLUMNS)],
            region_rows,
        )
    )
    return tables


def _about(run) -> list[str]:
    scenario, summary = run.scenario, run.summary
    lines = [
        _("Scenario: %(name)s") % {"name": scenario.name},
        _("Registry and rules as of %(date)s") % {"date": long_date(scenario.on)},
        _("Poverty line: %(line)s GEL a month per person")
        % {"line": f"{summary['poverty_line']:.2f}"}
        + (
            _(" (%(share)s of the median welfare per person in force; illustrative)")
            % {"share": f"{float(summary['poverty_share']):.0%}"}
            if summary["poverty_line_rule"] == "share"
            else ""
        ),
    ]
    if summary.get("budget_cap"):
        lines.append(
            _("Annual budget of the changed programmes: %(cap)s GEL")
            % {"cap": f"{Decimal(summary['budget_cap']):,.2f}"}
        )
    for change in summary.get("changes", []):
        parts = [f"param.{k} = {v}" for k, v in change["parameters"].items()]
        if change["criteria"]:
            parts.append(_("criteria: %(rule)s") % {"rule": change["criteria"]})
        if change["formula"]:
            parts.append(_("formula: %(rule)s") % {"rule": change["formula"]})
        lines.append(f"{change['code']}: " + "; ".join(parts))
    lines.append(_("Made on %(date)s") % {"date": long_date(timezone.localdate())})
    return lines


def workbook(run, actor) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    about = book.add_worksheet(_("Scenario")[:31])
    about.set_column(0, 0, 100)
    for i, line in enumerate(_about(run)):
        about.write_string(i, 0, line)
    for title, headings, rows in _tables(run, actor):
        sheet = book.add_worksheet(str(title)[:31])
        for col, heading in enumerate(headings):
            sheet.write_string(0, col, str(heading), bold)
            sheet.set_column(col, col, 40 if col == 0 else 18)
        for r, row in enumerate(rows, start=1):
            for col, cell in enumerate(row):
                if cell is None:
                    sheet.write_blank(r, col, None)
                elif isinstance(cell, Decimal):
                    sheet.write_number(r, col, float(cell), money)
                elif isinstance(cell, int | float) and not isinstance(cell, bool):
                    sheet.write_number(r, col, cell)
                else:
                    sheet.write_string(r, col, str(cell))
        sheet.freeze_panes(1, 1)
    book.close()
    return out.getvalue()


def _pdf_cell(cell) -> str:
    if cell is None:
        return "—"
    if isinstance(cell, Decimal):
        return f"{cell:,.2f}"
    if isinstance(cell, float):
        return f"{cell:,.3f}".rstrip("0").rstrip(".") if abs(cell) < 1 else f"{cell:,.1f}"
    if isinstance(cell, int):
        return f"{cell:,}"
    return str(cell)


def pdf(run, actor) -> bytes:
    title = _("Reform simulation")
    report = _Report(title)
    report.set_title(title)
    report.set_lang(translation.get_language() or "ka")
    report.set_creator("Zrunva")
    report.set_creation_date(datetime.now(tz=timezone.get_current_timezone()))
    report.add_page()
    report.set_font("DejaVu", "B", 15)
    report.multi_cell(0, 8, f"{title}: {run.scenario.name}", new_x="LMARGIN", new_y="NEXT")
    report.set_font("DejaVu", size=9)
    for line in _about(run):
        report.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    for table_title, headings, rows in _tables(run, actor):
        report.ln(4)
        report.set_font("DejaVu", "B", 11)
        report.multi_cell(0, 6, str(table_title), new_x="LMARGIN", new_y="NEXT")
        report.set_font("DejaVu", size=7)
        with report.table(
            text_align=tuple("LEFT" if i == 0 else "RIGHT" for i in range(len(headings))),
            headings_style=FontFace(emphasis="BOLD"),
            line_height=4,
            padding=1,
        ) as grid:
            heading = grid.row()
            for h in headings:
                heading.cell(str(h))
            for row in rows:
                line = grid.row()
                for cell in row:
                    line.cell(_pdf_cell(cell))
    note = _(
        "Welfare is the members' monthly income per person; measures count people. Figures of "
        "fewer than ten households or beneficiaries are suppressed (*) for readers without "
        "access to small cells, as is one more where a total would give them away."
    )
    report.ln(3)
    report.set_font("DejaVu", size=7)
    report.multi_cell(0, 4, note, new_x="LMARGIN", new_y="NEXT")
    return bytes(report.output())
