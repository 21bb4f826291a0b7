"""Questionnaires: forms defined as data (`definition`), published in versions that never
change once published (a database trigger refuses it), and the responses to them, each keeping
the version it answered."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zrunva.core.models import BilingualNameMixin, in_language
from zrunva.geo.models import Municipality
from zrunva.questionnaires.choices import ResponseStatus, Subject, SurveyStatus, VersionStatus
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


class Survey(BilingualNameMixin):
    """A form put to a population: the areas it covers with a target of responses each, a
    period, and the interviewers (staff or civil-society users) assigned to areas. Its owners
    see results whole; everyone else sees every cell under `SMALL_CELL` respondents hidden."""

    form = models.ForeignKey(
        Form, on_delete=models.PROTECT, related_name="surveys", verbose_name=_("form")
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ka = models.CharField(_("name (Georgian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    population_ka = models.CharField(_("target group (Georgian)"), max_length=300, blank=True)
    population_en = models.CharField(_("target group (English)"), max_length=300, blank=True)
    subject = models.CharField(
        _("answers are about"), max_length=10, choices=Subject.choices, default=Subject.ANONYMOUS
    )
    opens = models.DateField(_("opens"))
    closes = models.DateField(_("closes"))
    status = models.CharField(
        _("status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("owners")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-opens", "name_ka"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gte=models.F("opens")), name="survey_closes_after_opens"
            ),
        ]

    population = property(lambda self: in_language(self.population_ka, self.population_en))


class SurveyArea(models.Model):
    """A municipality the survey covers and how many responses it aims for there."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="areas", verbose_name=_("survey")
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    target = models.PositiveIntegerField(_("target responses"))

    class Meta:
        ordering = ["survey", "municipality__name_ka"]
        verbose_name = _("survey area")
        verbose_name_plural = _("survey areas")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "municipality"], name="surveyarea_unique_municipality"
            ),
            models.CheckConstraint(condition=Q(target__gte=1), name="surveyarea_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.survey}: {self.municipality}"


class Assignment(models.Model):
    """An interviewer answering a survey in one of its areas."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("survey")
    )
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="survey_assignments",
        verbose_name=_("interviewer"),
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )

    class Meta:
        ordering = ["survey", "municipality__name_ka", "interviewer__username"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "interviewer", "municipality"], name="assignment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey}: {self.interviewer} ({self.municipality})"


class Response(models.Model):
    """One respondent's answers to one form version, keyed by question key. Linked to a person
    or household of the registry when the survey says so; an anonymous response holds nothing
    that identifies its respondent."""

    version = models.ForeignKey(
        FormVersion, on_delete=models.PROTECT, related_name="responses", verbose_name=_("version")
    )
    survey = models.ForeignKey(
        Survey,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
        verbose_name=_("survey"),
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
        indexes = [
            models.Index(fields=["version", "status", "municipality"]),
            models.Index(fields=["survey", "status", "municipality"]),
        ]

    def __str__(self) -> str:
        return f"{self.version} #{self.pk}"


class Tally(models.Model):
    """How many of a survey's submitted responses in a municipality gave `value` to question
    `key` (for a number, `value` is empty and `total` sums the answers). Kept in the same
    transaction as each submission, and rebuilt whole by `tallies_rebuild`, so results over a
    hundred thousand responses read a few hundred rows. `key` "" counts the responses."""

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="tallies", verbose_name=_("survey")
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    key = models.CharField(_("question"), max_length=40, blank=True)
    value = models.CharField(_("answer"), max_length=40, blank=True)
    count = models.PositiveIntegerField(_("respondents"), default=0)
    total = models.DecimalField(_("sum"), max_digits=20, decimal_places=4, default=0)

    class Meta:
        verbose_name = _("tally")
        verbose_name_plural = _("tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "municipality", "key", "value"], name="tally_unique_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} {self.municipality_id} {self.key}={self.value}: {self.count}"
