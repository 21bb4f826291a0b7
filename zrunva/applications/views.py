"""The back office: each office's queue of applications, one application, and its next step."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zrunva.accounts import permissions
from zrunva.applications import selectors, services
from zrunva.applications.choices import Channel, Status
from zrunva.applications.forms import IntakeForm, QueueFilterForm, TransitionForm
from zrunva.applications.models import Application
from zrunva.audit.services import search_log
from zrunva.core.decorators import staff_view
from zrunva.core.forms import add_service_errors
from zrunva.core.pagination import paginate
from zrunva.registry import selectors as registry


@staff_view(permissions.APPLICATIONS_PROCESS)
def queue(request):
    form = QueueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {"status": "", "overdue": False}
    qs = selectors.application_queue(
        actor=request.user, status=data["status"], overdue=data["overdue"]
    )
    page = paginate(qs, number=request.GET.get("page"), size=settings.REGISTRY_PAGE_SIZE)
    search_log(
        actor=request.user,
        model=Application,
        terms={"status": data["status"], "overdue": data["overdue"] or None},
        shown=len(page.items),
    )
    return render(
        request,
        "applications/queue.html",
        {"form": form, "page": page, "today": timezone.localdate()},
    )


def _detail(request, application, form):
    return render(
        request,
        "applications/detail.html",
        {"application": application, "form": form, "today": timezone.localdate()},
    )


@staff_view(permissions.APPLICATIONS_PROCESS)
def detail(request, pk: int):
    application = selectors.application_get(actor=request.user, pk=pk)
    options = services.next_statuses(application)
    form = TransitionForm(options=options) if options else None
    return _detail(request, application, form)


@staff_view(permissions.APPLICATIONS_PROCESS)
@require_POST
def move(request, pk: int):
    application = selectors.application_get(actor=request.user, pk=pk)
    form = TransitionForm(request.POST, options=services.next_statuses(application))
    if form.is_valid():
        data = form.cleaned_data
        household = None
        try:
            if data["household"]:
                household = registry.household_get(
                    actor=request.user, pk=data["household"], purpose="register application"
                )
            services.application_transition(
                actor=request.user,
                application=application,
                to=data["to"],
                note=data["note"],
                household=household,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Http404:
            form.add_error("household", _("No household with this number in your area."))
        else:
            messages.success(
                request,
                _("The application is now: %(status)s.") % {"status": Status(data["to"]).label},
            )
            return redirect("applications:detail", pk=application.pk)
    return _detail(request, application, form)


@staff_view(permissions.APPLICATIONS_PROCESS)
@require_http_methods(["GET", "POST"])
def intake(request):
    form = IntakeForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = services.application_submit(
                actor=request.user,
                channel=Channel.WALK_IN,
                programme=data["programme"],
                municipality=data["municipality"],
                applicant=form.applicant(),
                consent=data["consent"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Application %(number)s is submitted; give its number to the applicant.")
                % {"number": application.number},
            )
            return redirect("applications:detail", pk=application.pk)
    return render(request, "applications/intake.html", {"form": form})


@staff_view(permissions.DELAYS_VIEW)
def delays(request):
    rows = selectors.delay_indicators(actor=request.user).to_dicts()
    top = max((r["decision_p90"] or 0 for r in rows), default=0) or 1
    for row in rows:
        row["width"] = round(100 * (row["decision_median"] or 0) / top, 1)
    return render(request, "applications/delays.html", {"rows": rows})
