"""Home visits and rating scores: record a visit, explain a score, follow re-assessments due."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.assessment import selectors, services
from zrunva.assessment.forms import AssessmentForm, DueFilterForm
from zrunva.assessment.scoring import HEALTH_VARIABLES, VARIABLES
from zrunva.core.forms import add_service_errors
from zrunva.core.htmx import fragment_or_page
from zrunva.core.pagination import paginate
from zrunva.core.trail import search_log
from zrunva.geo.selectors import municipality_list
from zrunva.registry import selectors as registry
from zrunva.registry.models import Household


@staff_view(permissions.ASSESSMENT_RECORD)
@require_http_methods(["GET", "POST"])
def record(request, household_id: int):
    household = registry.household_get(actor=request.user, pk=household_id, purpose="assess")
    form = AssessmentForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_record(
                actor=request.user,
                household=household,
                visit_date=form.cleaned_data["visit_date"],
                declaration=form.declaration(),
                declared_income=form.cleaned_data["declared_income"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The home visit is recorded: rating score %(score)s.")
                % {"score": assessment.score},
            )
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "assessment/record.html", {"form": form, "household": household})


@staff_view(permissions.REGISTRY_VIEW)
def score_history(request, household_id: int):
    """The household's scores: a fragment for its page (htmx), or a page of its own."""
    household = registry.household_get(actor=request.user, pk=household_id, purpose="scores")
    context = {
        "household": household,
        "assessments": selectors.score_history(actor=request.user, household=household),
        "today": timezone.localdate(),
        "can_record": permissions.has_perm(request.user, permissions.ASSESSMENT_RECORD),
    }
    return fragment_or_page(
        request, "assessment/_score_history.html", "assessment/score_history.html", context
    )


@staff_view(permissions.REGISTRY_VIEW)
def detail(request, pk: int):
    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    weights, values = assessment.scoring_model.weights, assessment.variables
    health = permissions.sees_health(request.user)
    # Every variable the model weighs or the visit recorded; points unrounded, so they add up.
    rows = [
        {
            "label": label,
            "value": values.get(name),
            "weight": weights.get(name),
            "points": (values.get(name) or 0) * weights[name] if name in weights else None,
            # Counts of members with a disability or a chronic illness are health data.
            "hidden": name in HEALTH_VARIABLES and not health,
        }
        for name, label in VARIABLES.items()
        if name in values or name in weights
    ]
    total = float(assessment.scoring_model.intercept) + sum(
        row["points"] for row in rows if row["points"] is not None
    )
    return render(
        request,
        "assessment/detail.html",
        {"assessment": assessment, "rows": rows, "total": total, "can_view_health": health},
    )


@staff_view(permissions.REGISTRY_VIEW)
def due(request):
    user = request.user
    scope = permissions.municipality_scope(user)
    municipalities = municipality_list()
    if scope is not None:
        municipalities = municipalities.filter(id__in=scope)
    form = DueFilterForm(request.GET or None, municipalities=municipalities)
    qs = selectors.households_due(actor=user, on=timezone.localdate())
    municipality = form.cleaned_data.get("municipality") if form.is_valid() else None
    if municipality:
        qs = qs.filter(municipality=municipality)
    page = paginate(qs, number=request.GET.get("page"), size=settings.REGISTRY_PAGE_SIZE)
    search_log(
        actor=user,
        model=Household,
        terms={"due_for_assessment": True, "municipality": municipality and municipality.pk},
        shown=len(page.items),
    )
    return render(
        request,
        "assessment/due.html",
        {
            "form": form,
            "page": page,
            "can_record": permissions.has_perm(user, permissions.ASSESSMENT_RECORD),
        },
    )
