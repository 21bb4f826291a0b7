"""Monitoring dashboards (issue 18, item 1): the staff's at /analytics/ (their area; analysts
the whole country with small cells suppressed) and the public's at /open/ (the whole country,
small cells suppressed), the application delays, and the monthly report's download. Every
figure comes from `indicators.dashboard`, which reads the pre-aggregated tables only."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Max
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.analytics import html, indicators, report
from zrunva.analytics.forms import DashboardFilterForm, ReportForm, TargetingForm
from zrunva.analytics.models import BenefitMonth
from zrunva.analytics.tilegrid import COLUMNS, POSITIONS, ROWS
from zrunva.core import charts, exports, numbers
from zrunva.core.db import replica_reads
from zrunva.core.trail import search_log

cell_text = indicators.cell_text


def _export_value(value, kind: str, suppressed: bool):
    if suppressed:
        return _("suppressed")
    if kind in ("percent", "rate") and value is not None:
        return Decimal(str(value))
    return value


def _shown(table: indicators.Table, *, regions_only: bool = False) -> list[dict]:
    """The table's rows as cells (column, text) for the template; with `regions_only`, the
    area tables without their municipalities' rows (the page of several regions: the map and
    the files hold every municipality, a region's page lists its own)."""
    return [
        {
            "level": row["level"],
            "cells": [
                (c, cell_text(row.get(c.field), c.kind, c.field in row["hidden"]))
                for c in table.columns
            ],
        }
        for row in table.rows
        if not (regions_only and row["level"] == indicators.MUNICIPALITY)
    ]


def _chart(table: indicators.Table) -> list:
    if table.chart is None:
        return []
    label, value = table.chart
    kind = next(c.kind for c in table.columns if c.field == value)
    levels = {r["level"] for r in table.rows}
    # One level a chart, on one scale: the regions when the table has them and more than
    # one, else the municipalities (or the table's only kind of row).
    regions = [r for r in table.rows if r["level"] == indicators.REGION]
    if len(regions) > 1:
        rows = regions
    elif indicators.MUNICIPALITY in levels:
        rows = [r for r in table.rows if r["level"] == indicators.MUNICIPALITY]
    else:
        rows = [r for r in table.rows if r["level"] != indicators.COUNTRY]
    return charts.bars(
        (
            str(r[label]),
            None if value in r["hidden"] else float(r[value] or 0),
            cell_text(r.get(value), kind, value in r["hidden"]),
        )
        for r in rows
    )


def _bound(value: float) -> str:
    return numbers.figure(round(Decimal(str(value)), 2))


def abbreviations(names: list[str]) -> dict[str, str]:
    """Each name's shortest beginning, of three letters at least, that no other name shares:
    the tiles' labels (Kho… would be Khobi and Khoni alike)."""
    out = {}
    for name in names:
        length = 3
        while length < len(name) and any(
            other != name and other[:length] == name[:length] for other in names
        ):
            length += 1
        out[name] = name[:length]
    return out


def tile_map(result: indicators.Dashboard, key: str) -> dict:
    """The tile grid for the indicator `key`: each municipality's tile (position, name, figure,
    shade 1–5, or suppressed, or outside the areas shown) and the legend's shades."""
    label, table_key, field = indicators.MAP_INDICATORS[key]
    table = result.table(table_key)
    kind = next(c.kind for c in table.columns if c.field == field)
    figures = {
        r["code"]: (None if field in r["hidden"] else r.get(field), field in r["hidden"])
        for r in table.rows
        if r["level"] == indicators.MUNICIPALITY
    }
    codes = list(POSITIONS)
    values = [figures.get(code, (None, False))[0] for code in codes]
    shades, bounds = indicators.shade_classes(None if v is None else float(v) for v in values)
    names = {place["code"]: place["name"] for place in result.places.values()}
    from zrunva.geo.models import Municipality

    all_names = (
        names
        if len(names) == len(POSITIONS)
        else {m.code: m.name for m in Municipality.objects.only("code", "name_ka", "name_en")}
    )
    short = abbreviations([str(n) for n in all_names.values()])
    tiles = []
    for code, shade in zip(codes, shades, strict=True):
        row, column = POSITIONS[code]
        value, suppressed = figures.get(code, (None, False))
        inside = code in names
        tiles.append(
            {
                "code": code,
                "name": all_names.get(code, code),
                "short": short.get(str(all_names.get(code, code)), code[:3]),
                "row": row,
                "column": column,
                "shade": shade if inside else None,
                "suppressed": suppressed,
                "inside": inside,
                "text": cell_text(value, kind, suppressed)
                if inside
                else _("outside the areas shown"),
            }
        )
    legend = [
        {"shade": shade, "text": _bound(low) if low == high else f"{_bound(low)} – {_bound(high)}"}
        for shade, low, high in bounds
    ]
    return {
        "key": key,
        "label": label,
        "tiles": tiles,
        "tiles_html": html.tiles_html(tiles),
        "figures_html": html.figures_html(
            sorted((t for t in tiles if t["inside"]), key=lambda t: str(t["name"]))
        ),
        "legend": legend,
        "rows": ROWS,
        "columns": COLUMNS,
    }


def _export(request, result: indicators.Dashboard, audit):
    table = result.tables.get(request.GET.get("table", ""))
    if table is None:
        raise Http404
    return exports.export_rows(
        request,
        rows=table.rows,
        columns=[
            exports.Column(
                str(c.label),
                lambda row, c=c: _export_value(row.get(c.field), c.kind, c.field in row["hidden"]),
                width=28 if c.kind == "text" else 14,
            )
            for c in table.columns
        ],
        name=f"indicators-{table.key}",
        title=str(table.title),
        audit=audit,
    )


# How long a rendered page of indicators is kept: its key names the refresh of the tables it
# was made from, so a refresh makes every page anew; this only bounds the cache's size.
CACHE_SECONDS = 24 * 3600


def _cache_key(data, *, scope, suppress: bool, refreshed) -> str:
    """The rendered indicators of these filters, for this area, suppression, language and
    refresh of the tables."""
    query = sorted((k, data.getlist(k)) for k in data if k not in ("format", "table"))
    area = "all" if scope is None else ",".join(map(str, sorted(scope)))
    token = repr(
        (refreshed.pk if refreshed else 0, translation.get_language(), suppress, area, query)
    )
    return "analytics:indicators:" + hashlib.sha256(token.encode()).hexdigest()


def _page(request, *, scope, suppress: bool, template: str, actor=None, extra=None):
    """The dashboard for `scope` (None: the country), suppressed if `suppress`: its page, or a
    table as CSV/XLSX (`?format=&table=`). Staff reads are audited (`actor`). The page's
    indicators are rendered once per filters, area, language and refresh of the tables, and
    kept in the cache (`CACHE_SECONDS`)."""
    refreshed = indicators.AggregateRefresh.objects.only("pk", "finished_at").first()
    # By default the months up to the latest counted: this one, or the next once a payroll
    # prepared ahead pays it.
    counted = BenefitMonth.objects.aggregate(latest=Max("month"))["latest"]
    latest = max(timezone.localdate(), counted) if counted else timezone.localdate()
    data = request.GET.copy()
    for key, value in DashboardFilterForm.defaults(latest).items():
        data.setdefault(key, value)
    fmt = exports.export_format(request)
    key = _cache_key(data, scope=scope, suppress=suppress, refreshed=refreshed)
    fragment = None if fmt else cache.get(key)
    if fragment is not None:
        if actor is not None:
            terms = {
                "indicators": f"{data.get('first')}/{data.get('last')}",
                "region": data.get("region"),
                "programme": data.get("programme"),
            }
            search_log(actor=actor, model=BenefitMonth, terms=terms, shown=0)
        return render(request, template, {"fragment": fragment, **(extra or {})})
    form = DashboardFilterForm(data, scope=scope)
    if not form.is_valid():
        fragment = render_to_string(
            "analytics/_indicators.html",
            {"form": form, "result": None, "refreshed": refreshed},
            request=request,
        )
        return render(request, template, {"fragment": fragment, "form": form, **(extra or {})})
    filters = form.filters()
    result = indicators.dashboard(
        scope=scope, suppress=suppress, filters=filters, refreshed=refreshed
    )
    terms = {
        "indicators": f"{filters.first:%Y-%m}/{filters.last:%Y-%m}",
        "region": filters.region,
        "programme": filters.programme,
    }
    if fmt:

        def audit(count):
            if actor is not None:
                search_log(
                    actor=actor,
                    model=BenefitMonth,
                    terms=terms | {"file": fmt, "table": request.GET.get("table")},
                    shown=count,
                )

        return _export(request, result, audit)
    if actor is not None:
        search_log(actor=actor, model=BenefitMonth, terms=terms, shown=0)
    regions_only = len({p["region"] for p in result.places.values()}) > 1
    tables = [
        (
            table,
            html.table_html(table, _shown(table, regions_only=regions_only)),
            html.bars_html(_chart(table), f"chart-{table.key}"),
        )
        for table in result.tables.values()
    ]
    fragment = render_to_string(
        "analytics/_indicators.html",
        {
            "form": form,
            "result": result,
            "tables": tables,
            "map": tile_map(result, form.cleaned_data["map"]),
            "regions_only": regions_only,
            "refreshed": result.refreshed,
        },
        request=request,
    )
    cache.set(key, fragment, CACHE_SECONDS)
    return render(request, template, {"fragment": fragment, **(extra or {})})


@staff_view(permissions.ANALYTICS_VIEW)
@replica_reads
def dashboard(request):
    """The staff's monitoring dashboard: their area (`analytics_scope`), small cells suppressed
    for those who may not read the registry's people (`small_cells_shown`)."""
    return _page(
        request,
        scope=permissions.analytics_scope(request.user),
        suppress=not permissions.small_cells_shown(request.user),
        template="analytics/dashboard.html",
        actor=request.user,
        extra={"perms_delays": permissions.has_perm(request.user, permissions.DELAYS_VIEW)},
    )


@require_GET
@replica_reads
def open_indicators(request):
    """The public's indicators: the whole country, every cell under ten people suppressed, in
    the page and in its files alike. No person can be read from it; nothing is audited (no one
    is signed in and no personal data is read)."""
    return _page(request, scope=None, suppress=True, template="analytics/open.html")


@staff_view(permissions.DELAYS_VIEW)
@replica_reads
def delays(request):
    """Application delays (`applications.selectors.delay_indicators`) in the reader's area,
    per programme, municipality and month of submission; medians and 90th percentiles
    suppressed for the counts under ten for those who see small cells suppressed."""
    from zrunva.applications.selectors import delay_indicators

    frame = delay_indicators(actor=request.user)
    suppress = not permissions.small_cells_shown(request.user)
    rows = []
    for row in frame.to_dicts():
        hidden = set()
        for count, fields in (
            ("decided", ("decided", "decision_median", "decision_p90")),
            ("enrolled", ("enrolled", "enrolment_median", "enrolment_p90")),
            ("paid", ("paid", "payment_median", "payment_p90")),
        ):
            if suppress and row[count] < indicators.SMALL_CELL:
                hidden.update(fields)
        rows.append(row | {"hidden": hidden, "level": "row"})
    columns = [
        indicators.Column("month", _("Month of submission"), "text"),
        indicators.Column("programme", _("Programme"), "text"),
        indicators.Column("municipality", _("Municipality"), "text"),
        indicators.Column("decided", _("Decided")),
        indicators.Column("decision_median", _("Days to decision, median"), "rate"),
        indicators.Column("decision_p90", _("Days to decision, 90th percentile"), "rate"),
        indicators.Column("enrolled", _("Enrolled")),
        indicators.Column("enrolment_median", _("Days to enrolment, median"), "rate"),
        indicators.Column("paid", _("First payment confirmed")),
        indicators.Column("payment_median", _("Days to first payment, median"), "rate"),
    ]
    table = indicators.Table(
        "delays",
        _("Application delays"),
        _(
            "Days from submission to decision, to enrolment and to the first payment the bank "
            "confirmed, over the applications of your area, per month of submission."
        ),
        columns,
        rows,
    )
    terms = {"indicators": "delays"}
    fmt = exports.export_format(request)
    if fmt:
        return exports.export_rows(
            request,
            rows=rows,
            columns=[
                exports.Column(
                    str(c.label),
                    lambda row, c=c: _export_value(
                        row.get(c.field), c.kind, c.field in row["hidden"]
                    ),
                )
                for c in columns
            ],
            name="application-delays",
            title=str(table.title),
            audit=lambda count: search_log(
                actor=request.user, model=BenefitMonth, terms=terms | {"file": fmt}, shown=count
            ),
        )
    search_log(actor=request.user, model=BenefitMonth, terms=terms, shown=len(rows))
    return render(
        request,
        "analytics/delays.html",
        {"table": table, "lines": rows, "table_html": html.table_html(table, _shown(table))},
    )


@staff_view(permissions.ANALYTICS_VIEW)
@replica_reads
def monthly_report(request):
    """The monthly monitoring report as PDF or XLSX (`?format=`), for a month and a
    municipality of the reader's area, suppressed as their dashboard is."""
    scope = permissions.analytics_scope(request.user)
    form = ReportForm(request.GET or None, scope=scope)
    if not request.GET or not form.is_valid():
        return render(request, "analytics/report.html", {"form": form})
    code = form.cleaned_data["municipality"]
    area = scope
    if code:
        from zrunva.geo.models import Municipality

        municipality = Municipality.objects.get(code=code)
        area = frozenset({municipality.pk})
    month = form.cleaned_data["month"].replace(day=1)
    suppress = not permissions.small_cells_shown(request.user)
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "pdf"
    content = report.monthly_report(month=month, scope=area, suppress=suppress, fmt=fmt, code=code)
    search_log(
        actor=request.user,
        model=BenefitMonth,
        terms={"report": f"{month:%Y-%m}", "municipality": code, "file": fmt},
        shown=0,
    )
    response = HttpResponse(content, content_type=report.CONTENT_TYPES[fmt])
    name = report.file_name(month, code or ("country" if scope is None else "area"), fmt)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _day_of(month) -> date:
    """The day a month's targeting is measured on: its last, or today for the current one."""
    from zrunva.analytics.aggregates import next_month

    return min(next_month(month) - timedelta(days=1), timezone.localdate())


def _percent(value) -> str:
    return "—" if value is None else numbers.figure(round(Decimal(str(100 * value)), 1))


@staff_view(permissions.ANALYTICS_VIEW)
@replica_reads
def targeting_page(request):
    """Coverage and targeting on a welfare measure, for the reader's area (`targeting`), with
    the method stated; small cells suppressed as on the dashboard."""
    from zrunva.analytics import targeting

    data = request.GET.copy()
    data.setdefault("measure", targeting.INCOME)
    data.setdefault("month", f"{timezone.localdate():%Y-%m}")
    form = TargetingForm(data)
    context = {"form": form, "found": None}
    if form.is_valid():
        chosen = form.cleaned_data
        scope = permissions.analytics_scope(request.user)
        found = targeting.targeting(
            scope=scope,
            suppress=not permissions.small_cells_shown(request.user),
            measure=chosen["measure"],
            on=_day_of(chosen["month"]),
            programme=chosen["programme"],
        )
        search_log(
            actor=request.user,
            model=BenefitMonth,
            terms={
                "targeting": chosen["measure"],
                "month": f"{chosen['month']:%Y-%m}",
                "programme": chosen["programme"],
            },
            shown=0,
        )
        context["found"] = found
        if found.result is not None:
            r = found.result
            # Each figure's people and those of them covered: the poorest decile, quintile,
            # everyone, those covered (of whom those not in the poorest quintile). A figure is
            # suppressed when either side of it is small (a coverage of 0 % or 100 % tells
            # about everyone in the group).
            decile, quintile = r.people_by_decile[0], r.people_by_decile[:2].sum()
            covered = (r.coverage_all or 0) * found.people
            outside = (r.inclusion_error or 0) * covered
            context["summary"] = [
                (
                    label,
                    _("suppressed")
                    if found.suppressed and targeting.too_few(n, part)
                    else _percent(v),
                )
                for label, v, n, part in (
                    (
                        _("Coverage of the poorest decile"),
                        r.coverage_decile,
                        decile,
                        (r.coverage_decile or 0) * decile,
                    ),
                    (
                        _("Coverage of the poorest quintile"),
                        r.coverage_quintile,
                        quintile,
                        (r.coverage_quintile or 0) * quintile,
                    ),
                    (_("Coverage of everyone"), r.coverage_all, found.people, covered),
                    (
                        _("Exclusion error (poorest quintile not covered)"),
                        r.exclusion_error,
                        quintile,
                        (r.coverage_quintile or 0) * quintile,
                    ),
                    (
                        _("Inclusion error (covered, not in the poorest quintile)"),
                        r.inclusion_error,
                        covered,
                        outside,
                    ),
                )
            ]
            context["deciles"] = [
                {
                    "decile": d["decile"],
                    "people": _("suppressed") if d["hidden"] else numbers.count(d["people"]),
                    "coverage": _("suppressed") if d["hidden"] else _percent(d["coverage"]),
                    "incidence": _("suppressed") if d["hidden"] else _percent(d["incidence"]),
                }
                for d in found.deciles
            ]
            context["incidence_bars"] = charts.bars(
                (
                    _("Decile %(decile)s") % {"decile": d["decile"]},
                    None if d["hidden"] else 100 * (d["incidence"] or 0),
                    _("suppressed")
                    if d["hidden"]
                    else ("—" if d["incidence"] is None else f"{_percent(d['incidence'])} %"),
                )
                for d in found.deciles
            )
            titles = {
                "region": _("By region"),
                "age": _("By age group"),
                "disability": _("By disability"),
                "idp": _("By IDP status"),
            }
            context["groups"] = [
                (
                    key,
                    titles[key],
                    [
                        {
                            "group": row["group"],
                            "people": _("suppressed")
                            if row.get("hidden")
                            else numbers.count(row["people"]),
                            "coverage": _("suppressed")
                            if row.get("hidden")
                            else _percent(row["coverage"]),
                            "ratio": _("suppressed")
                            if row.get("hidden")
                            else (
                                "—"
                                if row["ratio"] is None
                                else numbers.figure(round(Decimal(str(row["ratio"])), 2))
                            ),
                        }
                        for row in rows
                    ],
                )
                for key, rows in found.groups.items()
            ]
    return render(request, "analytics/targeting.html", context)
