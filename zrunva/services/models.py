"""The catalogue of social services: who provides them (`Provider`), what they offer where and
to whom (`Service`), from the managed lists of service types and target groups. Both are
reviewed records (`core.revisions`): a provider's staff propose, an approver publishes."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zrunva.accounts.models import Organisation
from zrunva.core import hours
from zrunva.core.models import BilingualNameMixin, in_language
from zrunva.core.romanisation import search_key
from zrunva.core.validators import (
    identification_code_validator,
    latitude_validator,
    longitude_validator,
    phone_validator,
)
from zrunva.geo.models import Municipality, Settlement
from zrunva.services.choices import Cost, Language, ProviderKind

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
            # The public services with their own point near a centre (selectors.nearest_first).
            models.Index(
                fields=["latitude", "longitude"],
                condition=Q(published=True),
                name="service_public_point",
            ),
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
