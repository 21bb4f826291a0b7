"""The back office: the grievances of the area, one grievance with its history, assigning and
answering it, and entering one for a citizen at an office."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.core.exports import Column, export, export_format
from zrunva.core.forms import add_service_errors, form_step
from zrunva.core.htmx import fragment_or_page, is_htmx
from zrunva.core.pagination import paginate
from zrunva.core.trail import search_log
from zrunva.grievances import selectors, services
from zrunva.grievances.choices import Channel
from zrunva.grievances.forms import AssignForm, GrievanceForm, QueueFilterForm, ResolveForm
from zrunva.grievances.models import Grievance
from zrunva.registry import selectors as registry

HANDLE = permissions.GRIEVANCES_HANDLE
NO_FILTERS = {"status": "", "overdue": False, "escalated": False, "mine": False}


# The grievance's own words are not exported: they stay on its page, where reads are audited.
QUEUE_COLUMNS = [
    Column(_lazy("Grievance number"), lambda g: g.number),
    Column(_lazy("Category"), lambda g: g.get_category_display(), 24),
    Column(_lazy("Personal number"), lambda g: g.personal_number, 14),
    Column(_lazy("First name"), lambda g: g.first_name),
    Column(_lazy("Last name"), lambda g: g.last_name),
    Column(_lazy("Municipality"), lambda g: g.municipality.name),
    Column(_lazy("Status"), lambda g: g.get_status_display(), 20),
    Column(_lazy("Filed"), lambda g: g.filed_at),
    Column(_lazy("Answer due"), lambda g: g.due_date),
    Column(_lazy("Escalated"), lambda g: g.escalated_at),
    Column(
        _lazy("Assigned to"),
        lambda g: (
            (g.assigned_to.get_full_name() or g.assigned_to.username) if g.assigned_to else ""
        ),
    ),
]


@staff_view(HANDLE)
def queue(request):
    form = QueueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else NO_FILTERS
    qs = selectors.grievance_queue(actor=request.user, **data)
    terms = {name: value or None for name, value in data.items()}
    if fmt := export_format(request):  # the same rows as a file; the download is audited
        return export(
            request,
            qs=qs,
            columns=QUEUE_COLUMNS,
            name="grievances",
            title=_("Grievances"),
            audit=lambda n: search_log(
                actor=request.user, model=Grievance, terms=terms | {"export": fmt}, shown=n
            ),
        )
    page = paginate(qs, number=request.GET.get("page"), size=settings.REGISTRY_PAGE_SIZE)
    search_log(actor=request.user, model=Grievance, terms=terms, shown=len(page.items))
    return render(
        request,
        "grievances/queue.html",
        {"form": form, "page": page, "today": timezone.localdate()},
    )


def _detail(request, grievance, *, assign_form=None, resolve_form=None):
    assignees = selectors.grievance_assignees(grievance=grievance)
    can_assign = grievance.is_open and (
        not grievance.is_escalated
        or permissions.has_perm(request.user, permissions.GRIEVANCES_SUPERVISE)
    )
    can_resolve = grievance.is_open and (
        grievance.assigned_to_id == request.user.pk
        or permissions.has_perm(request.user, permissions.GRIEVANCES_SUPERVISE)
    )
    return render(
        request,
        "grievances/detail.html",
        {
            "grievance": grievance,
            "assign_form": (assign_form or AssignForm(assignees=assignees)) if can_assign else None,
            "can_take": can_assign
            and grievance.assigned_to_id != request.user.pk
            and services.can_handle(request.user, grievance),
            "resolve_form": (resolve_form or ResolveForm()) if can_resolve else None,
            "can_open_application": permissions.has_perm(
                request.user, permissions.APPLICATIONS_PROCESS
            ),
            "today": timezone.localdate(),
        },
    )


@staff_view(HANDLE)
def detail(request, pk: int):
    return _detail(request, selectors.grievance_get(actor=request.user, pk=pk))


@staff_view(HANDLE)
@require_POST
def assign(request, pk: int):
    grievance = selectors.grievance_get(actor=request.user, pk=pk, purpose="assign")
    form = AssignForm(request.POST, assignees=selectors.grievance_assignees(grievance=grievance))

    def assign_to(data):
        return services.grievance_assign(
            actor=request.user, grievance=grievance, to=data["assigned_to"]
        )

    def done(assigned):
        to = assigned.assigned_to
        return _("The grievance is assigned to %(name)s.") % {
            "name": to.get_full_name() or to.username
        }

    if form_step(request, form, assign_to, done):
        return redirect("grievances:detail", pk=grievance.pk)
    return _detail(request, grievance, assign_form=form)


@staff_view(HANDLE)
@require_POST
def resolve(request, pk: int):
    grievance = selectors.grievance_get(actor=request.user, pk=pk, purpose="resolve")
    form = ResolveForm(request.POST)

    def resolve_with(data):
        return services.grievance_resolve(
            actor=request.user, grievance=grievance, resolution=data["resolution"]
        )

    done = _("The grievance is resolved; the answer is on its way.")
    if form_step(request, form, resolve_with, done):
        return redirect("grievances:detail", pk=grievance.pk)
    return _detail(request, grievance, resolve_form=form)


@staff_view(HANDLE)
@require_http_methods(["GET", "POST"])
def file(request):
    form = GrievanceForm(request.POST if request.method == "POST" else None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            grievance = services.grievance_file(
                actor=request.user, channel=Channel.WALK_IN, **form.filing()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Grievance %(number)s is filed; give its number to the complainant.")
                % {"number": grievance.number},
            )
            return redirect("grievances:detail", pk=grievance.pk)
    return render(request, "grievances/file.html", {"form": form})


# -- Panels on a person's and a household's pages (registered in apps.py) ---------------------

# Grievances a panel shows on the record's page; its own page pages through the rest.
PANEL_SHOWN = 20


def _grievances_panel(request, *, record, grievances, back):
    whole = not is_htmx(request)
    page = paginate(grievances, number=request.GET.get("page") if whole else 1, size=PANEL_SHOWN)
    context = {
        "record": record,
        "page": page,
        "whole": whole,
        "url": request.path,
        "back": back,
        "today": timezone.localdate(),
    }
    return fragment_or_page(request, "grievances/_panel.html", "grievances/panel.html", context)


@staff_view(HANDLE)
def person_grievances(request, pk: int):
    """The grievances a person filed or that are about their applications: a fragment for
    their page (htmx), or a page of its own."""
    person = registry.person_get(actor=request.user, pk=pk, purpose="grievances")
    return _grievances_panel(
        request,
        record=person,
        grievances=selectors.person_grievances(actor=request.user, person=person),
        back=reverse("registry:person_detail", args=[person.pk]),
    )


@staff_view(HANDLE)
def household_grievances(request, pk: int):
    household = registry.household_get(actor=request.user, pk=pk, purpose="grievances")
    return _grievances_panel(
        request,
        record=household,
        grievances=selectors.household_grievances(actor=request.user, household=household),
        back=reverse("registry:household_detail", args=[household.pk]),
    )
