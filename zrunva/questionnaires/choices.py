from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Subject(models.TextChoices):
    """Whom a survey's answers are about: nobody identifiable, or a registry person or household."""

    ANONYMOUS = "anonymous", _("Nobody: anonymous answers")
    PERSON = "person", _("A person in the registry")
    HOUSEHOLD = "household", _("A household in the registry")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
