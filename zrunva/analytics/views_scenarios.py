"""Reform simulation screens: scenarios (list, build, change a programme), their runs with the
progress and results, a comparison of up to four, and one household's result explained."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.analytics import scenarios, simulation_report
from zrunva.analytics import simulation_results as results
from zrunva.analytics.forms_scenarios import (
    ChangeForm,
    CompareForm,
    HouseholdOpenForm,
    ScenarioForm,
)
from zrunva.analytics.models import Scenario
from zrunva.core import charts, numbers
from zrunva.core.forms import add_service_errors
from zrunva.core.htmx import is_htmx
from zrunva.core.trail import access_log, search_log
from zrunva.programmes.models import Parameter, Programme

SIMULATE = permissions.SIMULATION_RUN


@staff_view(SIMULATE)
def scenario_list(request):
    found = list(scenarios.scenario_list(actor=request.user))
    search_log(actor=request.user, model=Scenario, terms={"list": "scenarios"}, shown=len(found))
    latest = {s.pk: scenarios.latest_done(s) for s in found}
    return render(
        request,
        "analytics/simulation/scenario_list.html",
        {
            "scenarios": [(s, latest[s.pk]) for s in found],
            "compare_form": _compare_form(request, found),
        },
    )


def _compare_form(request, found, data=None):
    choices = [(s.pk, s.name) for s in found]
    return CompareForm(data, choices=choices)


def _fields(form) -> dict:
    data = dict(form.cleaned_data)
    shared_with = data.pop("shared_with", [])
    return {"shared_with": shared_with, **data}


@staff_view(SIMULATE)
@require_http_methods(["GET", "POST"])
def scenario_create(request):
    form = ScenarioForm(
        request.POST or None, actor=request.user, initial={"on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            scenario = scenarios.scenario_create(actor=request.user, **_fields(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Scenario saved. Now change a programme."))
            return redirect("analytics:scenario_detail", pk=scenario.pk)
    return render(
        request, "analytics/simulation/scenario_form.html", {"form": form, "scenario": None}
    )


@staff_view(SIMULATE)
@require_http_methods(["GET", "POST"])
def scenario_edit(request, pk: int):
    scenario = scenarios.scenario_get(actor=request.user, pk=pk)
    if not scenarios.can_edit(request.user, scenario):
        raise PermissionDenied(_("Only the scenario's owner changes it."))
    form = ScenarioForm(request.POST or None, instance=scenario, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            scenarios.scenario_update(actor=request.user, scenario=scenario, **_fields(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Scenario saved."))
            return redirect("analytics:scenario_detail", pk=scenario.pk)
    return render(
        request, "analytics/simulation/scenario_form.html", {"form": form, "scenario": scenario}
    )


def _change_form(request, scenario, programme_id: int | None):
    """The form changing one programme (posted or not), or None when none is chosen."""
    if not programme_id:
        return None
    compiled = {c.id: c for c in scenarios.programme_choices(on=scenario.on)}.get(programme_id)
    if compiled is None:
        return None
    change = scenario.changes.filter(programme_id=programme_id).first()
    codes = [*compiled.params]
    units = dict(Parameter.objects.filter(code__in=codes).values_list("code", "unit"))
    data = request.POST if request.method == "POST" else None
    return ChangeForm(data, compiled=compiled, change=change, units=units)


@staff_view(SIMULATE)
@require_http_methods(["GET", "POST"])
def scenario_detail(request, pk: int):
    scenario = scenarios.scenario_get(actor=request.user, pk=pk)
    editable = scenarios.can_edit(request.user, scenario)
    choices = scenarios.programme_choices(on=scenario.on)
    try:
        programme_id = int(request.POST.get("programme") or request.GET.get("programme") or 0)
    except ValueError:
        programme_id = 0
    form = _change_form(request, scenario, programme_id) if editable else None
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("Only the scenario's owner changes it."))
        if form is not None and form.is_valid():
            try:
                scenarios.scenario_change_set(
                    actor=request.user,
                    scenario=scenario,
                    programme=get_object_or_404(Programme, pk=programme_id),
                    **form.changes(),
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The programme's change is saved."))
                return redirect("analytics:scenario_detail", pk=scenario.pk)
    access_log(actor=request.user, instance=scenario, purpose="scenario")
    runs = scenarios.run_list(actor=request.user, scenario=scenario)[:10]
    return render(
        request,
        "analytics/simulation/scenario_detail.html",
        {
            "scenario": scenario,
            "editable": editable,
            "choices": choices,
            "programme_id": programme_id,
            "form": form,
            "changes": scenario.changes.select_related("programme"),
            "runs": runs,
        },
    )


@staff_view(SIMULATE)
@require_POST
def scenario_change_remove(request, pk: int, programme_id: int):
    scenario = scenarios.scenario_get(actor=request.user, pk=pk)
    scenarios.scenario_change_remove(
        actor=request.user, scenario=scenario, programme_id=programme_id
    )
    messages.success(request, _("The programme is back to its rules in force in this scenario."))
    return redirect("analytics:scenario_detail", pk=scenario.pk)


@staff_view(SIMULATE)
@require_POST
def scenario_delete(request, pk: int):
    scenario = scenarios.scenario_get(actor=request.user, pk=pk)
    scenarios.scenario_delete(actor=request.user, scenario=scenario)
    messages.success(request, _("The scenario and its simulations are deleted."))
    return redirect("analytics:scenario_list")


@staff_view(SIMULATE)
@require_POST
def scenario_run(request, pk: int):
    scenario = scenarios.scenario_get(actor=request.user, pk=pk)
    try:
        run = scenarios.simulation_start(actor=request.user, scenario=scenario)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("analytics:scenario_detail", pk=scenario.pk)
    messages.success(request, _("The simulation is queued; this page follows its progress."))
    return redirect("analytics:run_detail", pk=run.pk)


@staff_view(SIMULATE)
def run_detail(request, pk: int):
    run = scenarios.run_get(actor=request.user, pk=pk)
    if is_htmx(request):
        url = reverse("analytics:run_detail", args=[run.pk])
        response = render(request, "jobs/progress.html", {"job": run, "url": url})
        if not run.is_active:
            response["HX-Refresh"] = "true"
        return response
    fmt = request.GET.get("format", "")
    if fmt in ("xlsx", "pdf") and run.status == "done":
        access_log(actor=request.user, instance=run, purpose="export", detail={"format": fmt})
        name = f"simulation-{run.pk}-{timezone.localdate():%Y-%m-%d}.{fmt}"
        if fmt == "xlsx":
            body = simulation_report.workbook(run, request.user)
            kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body = simulation_report.pdf(run, request.user)
            kind = "application/pdf"
        response = HttpResponse(body, content_type=kind)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    access_log(actor=request.user, instance=run, purpose="simulation result")
    context = {"run": run, "scenario": run.scenario}
    if run.status == "done":
        summary = run.summary
        columns, lines = results.overview(summary)
        bands = results.bands(summary, request.user)
        capped_bands = (
            results.bands(summary, request.user, "capped") if summary.get("budget_cap") else None
        )
        for band, capped in zip(bands, capped_bands or [], strict=False):
            band["capped_households"] = capped["households"]
        programmes = results.programmes(summary, request.user)
        regions = results.regions(summary, request.user)
        context |= {
            "columns": columns,
            "lines": lines,
            "bands": bands,
            "capped_bands": capped_bands,
            "bands_chart": charts.bars(
                (b["label"], b["households"], numbers.count(b["households"]))
                for b in bands
                if not b["suppressed"]
            ),
            "programmes": programmes,
            "cost_chart": charts.bars(
                (
                    p["name"],
                    float(p["scenario"]["cost_month"]),
                    numbers.money(p["scenario"]["cost_month"]),
                )
                for p in programmes
                if not p["suppressed"]
            ),
            "regions": regions,
            "region_columns": [str(label) for _k, label, _kind in results.REGION_COLUMNS],
            "region_cells": [
                (r, [results.text(getattr(r, k), kind) for k, _l, kind in results.REGION_COLUMNS])
                for r in regions
            ],
            "region_chart": charts.bars(
                (r.name, float(r.difference), numbers.money(r.difference))
                for r in regions
                if not r.suppressed
            ),
            "small_cells_note": scenarios.small_cells_note(request.user),
            "extremes": scenarios.extremes(run, actor=request.user, limit=10),
            "sees_health": permissions.sees_health(request.user),
            "open_form": HouseholdOpenForm(),
            "region_names": scenarios.region_names(),
        }
    return render(request, "analytics/simulation/run_detail.html", context)


@staff_view(SIMULATE)
def run_household(request, pk: int, household_id: int):
    run = scenarios.run_get(actor=request.user, pk=pk)
    if run.status != "done":
        return redirect("analytics:run_detail", pk=run.pk)
    try:
        result = scenarios.household_result(actor=request.user, run=run, household_id=household_id)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("analytics:run_detail", pk=run.pk)
    return render(
        request, "analytics/simulation/run_household.html", {"run": run, "result": result}
    )


@staff_view(SIMULATE)
def run_household_open(request, pk: int):
    form = HouseholdOpenForm(request.GET)
    if form.is_valid():
        return redirect(
            "analytics:run_household", pk=pk, household_id=form.cleaned_data["household"]
        )
    messages.error(request, _("Give a household number."))
    return redirect("analytics:run_detail", pk=pk)


@staff_view(SIMULATE)
def compare(request):
    found = list(scenarios.scenario_list(actor=request.user))
    form = _compare_form(request, found, request.GET or None)
    columns, table, error, small_cells_note = [], [], None, ""
    if form.is_bound and form.is_valid():
        by_id = {s.pk: s for s in found}
        chosen = [by_id[pk] for pk in dict.fromkeys(form.cleaned_data["scenario"]) if pk in by_id]
        runs = [(s, scenarios.latest_done(s)) for s in chosen]
        missing = [s.name for s, r in runs if r is None]
        if missing:
            error = _("Not simulated yet: %(names)s.") % {"names": ", ".join(missing)}
        runs = [(s, r) for s, r in runs if r is not None]
        try:
            if runs:
                scenarios.comparable([r for _s, r in runs])
        except ValidationError as exc:
            form.add_error("scenario", exc.message_dict["scenario"])
            runs = []
        if runs:
            access_log(actor=request.user, instance=runs[0][1], purpose="compare")
            first = runs[0][1].summary["national"]
            columns = [_("Rules in force (%(date)s)") % {"date": runs[0][1].summary["on"]}] + [
                s.name for s, _r in runs
            ]
            for key, label, kind in results.MEASURES:
                values = [
                    first["baseline"][key],
                    *(r.summary["national"]["scenario"][key] for _s, r in runs),
                ]
                table.append((str(label), [results.text(v, kind) for v in values]))
            bands = [results.bands(r.summary, request.user) for _s, r in runs]
            for i, label in enumerate(results.BAND_LABELS.values()):
                values = [None, *(found[i]["households"] for found in bands)]
                table.append(
                    (
                        _("Households: %(band)s") % {"band": label},
                        [results.text(v, "count") for v in values],
                    )
                )
            table.append(
                (
                    _("Poverty line, GEL a month per person"),
                    ["", *(f"{r.summary['poverty_line']:.2f}" for _s, r in runs)],
                )
            )
            small_cells_note = scenarios.small_cells_note(request.user)
    return render(
        request,
        "analytics/simulation/compare.html",
        {
            "form": form,
            "columns": columns,
            "table": table,
            "error": error,
            "small_cells_note": small_cells_note,
        },
    )
