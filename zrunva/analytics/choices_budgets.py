"""Choices of the municipal social budgets and civil society's monitoring (issue 18, items 3
and 4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Checked, not yet written")
    COMMITTED = "committed", _("Written")


class ReportSubject(models.TextChoices):
    PROGRAMMES = "programmes", _("The municipality's social programmes")
    SERVICE = "service", _("A social service")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class RecommendationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Waiting for an answer")
    ANSWERED = "answered", _("Answered")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


class Answer(models.TextChoices):
    # A municipality's answer to a recommendation (in Georgian "shared", not an application's
    # "accepted").
    ACCEPTED = "accepted", pgettext_lazy("recommendation answer", "Accepted")
    PARTLY = "partly", pgettext_lazy("recommendation answer", "Partly accepted")
    REJECTED = "rejected", pgettext_lazy("recommendation answer", "Rejected")


class RecommendationEventKind(models.TextChoices):
    PUBLISHED = "published", _("Published")
    ANSWERED = "answered", _("Answered")
    PROGRESS = "progress", _("Progress reported")
    CLOSED = "closed", _("Closed")
