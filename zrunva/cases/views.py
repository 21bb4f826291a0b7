"""Social work pages: the worker's and the supervisor's cases, one case with its timeline, plan
and steps, opening a case for a person, emergency access, transfers; the cases panel on a
person's page."""

from decimal import Decimal

from django.conf import settings
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
from zrunva.cases import indicators as quality
from zrunva.cases import selectors, services
from zrunva.cases.choices import Stage, TransferStatus
from zrunva.cases.forms import (
    CloseForm,
    DecideForm,
    EntryForm,
    GlassForm,
    IndicatorFilterForm,
    MoveForm,
    OpenForm,
    PlanForm,
    TransferForm,
    UserForm,
)
from zrunva.cases.indicator_report import cell, report_pdf
from zrunva.cases.models import SocialCase, Transfer
from zrunva.core import charts, exports, numbers
from zrunva.core.forms import add_service_errors, form_step
from zrunva.core.trail import attempt_log, search_log
from zrunva.registry import selectors as registry

WORK = permissions.CASES_WORK


@staff_view(WORK)
def home(request):
    user = request.user
    supervises = permissions.has_perm(user, permissions.CASES_SUPERVISE)
    visible = selectors.case_list(actor=user)
    mine = selectors.mine(actor=user)
    scope = visible if supervises else mine
    transfers = Transfer.objects.none()
    if supervises and user.office_id:
        transfers = Transfer.objects.filter(
            to_office_id=user.office_id, status=TransferStatus.ASKED
        ).select_related("case", "from_office")
    return render(
        request,
        "cases/home.html",
        {
            "supervises": supervises,
            "mine": mine,
            "unassigned": selectors.unassigned(actor=user) if supervises else [],
            "first_contact": selectors.first_contact_overdue(scope),
            "reviews": selectors.review_overdue(scope),
            "actions": selectors.actions_overdue(scope),
            "caseload": selectors.caseload(actor=user) if supervises else [],
            "transfers": transfers,
        },
    )


@staff_view(WORK)
def case_open(request, person: int):
    found = registry.person_get(actor=request.user, pk=person, purpose="case")
    form = OpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open(actor=request.user, person=found, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Case %(number)s is open.") % {"number": case.number})
            return redirect("cases:detail", case.pk)
    return render(request, "cases/open.html", {"form": form, "person": found})


def _case(request, pk: int) -> SocialCase:
    return selectors.case_detail(actor=request.user, pk=pk)


@staff_view(WORK)
def detail(request, pk: int):
    case = _case(request, pk)
    user = request.user
    plan = case.plans.prefetch_related("actions__service").first()
    moves = [
        to
        for (frm, to), roles in services.TRANSITIONS.items()
        if frm == case.stage and user.role in roles
    ]
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "plan": plan,
            "entries": case.entries.select_related("author"),
            "moves": [(to, Stage(to).label) for to in moves],
            "works_on": case.assigned_to_id == user.pk
            or permissions.has_perm(user, permissions.CASES_SUPERVISE),
            "supervises": permissions.has_perm(user, permissions.CASES_SUPERVISE),
            "entry_form": EntryForm(initial={"happened_on": timezone.localdate()}),
            "close_form": CloseForm(),
            "colleagues": case.colleagues.select_related("user"),
            "today": timezone.localdate(),
        },
    )


def _step(request, pk: int, form_class, action, success, **form_kwargs):
    """A POSTed step on a case: the form checked, the service called, its error shown on the
    case's page as a message (every page of a case is its detail page)."""
    case = _case(request, pk)
    form = form_class(request.POST, request.FILES or None, **form_kwargs)
    if form.is_valid():
        try:
            action(case, form.cleaned_data)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, success)
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for text in errors:
                messages.error(request, f"{label}: {text}" if label else text)
    return redirect("cases:detail", case.pk)


@require_POST
@staff_view(WORK)
def entry(request, pk: int):
    return _step(
        request,
        pk,
        EntryForm,
        lambda case, d: services.entry_add(actor=request.user, case=case, **d),
        _("Added to the timeline."),
    )


@require_POST
@staff_view(WORK)
def move(request, pk: int):
    to = request.POST.get("to", "")
    if to not in Stage.values:
        raise Http404
    return _step(
        request,
        pk,
        MoveForm,
        lambda case, d: services.case_move(actor=request.user, case=case, to=to, note=d["note"]),
        _("The case moved to: %(stage)s.") % {"stage": Stage(to).label},
    )


@require_POST
@staff_view(permissions.CASES_SUPERVISE)
def close(request, pk: int):
    return _step(
        request,
        pk,
        CloseForm,
        lambda case, d: services.case_close(actor=request.user, case=case, **d),
        _("The case is closed."),
    )


@require_POST
@staff_view(permissions.CASES_SUPERVISE)
def give(request, pk: int):
    return _step(
        request,
        pk,
        UserForm,
        lambda case, d: services.case_give(actor=request.user, case=case, to=d["username"]),
        _("The case is given."),
    )


@require_POST
@staff_view(WORK)
def colleague(request, pk: int):
    return _step(
        request,
        pk,
        UserForm,
        lambda case, d: services.colleague_name(actor=request.user, case=case, user=d["username"]),
        _("The colleague may read the case."),
    )


@staff_view(WORK)
def plan(request, pk: int):
    case = _case(request, pk)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form_step(
        request,
        form,
        lambda d: services.plan_write(actor=request.user, case=case, **d),
        _("The care plan is written."),
    ):
        return redirect("cases:detail", case.pk)
    return render(request, "cases/plan.html", {"case": case, "form": form})


@staff_view(WORK)
def transfer(request, pk: int):
    case = _case(request, pk)
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form_step(
        request,
        form,
        lambda d: services.transfer_ask(actor=request.user, case=case, **d),
        _("The other office is asked to take the case."),
    ):
        return redirect("cases:detail", case.pk)
    return render(request, "cases/transfer.html", {"case": case, "form": form})


@require_POST
@staff_view(permissions.CASES_SUPERVISE)
def transfer_decide(request, pk: int):
    found = get_object_or_404(Transfer, pk=pk, to_office_id=request.user.office_id)
    form = DecideForm(request.POST)
    form.is_valid()
    accept = request.POST.get("decision") == "accept"
    try:
        services.transfer_decide(
            actor=request.user,
            transfer=found,
            accept=accept,
            reason=form.cleaned_data.get("reason", ""),
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request, _("The case is this office's now.") if accept else _("The case goes back.")
        )
    return redirect("cases:home")


@staff_view(WORK)
def glass(request, pk: int):
    """Emergency access to a sensitive case one may not read: the reason first, then the case
    for BREAK_GLASS_HOURS; the DPO and the supervisors are told."""
    case = get_object_or_404(SocialCase, pk=pk)
    if selectors.case_list(actor=request.user).filter(pk=pk).exists():
        return redirect("cases:detail", pk)
    if not case.sensitive:
        attempt_log(actor=request.user, instance=case, status=404, reason="not sensitive")
        raise Http404
    form = GlassForm(request.POST or None)
    if request.method == "POST" and form_step(
        request,
        form,
        lambda d: services.break_glass(actor=request.user, case=case, reason=d["reason"]),
        _("Emergency access granted. The data protection officer and the supervisors are told."),
    ):
        return redirect("cases:detail", pk)
    return render(request, "cases/glass.html", {"number": case.number, "form": form, "pk": pk})


@staff_view(permissions.BREAK_GLASS_REVIEW)
def glass_review(request):
    grants = selectors.break_glass_list(actor=request.user)
    if request.method == "POST":
        grant = get_object_or_404(grants, pk=request.POST.get("grant"))
        services.break_glass_review(
            actor=request.user, grant=grant, note=request.POST.get("note", "")[:1000]
        )
        messages.success(request, _("Marked as reviewed."))
        return redirect("cases:glass_review")
    return render(request, "cases/glass_review.html", {"grants": grants[:200]})


@staff_view(WORK)
def person_cases(request, pk: int):
    """The cases about a person the viewer may read (a sensitive case is not there for others,
    not even as a count): a panel for their page."""
    person = registry.person_get(actor=request.user, pk=pk, purpose="cases")
    cases = selectors.case_list(actor=request.user).filter(person=person)
    return render(
        request,
        "cases/_panel.html",
        {
            "cases": cases,
            "person": person,
            "back": reverse("registry:person_detail", args=[person.pk]),
        },
    )


# -- Quality of social work: indicators, never cases ------------------------------------------


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
    tables = [
        (
            table,
            [
                [(c, cell(row[c.field], c.kind)) for c in table.columns]
                for row in quality.rows(result, table, named)
            ],
        )
        for table in quality.TABLES
    ]
    return render(
        request,
        "cases/indicators.html",
        {
            "form": form,
            "tables": tables,
            "charts": _charts(result, named),
            "norm": settings.CASELOAD_NORM,
        },
    )
