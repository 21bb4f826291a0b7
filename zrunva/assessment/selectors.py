from datetime import date

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from zrunva.accounts import permissions
from zrunva.assessment.models import Assessment, ScoringModel
from zrunva.registry.models import Household


def scoring_model_on(on: date) -> ScoringModel | None:
    return ScoringModel.objects.filter(valid_from__lte=on).order_by("-valid_from").first()


def score_history(*, actor, household: Household) -> QuerySet[Assessment]:
    """A household's assessments, newest first (the caller has already read the household
    through registry.selectors, which checks scope and audits the read)."""
    permissions.require(actor, permissions.REGISTRY_VIEW)
    return household.assessments.select_related("assessor", "scoring_model").order_by(
        "-visit_date", "-id"
    )


def households_due(*, actor, on: date) -> QuerySet[Household]:
    """Active households in the actor's area never assessed, or whose latest assessment's
    re-assessment date has come; oldest due first."""
    permissions.require(actor, permissions.REGISTRY_VIEW)
    latest = Assessment.objects.filter(household=OuterRef("pk")).order_by("-visit_date", "-id")
    qs = permissions.scoped(
        Household.objects.filter(is_active=True).select_related("municipality"), actor
    ).annotate(
        due=Subquery(latest.values("reassessment_due")[:1]),
        last_score=Subquery(latest.values("score")[:1]),
    )
    # Never assessed first: they have no score at all.
    return qs.filter(Q(due__isnull=True) | Q(due__lte=on)).order_by(
        F("due").asc(nulls_first=True), "id"
    )
