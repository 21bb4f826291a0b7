"""The citizen's side: filing a grievance or an appeal, and following it with its number and
one's personal number. Public: no sign-in; throttled per address and per personal number
instead of a captcha."""

from datetime import date

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from zrunva.core.casework import normalised_number
from zrunva.core.forms import add_service_errors
from zrunva.core.throttle import throttle_address, throttle_person, throttled_lookup, throttled_page
from zrunva.grievances import selectors, services
from zrunva.grievances.choices import Channel
from zrunva.grievances.forms import GrievanceForm, StatusForm

FILED = "portal_grievance_filed"


throttled = throttled_page(
    back="portal_grievances:file", back_label=gettext_lazy("Back to the complaint form")
)


@never_cache
@require_http_methods(["GET", "POST"])
@throttled
def file(request):
    if request.method == "GET":
        form = GrievanceForm(initial={"language": get_language() or "ka"})
        return render(request, "grievances/portal_file.html", {"form": form})
    form = GrievanceForm(request.POST)
    throttle_address(request, "grievance")
    try:
        if form.is_valid():
            filing = form.filing()
            throttle_person(
                "grievance",
                **{k: filing["complainant"][k] for k in ("personal_number", "phone", "email")},
            )
            grievance = services.grievance_file(channel=Channel.PORTAL, **filing)
            request.session[FILED] = [grievance.number, grievance.due_date.isoformat()]
            return redirect("portal_grievances:filed")
    except ValidationError as error:
        add_service_errors(form, error)
    return render(request, "grievances/portal_file.html", {"form": form})


@never_cache
def filed(request):
    number, due = request.session.get(FILED) or (None, None)
    if not number:
        return redirect("portal_grievances:file")
    return render(
        request,
        "grievances/portal_filed.html",
        {"number": number, "due": date.fromisoformat(due)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@throttled
def status(request):
    form = StatusForm(request.POST if request.method == "POST" else None)
    grievance = None
    if request.method == "POST" and form.is_valid():
        number, personal_number = form.cleaned_data["number"], form.cleaned_data["personal_number"]
        # The same budgets as checking an application: one address cannot guess more by
        # trying both.
        grievance = throttled_lookup(
            request,
            number=normalised_number(number, "GR"),
            find=lambda: selectors.grievance_find(number=number, personal_number=personal_number),
        )
        if grievance is None:
            form.add_error(None, str(services.NOT_FOUND))
    return render(request, "grievances/portal_status.html", {"form": form, "grievance": grievance})
