"""Reading monitoring reports and recommendations: the public sees published reports only;
an organisation's monitors their own drafts too; a municipality's officers the
recommendations addressed to them."""

from django.db.models import Count, Prefetch, Q, QuerySet

from zrunva.accounts import permissions
from zrunva.analytics.choices_budgets import RecommendationStatus, ReportStatus
from zrunva.analytics.models import MonitoringReport, Recommendation, RecommendationEvent


def _with_details(qs: QuerySet) -> QuerySet:
    return qs.select_related("organisation", "municipality", "service").prefetch_related(
        Prefetch(
            "recommendations",
            queryset=Recommendation.objects.prefetch_related(
                Prefetch("events", queryset=RecommendationEvent.objects.select_related("actor"))
            ).select_related("answered_by"),
        )
    )


def published_reports() -> QuerySet:
    """What anyone may read: published reports, never drafts."""
    return (
        MonitoringReport.objects.filter(status=ReportStatus.PUBLISHED)
        .select_related("organisation", "municipality", "service")
        .annotate(recommendation_count=Count("recommendations"))
        .order_by("-published_at", "-id")
    )


def published_report(number: str) -> QuerySet:
    return _with_details(
        MonitoringReport.objects.filter(status=ReportStatus.PUBLISHED, number=number)
    )


def reports_for(user) -> QuerySet:
    """The reports a signed-in user sees on the staff pages: published ones, and their own
    organisation's drafts for its monitors."""
    seen = Q(status=ReportStatus.PUBLISHED)
    if permissions.has_perm(user, permissions.MONITORING_PUBLISH) and user.organisation_id:
        seen |= Q(organisation_id=user.organisation_id)
    return _with_details(MonitoringReport.objects.filter(seen)).annotate(
        recommendation_count=Count("recommendations", distinct=True)
    )


def recommendations_of(municipality_id: int) -> QuerySet:
    """A municipality's recommendations from published reports, with their answers and
    progress: what its public page and its officers' list show."""
    return (
        Recommendation.objects.filter(
            report__municipality_id=municipality_id, report__status=ReportStatus.PUBLISHED
        )
        .exclude(status=RecommendationStatus.DRAFT)
        .select_related("report__organisation", "answered_by")
        .prefetch_related(
            Prefetch("events", queryset=RecommendationEvent.objects.select_related("actor"))
        )
        .order_by("-report__published_at", "report_id", "position")
    )


def state_counts(qs: QuerySet) -> dict[str, int]:
    """How many recommendations in each state (a municipality's summary)."""
    found = dict(qs.order_by().values_list("status").annotate(n=Count("id")))
    return {status: found.get(status, 0) for status in RecommendationStatus.values[1:]}
