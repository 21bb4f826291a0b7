"""The catalogue of social services: who provides them (`Provider`), what they offer where and
to whom (`Service`), from the managed lists of service types and target groups. Both are
reviewed records (`core.revisions`): a provider's staff propose, an approver publishes."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.accounts.models import Organisation
from zrunva.core import hours
from zrunva.core.models import BilingualNameMixin, in_language
from zrunva.core.romanisation import search_key
from zrunva.core.validators import (
    day_in_range,
    identification_code_validator,
    latitude_validator,
    longitude_validator,
    phone_validator,
)
from zrunva.geo.models import Municipality, Settlement
from zrunva.services.choices import ActionStatus, AssessmentStatus, Cost, Language, ProviderKind

TEXT = [MaxLengthValidator(4000)]


class ManagedList(BilingualNameMixin):
    """An entry of a list administrators manage (in the admin), by a stable code."""

    code = models.SlugField(_("code"), max_length=40, unique=True)

    class Meta:
        abstract = True
        ordering = ["name_ka"]


class ServiceType(ManagedList):
    """A kind of service (day care, home care, …)."""

    class Meta(ManagedList.Meta):
        verbose_name = _("service type")
        verbose_name_plural = _("service types")


class TargetGroup(ManagedList):
    """Who a service is for (children with disabilities, the elderly, …)."""

    class Meta(ManagedList.Meta):
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")


class Provider(BilingualNameMixin):
    """An organisation that provides services: its legal name in both languages, its
    identification code, contacts and head office. Its staff (users of `organisation`) edit
    its entries; a municipal provider is approved by its municipality's officers."""

    name_ka = models.CharField(_("legal name (Georgian)"), max_length=200)
    name_en = models.CharField(_("legal name (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=ProviderKind.choices)
    identification_code = models.CharField(
        _("identification code"),
        max_length=9,
        unique=True,
        validators=[identification_code_validator],
        help_text=_("Nine digits, from the public registry (NAPR)."),
    )
    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="provider",
        verbose_name=_("organisation whose staff edit it"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="providers",
        verbose_name=_("municipality of the head office"),
    )
    address_ka = models.CharField(_("address (Georgian)"), max_length=300)
    address_en = models.CharField(_("address (English)"), max_length=300)
    phone = models.CharField(_("phone"), max_length=30, validators=[phone_validator])
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    published = models.BooleanField(_("public"), default=False, editable=False)
    # Both names as lower-case Latin (core.romanisation), for search in either script.
    search_key = models.CharField(max_length=1000, editable=False, default="")

    class Meta:
        ordering = ["name_ka"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")

    @property
    def address(self) -> str:
        return in_language(self.address_ka, self.address_en)

    def save(self, *args, **kwargs):
        self.search_key = f"{search_key(self.name_ka)} {search_key(self.name_en)}"
        super().save(*args, **kwargs)


class Service(BilingualNameMixin):
    """A service a provider offers at one place: what, for whom, on what terms, when, with
    what access, and how many places it has."""

    name_ka = models.CharField(_("name (Georgian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="services", verbose_name=_("provider")
    )
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type")
    )
    target_groups = models.ManyToManyField(
        TargetGroup, related_name="+", verbose_name=_("for whom")
    )
    description_ka = models.TextField(_("description (Georgian)"), validators=TEXT)
    description_en = models.TextField(_("description (English)"), validators=TEXT)
    eligibility_ka = models.TextField(_("who may use it (Georgian)"), validators=TEXT)
    eligibility_en = models.TextField(_("who may use it (English)"), validators=TEXT)
    how_to_apply_ka = models.TextField(_("how to apply (Georgian)"), validators=TEXT)
    how_to_apply_en = models.TextField(_("how to apply (English)"), validators=TEXT)
    referral_required = models.BooleanField(_("a referral is needed"), default=False)
    cost = models.CharField(_("cost"), max_length=12, choices=Cost.choices)
    cost_note_ka = models.CharField(_("cost, details (Georgian)"), max_length=300, blank=True)
    cost_note_en = models.CharField(_("cost, details (English)"), max_length=300, blank=True)
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    admitted = models.PositiveIntegerField(_("people using it now"), default=0)
    waiting = models.PositiveIntegerField(_("people waiting for a place"), default=0)
    opening_hours = models.JSONField(
        _("opening hours"), default=list, blank=True, validators=[hours.hours_validator]
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    step_free = models.BooleanField(_("step-free entrance"), default=False)
    accessible_toilet = models.BooleanField(_("accessible toilet"), default=False)
    sign_language = models.BooleanField(_("sign language"), default=False)
    easy_read = models.BooleanField(_("easy-read materials"), default=False)
    accessible_parking = models.BooleanField(_("accessible parking"), default=False)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="services",
        verbose_name=_("municipality"),
    )
    settlement = models.ForeignKey(
        Settlement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("settlement"),
    )
    address_ka = models.CharField(_("address (Georgian)"), max_length=300)
    address_en = models.CharField(_("address (English)"), max_length=300)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[latitude_validator],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[longitude_validator],
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[phone_validator])
    email = models.EmailField(_("e-mail"), blank=True)
    published = models.BooleanField(_("public"), default=False, editable=False)
    search_key = models.CharField(max_length=1000, editable=False, default="")

    class Meta:
        ordering = ["name_ka"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(admitted__lte=models.F("capacity")),
                name="service_admitted_within_capacity",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="service_coordinates_both_or_none",
            ),
        ]
        indexes = [
            models.Index(fields=["published", "municipality"]),
        ]

    @property
    def address(self) -> str:
        return in_language(self.address_ka, self.address_en)

    def save(self, *args, **kwargs):
        self.search_key = f"{search_key(self.name_ka)} {search_key(self.name_en)}"
        super().save(*args, **kwargs)

    # The texts in the active language.
    description = property(lambda self: in_language(self.description_ka, self.description_en))
    eligibility = property(lambda self: in_language(self.eligibility_ka, self.eligibility_en))
    how_to_apply = property(lambda self: in_language(self.how_to_apply_ka, self.how_to_apply_en))
    cost_note = property(lambda self: in_language(self.cost_note_ka, self.cost_note_en))

    @property
    def language_names(self) -> list[str]:
        """The languages spoken, by their names in the active language."""
        names = dict(Language.choices)
        return [str(names.get(code, code)) for code in self.languages]

    @property
    def has_places(self) -> bool:
        return self.capacity is not None and self.admitted < self.capacity

    def clean(self):
        errors = {}
        if self.capacity is not None and self.admitted > self.capacity:
            errors["capacity"] = _(
                "The places (%(capacity)s) are fewer than the people using it now (%(admitted)s)."
            ) % {"capacity": self.capacity, "admitted": self.admitted}
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = _("Give both the latitude and the longitude, or neither.")
        if (
            self.settlement_id
            and self.municipality_id
            and self.settlement.municipality_id != self.municipality_id
        ):
            errors["settlement"] = _("This settlement is not in the chosen municipality.")
        bad = [code for code in self.languages if code not in Language.values]
        if bad:
            errors["languages"] = _("Unknown language: %(codes)s.") % {"codes": ", ".join(bad)}
        if errors:
            raise ValidationError(errors)


# -- Service standards and assessments against them -------------------------------------------


class Standard(BilingualNameMixin):
    """A rights-based standard services are assessed against: a checklist kept in versions
    (`StandardVersion`), with its sources, and the service types and target groups it is
    written for (none: any)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ka = models.CharField(_("name (Georgian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    source_ka = models.TextField(_("sources (Georgian)"), validators=TEXT)
    source_en = models.TextField(_("sources (English)"), validators=TEXT)
    service_types = models.ManyToManyField(
        ServiceType, blank=True, related_name="+", verbose_name=_("service types")
    )
    target_groups = models.ManyToManyField(
        TargetGroup, blank=True, related_name="+", verbose_name=_("target groups")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("standard")
        verbose_name_plural = _("standards")

    source = property(lambda self: in_language(self.source_ka, self.source_en))


class StandardVersion(models.Model):
    """One version of a standard's checklist. Assessments use published versions only, and a
    published version is frozen: its areas and criteria no longer change (a change is a new
    version), so that every assessment reads against the text it was made with."""

    standard = models.ForeignKey(
        Standard, on_delete=models.PROTECT, related_name="versions", verbose_name=_("standard")
    )
    number = models.PositiveSmallIntegerField(_("version"), validators=[MinValueValidator(1)])
    valid_from = models.DateField(_("valid from"))
    published = models.BooleanField(_("published"), default=False)

    class Meta:
        ordering = ["standard", "-number"]
        verbose_name = _("standard version")
        verbose_name_plural = _("standard versions")
        constraints = [
            models.UniqueConstraint(fields=["standard", "number"], name="standard_version_unique")
        ]

    def __str__(self) -> str:
        return _("%(standard)s, version %(number)s") % {
            "standard": self.standard.name,
            "number": self.number,
        }

    def clean(self):
        if self.pk and StandardVersion.objects.filter(pk=self.pk, published=True).exists():
            raise ValidationError(_("This version is published: make a new version to change it."))


def _frozen_check(version: StandardVersion | None) -> None:
    if version is not None and version.published:
        raise ValidationError(_("This version is published: make a new version to change it."))


class Area(BilingualNameMixin):
    """An area of a standard's version (choice and control, accessibility, …), in order."""

    version = models.ForeignKey(
        StandardVersion, on_delete=models.CASCADE, related_name="areas", verbose_name=_("version")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    name_ka = models.CharField(_("name (Georgian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        ordering = ["version", "order"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [models.UniqueConstraint(fields=["version", "order"], name="area_order")]

    def clean(self):
        _frozen_check(getattr(self, "version", None))


class Criterion(models.Model):
    """One criterion of an area: what is checked, how to score it, and its highest score (a
    0-to-3 scale by default: 0 not met, 1 partly, 2 mostly, 3 fully)."""

    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("area")
    )
    order = models.PositiveSmallIntegerField(_("order"))
    text_ka = models.TextField(_("criterion (Georgian)"), validators=TEXT)
    text_en = models.TextField(_("criterion (English)"), validators=TEXT)
    guidance_ka = models.TextField(_("scoring guidance (Georgian)"), validators=TEXT)
    guidance_en = models.TextField(_("scoring guidance (English)"), validators=TEXT)
    max_score = models.PositiveSmallIntegerField(
        _("highest score"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )

    class Meta:
        ordering = ["area", "order"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(fields=["area", "order"], name="criterion_order"),
            models.CheckConstraint(
                condition=Q(max_score__gte=1, max_score__lte=10), name="criterion_max_score"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    text = property(lambda self: in_language(self.text_ka, self.text_en))
    guidance = property(lambda self: in_language(self.guidance_ka, self.guidance_en))

    def clean(self):
        area = getattr(self, "area", None)
        _frozen_check(area.version if area is not None else None)


def score_check(score: int | None, maximum: int) -> None:
    """A criterion's score: a whole number from 0 to the criterion's highest score. The one rule
    for the model, the form and the service, with the same message."""
    if score is None:
        return
    if not 0 <= score <= maximum:
        raise ValidationError(
            _("Give a score from 0 to %(max)s."), code="score_out_of_range", params={"max": maximum}
        )


def visit_date_check(value) -> None:
    """A monitoring visit's date: not in the future, and in the range dates are kept in."""
    day_in_range(value)
    if value > timezone.localdate():
        raise ValidationError(_("The visit date cannot be in the future."), code="visit_future")


class Assessment(models.Model):
    """A monitoring visit's assessment of a service against a published standard version: a
    score and evidence per criterion, documents, and an improvement plan. Written as a draft by
    its assessor; once submitted it is frozen (only its improvement plan is followed)."""

    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("service")
    )
    version = models.ForeignKey(
        StandardVersion,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("standard"),
    )
    visit_date = models.DateField(_("date of the visit"), validators=[visit_date_check])
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assessor"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
        editable=False,
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-visit_date", "-id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        indexes = [models.Index(fields=["service", "status", "visit_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="assessment_submitted_has_time",
            )
        ]

    def __str__(self) -> str:
        return _("%(service)s, %(date)s") % {
            "service": self.service.name,
            "date": self.visit_date.isoformat(),
        }

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT


class Score(models.Model):
    """An assessment's score on one criterion, with the evidence for it (what was seen, read or
    heard). No score yet: a draft not finished."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="scores", verbose_name=_("assessment")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion")
    )
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), blank=True, validators=TEXT)

    class Meta:
        ordering = ["criterion__area__order", "criterion__order"]
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="score_unique")
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}: {self.score}"

    def clean(self):
        try:
            score_check(self.score, self.criterion.max_score)
        except ValidationError as error:
            raise ValidationError({"score": error.messages}) from error


def _private_storage():
    # Outside MEDIA_ROOT and STATIC_ROOT: no URL reaches these files; a staff view serves them.
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def _document_path(document, filename: str) -> str:
    # The sender's file name is kept in the row, never in the path.
    return f"assessments/{document.assessment_id}/{uuid.uuid4().hex}"


class AssessmentDocument(models.Model):
    """A document attached to an assessment (a photo, a scanned record): checked as applicants'
    documents are (`applications.documents.document_check`), served only to staff."""

    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("assessment"),
    )
    file = models.FileField(_("file"), storage=_private_storage, upload_to=_document_path)
    name = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("type"), max_length=5)
    size = models.PositiveIntegerField(_("size, bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        ordering = ["assessment_id", "uploaded_at", "id"]
        verbose_name = _("assessment document")
        verbose_name_plural = _("assessment documents")

    def __str__(self) -> str:
        return self.name


class ImprovementAction(models.Model):
    """An action of an assessment's improvement plan: what is to be done, by whom, by when; done
    on a date, with a note. The plan is closed when every action is done."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="actions", verbose_name=_("assessment")
    )
    text = models.TextField(_("action"), validators=TEXT)
    responsible = models.CharField(_("responsible"), max_length=200)
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"),
        max_length=5,
        choices=ActionStatus.choices,
        default=ActionStatus.OPEN,
        editable=False,
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    done_note = models.TextField(_("note on what was done"), blank=True, validators=TEXT)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("added by"),
    )

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", done_on__isnull=True)
                | Q(status="done", done_on__isnull=False),
                name="action_done_has_date",
            )
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.status == ActionStatus.OPEN and self.due_date < timezone.localdate()
