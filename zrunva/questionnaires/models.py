"""Questionnaires: forms defined as data (`definition`), published in versions that never
change once published (a database trigger refuses it), and the responses to them, each keeping
the version it answered."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zrunva.core.models import BilingualNameMixin, in_language
from zrunva.geo.models import Municipality
from zrunva.questionnaires.choices import ResponseStatus, VersionStatus
from zrunva.registry.models import Household, Person


class Form(BilingualNameMixin):
    """A questionnaire, by a stable code; its questions live in its versions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ka = models.CharField(_("name (Georgian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_ka = models.TextField(_("description (Georgian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    source_ka = models.TextField(_("source (Georgian)"), blank=True)
    source_en = models.TextField(
        _("source (English)"), blank=True, help_text=_("The instruments it draws on.")
    )
    illustrative = models.BooleanField(_("illustrative"), default=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name_ka"]
        verbose_name = _("form")
        verbose_name_plural = _("forms")

    description = property(lambda self: in_language(self.description_ka, self.description_en))
    source = property(lambda self: in_language(self.source_ka, self.source_en))


class FormVersion(models.Model):
    """One version of a form's questions. A draft is edited; once published it never changes
    (nor goes back to draft, nor is deleted): answers keep the version they answered."""

    form = models.ForeignKey(
        Form, on_delete=models.PROTECT, related_name="versions", verbose_name=_("form")
    )
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("questions"))
    status = models.CharField(
        _("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["form", "-number"]
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="formversion_unique_number"),
            # One draft at a time: the next version is edited in one place.
            models.UniqueConstraint(
                fields=["form"],
                condition=Q(status=VersionStatus.DRAFT),
                name="formversion_one_draft",
            ),
            models.CheckConstraint(
                condition=Q(status=VersionStatus.DRAFT) | Q(published_at__isnull=False),
                name="formversion_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.form} v{self.number}"


class Response(models.Model):
    """One respondent's answers to one form version, keyed by question key. Linked to a person
    or household of the registry when the survey says so; an anonymous response holds nothing
    that identifies its respondent."""

    version = models.ForeignKey(
        FormVersion, on_delete=models.PROTECT, related_name="responses", verbose_name=_("version")
    )
    answers = models.JSONField(_("answers"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("municipality"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ResponseStatus.DRAFT) | Q(submitted_at__isnull=False),
                name="response_submitted_has_date",
            ),
        ]
        indexes = [models.Index(fields=["version", "status", "municipality"])]

    def __str__(self) -> str:
        return f"{self.version} #{self.pk}"
