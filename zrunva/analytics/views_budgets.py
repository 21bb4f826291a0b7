"""Municipal social budgets: public pages under /open/budgets/ (no sign-in; recipients under
ten hidden) and the staff's under /analytics/budgets/ (the same tables, small cells shown to
whoever may read the registry, and the budget's entry and import for BUDGETS_EDIT)."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.analytics import selectors_budgets as budgets
from zrunva.analytics import services_budgets as services
from zrunva.analytics.forms_budgets import (
    BudgetImportForm,
    BudgetIndexForm,
    BudgetLineForm,
    NewBudgetForm,
    YearForm,
)
from zrunva.analytics.models import BudgetLine
from zrunva.core import charts, exports, numbers
from zrunva.core.db import replica_reads
from zrunva.core.trail import scoped_get, search_log
from zrunva.geo.models import Municipality, Region


def _names(public: bool) -> dict:
    ns = "open" if public else "analytics"
    return {
        "index": f"{ns}:budgets",
        "municipality": f"{ns}:budget_municipality",
        "region": f"{ns}:budget_region",
        "base": "portal/base.html" if public else "base.html",
        "public": public,
    }


def _shown_small(request, public: bool, municipality_ids) -> bool:
    """Small cells only for staff who may read the registry, and only of their own area: every
    municipality of the page (a region's page: all the region's) within the user's scope."""
    if public or not permissions.small_cells_shown(request.user):
        return False
    scope = permissions.analytics_scope(request.user)
    return scope is None or set(municipality_ids) <= scope


def _audit(request, public: bool, terms: dict, shown: int) -> None:
    """Staff reads are audited as every staff read is; the public's pages are open data."""
    if not public:
        search_log(actor=request.user, model=BudgetLine, terms=terms, shown=shown)


def _year(request, years: list[int]) -> int:
    form = YearForm(request.GET, years=years or [timezone.localdate().year])
    if form.is_valid() and form.cleaned_data["year"]:
        return form.cleaned_data["year"]
    return years[0] if years else timezone.localdate().year


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{numbers.figure(value)}%"


def _money(value: Decimal | None) -> str:
    return "—" if value is None else numbers.money(value, currency=False)


def _columns(first_label: str) -> list[exports.Column]:
    return [
        exports.Column(first_label, lambda r: r.label, width=36),
        exports.Column(_("Planned, GEL"), lambda r: r.planned),
        exports.Column(_("Executed, GEL"), lambda r: r.executed),
        exports.Column(_("Approved, not yet paid, GEL"), lambda r: r.pending),
        exports.Column(_("Execution, %"), lambda r: r.execution),
        exports.Column(_("Recipients"), lambda r: r.recipients.value),
        exports.Column(_("Population"), lambda r: r.population),
        exports.Column(_("Planned per inhabitant, GEL"), lambda r: r.planned_per_capita),
        exports.Column(_("Executed per inhabitant, GEL"), lambda r: r.executed_per_capita),
        exports.Column(_("Illustrative"), lambda r: _("yes") if r.illustrative else ""),
    ]


def _file(request, public, *, table: budgets.Table, first_label, name, title, terms):
    rows = [*table.rows, table.total] if table.rows else []
    return exports.export_rows(
        request,
        rows=rows,
        columns=_columns(first_label),
        name=name,
        title=title,
        audit=lambda count: _audit(request, public, terms | {"file": request.GET["format"]}, count),
    )


def _execution_bars(rows):
    return charts.bars(
        ((r.label, r.execution, _percent(r.execution)) for r in rows if r.execution is not None),
        top=max([100.0, *(float(r.execution) for r in rows if r.execution is not None)]),
    )


def _amount_bars(rows, attribute, *, paid=False):
    """Bars of an amount; `paid`: only the rows Zrunva pays (an execution, not a plan)."""
    return charts.bars(
        (r.label, getattr(r, attribute), _money(getattr(r, attribute)))
        for r in rows
        if getattr(r, attribute) is not None and not (paid and r.recipients.count is None)
    )


# -- Pages, public and staff ---------------------------------------------------------------------


def _index(request, public: bool):
    years = budgets.budget_years_of() or [timezone.localdate().year]
    form = BudgetIndexForm(request.GET or None, years=years)
    year = _year(request, years)
    region = form.cleaned_data.get("region") if form.is_valid() else None
    places = budgets.municipalities_with_budgets(year)
    if region is not None:
        return redirect(f"{reverse(_names(public)['region'], args=[region.iso_code])}?year={year}")
    grouped: dict = {}
    for m in places:
        grouped.setdefault(m.region, []).append(m)
    _audit(request, public, {"budgets": year}, len(places))
    return render(
        request,
        "analytics/budgets/index.html",
        {
            "names": _names(public),
            "form": form,
            "year": year,
            "grouped": sorted(grouped.items(), key=lambda item: item[0].name),
            "editable": not public and permissions.has_perm(request.user, permissions.BUDGETS_EDIT),
        },
    )


def _municipality(request, code: str, public: bool):
    municipality = get_object_or_404(Municipality.objects.select_related("region"), code=code)
    years = budgets.budget_years_of(municipality)
    year = _year(request, years)
    shown_small = _shown_small(request, public, [municipality.pk])
    table = budgets.municipality_budget(
        municipality=municipality, year=year, shown_small=shown_small
    )
    history = budgets.budget_over_years(municipality=municipality, shown_small=shown_small)
    terms = {"budget": municipality.code, "year": year}
    if exports.export_format(request):
        if request.GET.get("table") == "years":
            return _file(
                request,
                public,
                table=history,
                first_label=_("Year"),
                name=f"social-budget-{municipality.code}-years",
                title=_("Over the years"),
                terms=terms | {"table": "years"},
            )
        return _file(
            request,
            public,
            table=table,
            first_label=_("Budget line"),
            name=f"social-budget-{municipality.code}-{year}",
            title=str(year),
            terms=terms,
        )
    _audit(request, public, terms, len(table.rows))
    editable = not public and services.can_edit_budget(request.user, municipality.pk)
    return render(
        request,
        "analytics/budgets/municipality.html",
        {
            "names": _names(public),
            "municipality": municipality,
            "year": year,
            "years": sorted(set(years) | {year}, reverse=True),
            "table": table,
            "history": history,
            "planned_bars": _amount_bars(table.rows, "planned"),
            "executed_bars": _amount_bars(table.rows, "executed", paid=True),
            "execution_bars": _execution_bars(table.rows),
            "history_bars": _amount_bars(history.rows, "executed", paid=True),
            "illustrative": any(r.illustrative for r in table.rows),
            "editable": editable,
        },
    )


def _region(request, iso_code: str, public: bool):
    region = get_object_or_404(Region, iso_code=iso_code)
    years = budgets.budget_years_of() or [timezone.localdate().year]
    year = _year(request, years)
    shown_small = _shown_small(request, public, region.municipalities.values_list("pk", flat=True))
    table = budgets.region_budgets(region=region, year=year, shown_small=shown_small)
    terms = {"budget_region": region.iso_code, "year": year}
    if exports.export_format(request):
        return _file(
            request,
            public,
            table=table,
            first_label=_("Municipality"),
            name=f"social-budgets-{region.iso_code}-{year}",
            title=str(year),
            terms=terms,
        )
    _audit(request, public, terms, len(table.rows))
    return render(
        request,
        "analytics/budgets/region.html",
        {
            "names": _names(public),
            "region": region,
            "year": year,
            "years": years,
            "table": table,
            "per_capita_bars": _amount_bars(table.rows, "executed_per_capita"),
            "execution_bars": _execution_bars(table.rows),
            "illustrative": any(r.illustrative for r in table.rows),
        },
    )


@replica_reads
def open_index(request):
    return _index(request, public=True)


@replica_reads
def open_municipality(request, code):
    return _municipality(request, code, public=True)


@replica_reads
def open_region(request, iso_code):
    return _region(request, iso_code, public=True)


@staff_view(permissions.ANALYTICS_VIEW)
def index(request):
    return _index(request, public=False)


@staff_view(permissions.ANALYTICS_VIEW)
def municipality_budget(request, code):
    return _municipality(request, code, public=False)


@staff_view(permissions.ANALYTICS_VIEW)
def region_budgets(request, iso_code):
    return _region(request, iso_code, public=False)


# -- Entering a budget (BUDGETS_EDIT, in the area) ----------------------------------------------


def form_errors(form, error: ValidationError) -> None:
    """A service's refusal shown on the form: at its field when the form has it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, found in error.message_dict.items():
        form.add_error(field if field in form.fields else None, found)


def _editable_municipalities(user):
    return permissions.scoped(Municipality.objects.all(), user, "pk").by_name()


@staff_view(permissions.BUDGETS_EDIT)
def budget_new(request):
    """Choose the municipality and year of a budget to enter, then add its lines."""
    form = NewBudgetForm(request.GET or None, municipalities=_editable_municipalities(request.user))
    if form.is_valid():
        municipality, year = form.cleaned_data["municipality"], form.cleaned_data["year"]
        return redirect("analytics:budget_line_add", code=municipality.code, year=year)
    return render(request, "analytics/budgets/new.html", {"form": form})


def _line_form(request, *, municipality, year, line=None):
    services.require_budget_edit(request.user, municipality.pk)
    form = BudgetLineForm(request.POST or None, instance=line, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        data = {
            name: form.cleaned_data[name]
            for name in ("programme", "name_ka", "name_en", "planned", "source", "illustrative")
        }
        try:
            services.budget_line_save(
                actor=request.user,
                line=line,
                data=data | {"municipality": municipality, "year": year},
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("The budget line is saved."))
            url = reverse("analytics:budget_municipality", args=[municipality.code])
            return redirect(f"{url}?year={year}")
    return render(
        request,
        "analytics/budgets/line_form.html",
        {"form": form, "municipality": municipality, "year": year, "line": line},
    )


@staff_view(permissions.BUDGETS_EDIT)
def budget_line_add(request, code, year):
    municipality = get_object_or_404(Municipality, code=code)
    if not 2000 <= year <= 2100:
        raise Http404
    return _line_form(request, municipality=municipality, year=year)


@staff_view(permissions.BUDGETS_EDIT)
def budget_line_edit(request, pk):
    line = get_object_or_404(BudgetLine.objects.select_related("municipality", "programme"), pk=pk)
    return _line_form(request, municipality=line.municipality, year=line.year, line=line)


@require_POST
@staff_view(permissions.BUDGETS_EDIT)
def budget_line_delete(request, pk):
    line = get_object_or_404(BudgetLine.objects.select_related("municipality"), pk=pk)
    services.budget_line_delete(actor=request.user, line=line)
    messages.success(request, _("The budget line is deleted."))
    url = reverse("analytics:budget_municipality", args=[line.municipality.code])
    return redirect(f"{url}?year={line.year}")


@staff_view(permissions.BUDGETS_EDIT)
def budget_template(request):
    response = HttpResponse(
        services.budget_template(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="social-budget-template.xlsx"'
    return response


@staff_view(permissions.BUDGETS_EDIT)
def budget_import(request):
    """Upload the resolution's XLSX: every row checked, nothing written; the preview follows."""
    form = BudgetImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = services.budget_import_preview(
                actor=request.user, upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("analytics:budget_import_preview", pk=done.pk)
    return render(request, "analytics/budgets/import.html", {"form": form})


@staff_view(permissions.BUDGETS_EDIT)
def budget_import_preview(request, pk):
    """The row-level report of an uploaded file, and the button that writes it (only without
    errors)."""
    found = scoped_get(services.budget_import_scope(request.user), actor=request.user, pk=pk)
    if request.method == "POST":
        try:
            services.budget_import_commit(actor=request.user, budget_import=found)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The budget lines are written."))
        return redirect("analytics:budget_import_preview", pk=found.pk)
    lines, errors = (
        services.import_lines(found, actor=request.user)
        if found.status == "previewed"
        else ([], found.errors)
    )
    return render(
        request,
        "analytics/budgets/import_preview.html",
        {"found": found, "lines": lines, "errors": errors},
    )
