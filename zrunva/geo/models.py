from django.db import models
from django.utils.translation import gettext_lazy as _

from zrunva.core.models import BilingualNameMixin, in_language
from zrunva.core.validators import latitude_validator, longitude_validator
from zrunva.geo.choices import OfficeAgency, RegionKind, SettlementKind


class Region(BilingualNameMixin):
    iso_code = models.CharField(_("ISO 3166-2 code"), max_length=6, unique=True)
    kind = models.CharField(_("kind"), max_length=24, choices=RegionKind.choices)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")


class Municipality(BilingualNameMixin):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("region")
    )
    area_km2 = models.DecimalField(_("area, km²"), max_digits=8, decimal_places=1)
    villages = models.PositiveIntegerField(_("villages"))
    population = models.PositiveIntegerField(_("population"))
    highland_area = models.BooleanField(_("highland area"), default=False)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["name_ka"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")


class Settlement(BilingualNameMixin):
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="settlements",
        verbose_name=_("municipality"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=SettlementKind.choices)
    is_highland = models.BooleanField(_("highland settlement"), default=False)
    is_synthetic = models.BooleanField(
        _("synthetic"), default=False, help_text=_("Made by the demo data generator.")
    )
    # Where it is (WGS84), for "nearest first" in the services catalogue: filled for the 64
    # municipal centres from data/centres.csv, which cites its source per row.
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
    coordinates_source = models.CharField(
        _("source of the coordinates"), max_length=500, blank=True
    )

    class Meta:
        ordering = ["municipality__name_ka", "name_ka"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name_ka"], name="settlement_unique_name"
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__isnull=False, longitude__isnull=False),
                name="settlement_coordinates_both_or_none",
            ),
        ]
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")


class Office(BilingualNameMixin):
    code = models.SlugField(_("code"), max_length=60, unique=True)
    agency = models.CharField(_("agency"), max_length=8, choices=OfficeAgency.choices)
    municipalities = models.ManyToManyField(
        Municipality, related_name="offices", verbose_name=_("municipalities served")
    )
    # The address as written in Georgian, and in English for letters in English.
    address = models.CharField(_("address"), max_length=300, blank=True)
    address_en = models.CharField(_("address in English"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    opening_hours_ka = models.CharField(_("opening hours in Georgian"), max_length=200, blank=True)
    opening_hours_en = models.CharField(_("opening hours in English"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["agency", "name_ka"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    @property
    def address_text(self) -> str:
        return in_language(self.address, self.address_en or self.address)

    @property
    def opening_hours(self) -> str:
        return in_language(self.opening_hours_ka, self.opening_hours_en)
