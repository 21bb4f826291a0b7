"""Civil society's monitoring: the public pages under /open/monitoring/ (published reports
only) and the staff's under /analytics/monitoring/: an organisation's monitors write and
publish reports, a municipality's officers answer the recommendations addressed to it."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from zrunva.accounts import permissions
from zrunva.analytics import selectors_monitoring as selectors
from zrunva.analytics import services_monitoring as services
from zrunva.analytics.choices_budgets import RecommendationStatus, ReportStatus
from zrunva.analytics.forms_budgets import (
    AnswerForm,
    CloseForm,
    ProgressForm,
    RecommendationForm,
    ReportForm,
)
from zrunva.analytics.models import MonitoringReport, Recommendation
from zrunva.analytics.views_budgets import form_errors
from zrunva.core.db import replica_reads
from zrunva.core.trail import access_log, scoped_get
from zrunva.geo.models import Municipality

MONITORING_ROLES = (
    permissions.MONITORING_PUBLISH,
    permissions.RECOMMENDATIONS_ANSWER,
    permissions.ANALYTICS_VIEW,
)


def monitoring_view(view):
    """Signed-in staff who write, answer or read monitoring reports."""

    @never_cache
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not any(permissions.has_perm(request.user, perm) for perm in MONITORING_ROLES):
            permissions.require(request.user, permissions.MONITORING_PUBLISH)
        return view(request, *args, **kwargs)

    return wrapped


# -- Public --------------------------------------------------------------------------------------


@replica_reads
def open_reports(request):
    reports = selectors.published_reports()
    code = request.GET.get("municipality", "")
    municipality = Municipality.objects.filter(code=code).first() if code else None
    if municipality is not None:
        reports = reports.filter(municipality=municipality)
    places = (
        Municipality.objects.filter(monitoring_reports__status=ReportStatus.PUBLISHED)
        .distinct()
        .by_name()
    )
    return render(
        request,
        "analytics/monitoring/open_list.html",
        {"reports": reports[:200], "places": places, "chosen": municipality},
    )


@replica_reads
def open_report(request, number):
    report = get_object_or_404(selectors.published_report(number))
    return render(
        request,
        "analytics/monitoring/report.html",
        {"report": report, "base": "portal/base.html", "public": True},
    )


@replica_reads
def open_municipality(request, code):
    municipality = get_object_or_404(Municipality, code=code)
    recommendations = selectors.recommendations_of(municipality.pk)
    return render(
        request,
        "analytics/monitoring/municipality.html",
        {
            "municipality": municipality,
            "recommendations": recommendations,
            "counts": [
                (label, selectors.state_counts(recommendations)[value])
                for value, label in RecommendationStatus.choices[1:]
            ],
        },
    )


# -- Staff ---------------------------------------------------------------------------------------


@monitoring_view
def home(request):
    user = request.user
    mine = None
    if permissions.has_perm(user, permissions.MONITORING_PUBLISH):
        mine = selectors.reports_for(user).filter(organisation_id=user.organisation_id)
    to_answer = None
    if permissions.has_perm(user, permissions.RECOMMENDATIONS_ANSWER) and user.municipality_id:
        to_answer = selectors.recommendations_of(user.municipality_id)
    return render(
        request,
        "analytics/monitoring/home.html",
        {
            "mine": mine,
            "to_answer": to_answer,
            "published": selectors.published_reports()[:100],
        },
    )


def _served(user):
    return permissions.scoped(Municipality.objects.all(), user, "pk").by_name()


@monitoring_view
def report_new(request):
    permissions.require(request.user, permissions.MONITORING_PUBLISH)
    form = ReportForm(request.POST or None, municipalities=_served(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_save(actor=request.user, report=None, data=form.cleaned_data)
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("The draft report is saved: add its recommendations."))
            return redirect("analytics:monitoring_report", number=report.number)
    return render(request, "analytics/monitoring/report_form.html", {"form": form})


@monitoring_view
def report_detail(request, number):
    """A report as its organisation's monitors work on it (a draft: its text, its
    recommendations, publishing) or as other staff read it (published only)."""
    report = scoped_get(selectors.reports_for(request.user), actor=request.user, number=number)
    access_log(actor=request.user, instance=report)
    writer = services.writes_report(request.user, report)
    draft = report.status == ReportStatus.DRAFT
    form = (
        ReportForm(request.POST or None, instance=report, municipalities=_served(request.user))
        if writer and draft
        else None
    )
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            services.report_save(actor=request.user, report=report, data=form.cleaned_data)
        except ValidationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("The draft report is saved."))
            return redirect("analytics:monitoring_report", number=report.number)
    return render(
        request,
        "analytics/monitoring/report.html",
        {
            "report": report,
            "base": "base.html",
            "form": form,
            "recommendation_form": RecommendationForm() if writer and draft else None,
            "answers": services.answers_for(request.user, report.municipality_id),
        },
    )


@require_POST
@monitoring_view
def recommendation_add(request, number):
    report = get_object_or_404(MonitoringReport, number=number)
    form = RecommendationForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Write the recommendation."))
        services.recommendation_add(
            actor=request.user, report=report, text=form.cleaned_data["text"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("analytics:monitoring_report", number=report.number)


@require_POST
@monitoring_view
def recommendation_remove(request, pk):
    recommendation = get_object_or_404(Recommendation.objects.select_related("report"), pk=pk)
    try:
        services.recommendation_remove(actor=request.user, recommendation=recommendation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("analytics:monitoring_report", number=recommendation.report.number)


@require_POST
@monitoring_view
def report_publish(request, number):
    report = get_object_or_404(MonitoringReport, number=number)
    try:
        services.report_publish(actor=request.user, report=report)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("The report is published; the municipality's officers are told.")
        )
    return redirect("analytics:monitoring_report", number=report.number)


STEPS = {
    "answer": (AnswerForm, services.recommendation_answer),
    "progress": (ProgressForm, services.recommendation_progress),
    "close": (CloseForm, services.recommendation_close),
}


@monitoring_view
def recommendation_detail(request, pk):
    """A recommendation with its log; for the municipality's officers, the next step's form
    (answer, progress, close)."""
    recommendation = get_object_or_404(
        Recommendation.objects.select_related(
            "report__organisation", "report__municipality", "answered_by"
        ).exclude(status=RecommendationStatus.DRAFT),
        pk=pk,
    )
    answers = services.answers_for(request.user, recommendation.report.municipality_id)
    forms = {}
    if answers:
        status = recommendation.status
        if (status, "answer") in services.TRANSITIONS:
            forms["answer"] = AnswerForm(prefix="answer")
        if (status, "progress") in services.TRANSITIONS and recommendation.answer != "rejected":
            forms["progress"] = ProgressForm(prefix="progress")
        if (status, "close") in services.TRANSITIONS:
            forms["close"] = CloseForm(prefix="close")
    if request.method == "POST":
        services.require_answers(request.user, recommendation)
        step = request.POST.get("step", "")
        if step not in STEPS:
            step = "answer"
        form_class, service = STEPS[step]
        form = form_class(request.POST, prefix=step)
        forms[step] = form
        if form.is_valid():
            try:
                service(actor=request.user, recommendation=recommendation, **form.cleaned_data)
            except ValidationError as error:
                form_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("analytics:recommendation", pk=recommendation.pk)
    return render(
        request,
        "analytics/monitoring/recommendation.html",
        {"recommendation": recommendation, "forms": forms},
    )
