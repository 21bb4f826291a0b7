"""Quality of social work: the indicators page, its files and its PDF report (counts and hours,
never a case or a person)."""

from decimal import Decimal

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.cases import indicators as quality
from zrunva.cases.forms import IndicatorFilterForm
from zrunva.cases.indicator_report import cell, report_pdf
from zrunva.cases.models import SocialCase
from zrunva.core import charts, exports, numbers
from zrunva.core.trail import search_log

# -- Quality of social work: indicators, never cases ------------------------------------------

# Rows of each table written on the page; the rest are in its download. The whole country's
# monthly table by office and specialisation runs to thousands of rows (a 10 MB page that took
# 1.5 s to render, bench/cases.py), which nobody reads on screen.
SHOWN = 100


def _export_value(value):
    # Hours and percentages as numbers a spreadsheet sums, not as text.
    return Decimal(str(value)) if isinstance(value, float) else value


def _charts(result: quality.Indicators, named: dict) -> list[tuple[str, str, list]]:
    months = result.by_month.to_dicts()
    hours = [r for r in months if r["contact_median_hours"] is not None]
    counts = [
        (
            "chart-opened",
            _("Cases opened, by month of opening"),
            charts.bars((r["month"], r["opened"], numbers.count(r["opened"])) for r in months),
        ),
        (
            "chart-closed",
            _("Cases closed, by month of closure"),
            charts.bars((r["month"], r["closed"], numbers.count(r["closed"])) for r in months),
        ),
        (
            "chart-contact",
            _("Median hours to the first contact, by month of opening"),
            charts.bars(
                (r["month"], r["contact_median_hours"], cell(r["contact_median_hours"], "hours"))
                for r in hours
            ),
        ),
        (
            "chart-caseload",
            _("Weighted caseload per worker, by office (the norm: %(norm)s)")
            % {"norm": numbers.count(settings.CASELOAD_NORM)},
            charts.bars(
                (
                    named["office"].get(r["office"], r["office"]),
                    r["per_worker"],
                    cell(r["per_worker"], "hours"),
                )
                for r in result.caseload.to_dicts()
                if r["per_worker"] is not None
            ),
        ),
        (
            "chart-outcomes",
            _("Outcomes at closure"),
            charts.bars(
                (
                    named["outcome"].get(r["outcome"], r["outcome"] or "—"),
                    r["closed"],
                    numbers.count(r["closed"]),
                )
                for r in result.by_outcome.to_dicts()
            ),
        ),
    ]
    return [chart for chart in counts if chart[2]]


@staff_view(permissions.CASES_INDICATORS)
def indicators(request):
    """Quality of social work: the indicators of `cases.indicators` for the viewer's area, as
    tables and charts, as XLSX/CSV (one table a file: `?table=`) and as a PDF report."""
    offices = quality.office_choices(request.user)
    default = quality.Filters.last_months()
    data = request.GET.copy()
    data.setdefault("first", f"{default.first:%Y-%m}")
    data.setdefault("last", f"{default.last:%Y-%m}")
    form = IndicatorFilterForm(data, offices=offices)
    if not form.is_valid():
        return render(request, "cases/indicators.html", {"form": form, "tables": None})
    chosen = form.cleaned_data
    filters = quality.Filters(
        first=quality.month_start(chosen["first"]),
        last=quality.month_start(chosen["last"]),
        office=chosen["office"],
        specialisation=chosen["specialisation"],
    )
    result = quality.indicators(actor=request.user, filters=filters)
    office_name = dict(offices).get(filters.office, "")
    specialisation_name = dict(form.fields["specialisation"].choices).get(filters.specialisation)
    terms = {
        "indicators": f"{filters.first:%Y-%m}/{filters.last:%Y-%m}",
        "office": filters.office,
        "specialisation": filters.specialisation,
    }
    named = quality.names()
    if request.GET.get("format") == "pdf":
        content = report_pdf(
            result,
            office=office_name,
            specialisation=str(specialisation_name) if filters.specialisation else "",
        )
        search_log(actor=request.user, model=SocialCase, terms=terms | {"file": "pdf"}, shown=0)
        response = HttpResponse(content, content_type="application/pdf")
        name = f"social-work-quality-{timezone.localdate():%Y-%m-%d}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    fmt = exports.export_format(request)
    if fmt:
        table = {t.key: t for t in quality.TABLES}.get(request.GET.get("table", "monthly"))
        if table is None:
            raise Http404
        return exports.export_rows(
            request,
            rows=quality.rows(result, table, named),
            columns=[
                exports.Column(
                    str(c.label),
                    lambda row, field=c.field: _export_value(row[field]),
                    width=24 if c.kind == "text" else 14,
                )
                for c in table.columns
            ],
            name=f"social-work-{table.key}",
            title=str(table.title),
            audit=lambda count: search_log(
                actor=request.user,
                model=SocialCase,
                terms=terms | {"file": fmt, "table": table.key},
                shown=count,
            ),
        )
    tables = []
    for table in quality.TABLES:
        # Each cell as the template writes it, its column's label translated once a table:
        # thousands of cells, each resolving a lazy label, were most of the page's time.
        heads = [(str(c.label), c.kind != "text") for c in table.columns]
        lines = [
            [
                (*head, cell(row[c.field], c.kind))
                for head, c in zip(heads, table.columns, strict=True)
            ]
            for row in quality.rows(result, table, named, limit=SHOWN)
        ]
        tables.append((table, heads, lines, getattr(result, table.key).height))
    return render(
        request,
        "cases/indicators.html",
        {
            "form": form,
            "tables": tables,
            "charts": _charts(result, named),
            "norm": settings.CASELOAD_NORM,
            "kept_before": result.kept_before,
            "counted_at": result.counted_at,
        },
    )
