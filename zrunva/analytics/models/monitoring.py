"""Civil society's monitoring (issue 18, item 4): an accredited organisation's report on a
municipality's social programmes or on a service, with findings and recommendations addressed
to the municipality, which answers each and reports progress until it is closed. The moves are
`analytics.monitoring`'s (one table of transitions)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zrunva.analytics.choices_budgets import (
    Answer,
    RecommendationEventKind,
    RecommendationStatus,
    ReportStatus,
    ReportSubject,
)
from zrunva.core.casework import Event


class MonitoringReport(models.Model):
    number = models.CharField(_("number"), max_length=20, unique=True)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="monitoring_reports",
        verbose_name=_("organisation"),
    )
    municipality = models.ForeignKey(
        "geo.Municipality",
        on_delete=models.PROTECT,
        related_name="monitoring_reports",
        verbose_name=_("municipality"),
    )
    subject = models.CharField(
        _("subject"), max_length=12, choices=ReportSubject.choices, default=ReportSubject.PROGRAMMES
    )
    service = models.ForeignKey(
        "services.Service",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("service"),
    )
    title = models.CharField(_("title"), max_length=300)
    period = models.CharField(
        _("period monitored"), max_length=100, blank=True, help_text=_("e.g. January–June 2026.")
    )
    findings = models.TextField(_("findings"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["-published_at", "-created_at", "-id"]
        verbose_name = _("monitoring report")
        verbose_name_plural = _("monitoring reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(subject=ReportSubject.PROGRAMMES, service__isnull=True)
                | Q(subject=ReportSubject.SERVICE, service__isnull=False),
                name="monitoring_report_service_when_about_one",
                violation_error_message=_(
                    "A report on a service names the service; one on the programmes names none."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status=ReportStatus.DRAFT, published_at__isnull=True)
                | Q(status=ReportStatus.PUBLISHED, published_at__isnull=False),
                name="monitoring_report_published_when_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.title}"


class Recommendation(models.Model):
    report = models.ForeignKey(
        MonitoringReport,
        on_delete=models.CASCADE,
        related_name="recommendations",
        verbose_name=_("report"),
    )
    position = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("recommendation"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=RecommendationStatus.choices,
        default=RecommendationStatus.DRAFT,
    )
    answer = models.CharField(_("answer"), max_length=10, choices=Answer.choices, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["report_id", "position"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "position"], name="recommendation_position_unique"
            ),
            # An answer always comes with its reasons, and a recommendation not yet answered
            # has neither.
            models.CheckConstraint(
                condition=Q(
                    status__in=[RecommendationStatus.DRAFT, RecommendationStatus.OPEN],
                    answer="",
                )
                | (
                    Q(
                        status__in=[
                            RecommendationStatus.ANSWERED,
                            RecommendationStatus.IN_PROGRESS,
                            RecommendationStatus.CLOSED,
                        ]
                    )
                    & ~Q(answer="")
                    & ~Q(reasons="")
                ),
                name="recommendation_answered_with_reasons",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report.number}/{self.position}"


class RecommendationEvent(Event):
    """The recommendation's log (the casework kit's event): published, answered, each progress
    entry (dated `on`, `final` when the work is done) and closing."""

    recommendation = models.ForeignKey(
        Recommendation,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("recommendation"),
    )
    kind = models.CharField(_("what"), max_length=10, choices=RecommendationEventKind.choices)
    on = models.DateField(_("date"), null=True, blank=True)
    final = models.BooleanField(_("final"), default=False)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("recommendation event")
        verbose_name_plural = _("recommendation events")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=RecommendationEventKind.PROGRESS, on__isnull=False)
                | (~Q(kind=RecommendationEventKind.PROGRESS) & Q(final=False)),
                name="recommendation_event_progress_dated",
            ),
        ]
