from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Collate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.core import numbers
from zrunva.core.countries import country_choices
from zrunva.core.validators import FIRST_LIFE_DAY, personal_number_validator
from zrunva.registry.choices import (
    AltIdKind,
    DisabilityDegree,
    DwellingCondition,
    DwellingTenure,
    DwellingType,
    EmploymentStatus,
    IncomeKind,
    MembershipEndReason,
    PensionKind,
    Relationship,
    RepresentativeKind,
    Sex,
)

georgian_name_validator = RegexValidator(
    r"^[\u10d0-\u10fa]+(?:[ -][\u10d0-\u10fa]+)*$",
    _("Write the name in Georgian letters (spaces and hyphens allowed)."),
)
non_negative = MinValueValidator(Decimal("0"))


class ByteOrderIndex(models.Index):
    """An index whose `Collate(..., "C")` parts read in byte order on PostgreSQL, where one such
    index serves both `LIKE 'giorgi%'` and `ORDER BY key COLLATE "C"`. SQLite compares bytes
    already and has no collation named C, so there the parts are plain columns."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        parts = [
            e.get_source_expressions()[0] if isinstance(e, Collate) else e for e in self.expressions
        ]
        plain = models.Index(*parts, name=self.name)
        return plain.create_sql(model, schema_editor, using=using, **kwargs)


class Household(models.Model):
    """A family registered for social protection, with the dwelling and assets the means test reads."""

    municipality = models.ForeignKey(
        "geo.Municipality",
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("municipality"),
    )
    settlement = models.ForeignKey(
        "geo.Settlement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("settlement"),
    )
    address = models.CharField(_("address"), max_length=300)
    dwelling_type = models.CharField(
        _("dwelling type"), max_length=20, choices=DwellingType.choices, default=DwellingType.HOUSE
    )
    dwelling_tenure = models.CharField(
        _("tenure"), max_length=16, choices=DwellingTenure.choices, default=DwellingTenure.OWNED
    )
    dwelling_condition = models.CharField(
        _("dwelling condition"),
        max_length=8,
        choices=DwellingCondition.choices,
        default=DwellingCondition.FAIR,
    )
    rooms = models.PositiveSmallIntegerField(
        _("rooms"), default=1, validators=[MaxValueValidator(100)]
    )
    floor_area_m2 = models.DecimalField(
        _("floor area, m²"),
        max_digits=7,
        decimal_places=1,
        default=Decimal("0"),
        validators=[non_negative],
    )
    has_gas = models.BooleanField(_("gas supply"), default=False)
    has_piped_water = models.BooleanField(_("piped water"), default=False)
    has_sewerage = models.BooleanField(_("sewerage"), default=False)
    monthly_utility_spending = models.DecimalField(
        _("monthly utility spending, GEL"),
        max_digits=9,
        decimal_places=2,
        default=Decimal("0"),
        validators=[non_negative],
    )
    extra_dwellings = models.PositiveSmallIntegerField(
        _("other dwellings owned"), default=0, validators=[MaxValueValidator(100)]
    )
    agricultural_land_ha = models.DecimalField(
        _("agricultural land, ha"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[non_negative],
    )
    cattle = models.PositiveSmallIntegerField(
        _("cattle"), default=0, validators=[MaxValueValidator(10_000)]
    )
    small_livestock = models.PositiveSmallIntegerField(
        _("sheep, goats and pigs"), default=0, validators=[MaxValueValidator(10_000)]
    )
    cars = models.PositiveSmallIntegerField(
        _("cars"), default=0, validators=[MaxValueValidator(100)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Set (with is_active off) when the household is merged into another by the integration
    # app's merge, which moves its members and records there; cleared by the merge's undo.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return f"{_('Household')} №{self.pk}"

    def clean(self):
        if (
            self.settlement_id
            and self.municipality_id
            and self.settlement.municipality_id != self.municipality_id
        ):
            raise ValidationError(
                {"settlement": _("This settlement is not in the chosen municipality.")}
            )


class Person(models.Model):
    """Someone in the registry, identified by a personal number or, lacking one, another document."""

    personal_number = models.CharField(
        _("personal number"),
        max_length=11,
        unique=True,
        null=True,
        blank=True,
        validators=[personal_number_validator],
        error_messages={"unique": _("Another person already has this personal number.")},
    )
    alt_id_kind = models.CharField(
        _("other identity document"), max_length=20, choices=AltIdKind.choices, blank=True
    )
    alt_id_number = models.CharField(_("document number"), max_length=30, blank=True)
    first_name = models.CharField(
        _("first name"), max_length=60, validators=[georgian_name_validator]
    )
    last_name = models.CharField(
        _("last name"), max_length=60, validators=[georgian_name_validator]
    )
    first_name_latin = models.CharField(_("first name (Latin)"), max_length=120, editable=False)
    last_name_latin = models.CharField(_("last name (Latin)"), max_length=120, editable=False)
    # Normalised Latin keys for search: "first last" and "last first", no apostrophes.
    name_key = models.CharField(max_length=240, editable=False)
    name_key_rev = models.CharField(max_length=240, editable=False)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    citizenship = models.CharField(
        _("citizenship"),
        max_length=2,
        default="GE",
        # Stored as the code; shown (and offered in forms) by the country's name.
        choices=country_choices,
        validators=[
            RegexValidator(r"^[A-Z]{2}$", _("Use a two-letter ISO country code, XX if stateless."))
        ],
    )
    disability_degree = models.CharField(
        _("disability status"),
        max_length=12,
        choices=DisabilityDegree.choices,
        default=DisabilityDegree.NONE,
    )
    chronic_illness = models.BooleanField(_("chronic illness"), default=False)
    is_idp = models.BooleanField(_("internally displaced person"), default=False)
    pension_kind = models.CharField(
        _("pension"), max_length=10, choices=PensionKind.choices, default=PensionKind.NONE
    )
    pension_amount = models.DecimalField(
        _("monthly pension, GEL"),
        max_digits=9,
        decimal_places=2,
        default=Decimal("0"),
        validators=[non_negative],
    )
    employment_status = models.CharField(
        _("employment"),
        max_length=16,
        choices=EmploymentStatus.choices,
        default=EmploymentStatus.INACTIVE,
    )
    date_of_death = models.DateField(_("date of death"), null=True, blank=True)
    # The current household's municipality, copied here by the registry services so that a
    # scoped name search reads one index (municipality, key, id) instead of joining households.
    municipality = models.ForeignKey(
        "geo.Municipality",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("current municipality"),
    )
    # Set when the person is merged into another record of the same human (the integration
    # app's merge): the row and its history stay, but lists, searches, counts and the columns
    # read by runs leave it out, and its page points to the survivor. Cleared by an undo.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # partial index below: merged people are few
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            # A merged record may have given its identifier to the survivor.
            models.CheckConstraint(
                condition=Q(personal_number__isnull=False)
                | (~Q(alt_id_kind="") & ~Q(alt_id_number=""))
                | Q(merged_into__isnull=False),
                name="person_has_identifier",
                violation_error_message=_(
                    "Give a personal number, or another identity document and its number."
                ),
            ),
            models.UniqueConstraint(
                fields=["alt_id_kind", "alt_id_number"],
                condition=~Q(alt_id_number=""),
                name="person_unique_alt_id",
                violation_error_message=_("Another person already has this identity document."),
            ),
        ]
        indexes = [
            # Name search (selectors.person_list) reads each key's matches in order, a page at a
            # time: prefix match and order come from one byte-ordered (key, id) index per key.
            ByteOrderIndex(Collate("name_key", "C"), "id", name="person_name_key_c_idx"),
            ByteOrderIndex(Collate("name_key_rev", "C"), "id", name="person_name_key_rev_c_idx"),
            ByteOrderIndex(
                "municipality", Collate("name_key", "C"), "id", name="person_mun_name_key_c_idx"
            ),
            ByteOrderIndex(
                "municipality",
                Collate("name_key_rev", "C"),
                "id",
                name="person_mun_name_key_rev_c_idx",
            ),
            models.Index(
                fields=["personal_number"],
                name="person_pn_prefix_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(
                fields=["merged_into"],
                condition=Q(merged_into__isnull=False),
                name="person_merged_into_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def clean(self):
        errors = {}
        today = timezone.localdate()
        if self.birth_date and self.birth_date > today:
            errors["birth_date"] = _("The birth date cannot be in the future.")
        if self.birth_date and self.birth_date < FIRST_LIFE_DAY:
            errors["birth_date"] = _("The birth date cannot be before 1900.")
        if self.date_of_death and self.birth_date and self.date_of_death < self.birth_date:
            errors["date_of_death"] = _("The date of death cannot precede the birth date.")
        if self.date_of_death and self.date_of_death > today:
            errors["date_of_death"] = _("The date of death cannot be in the future.")
        if bool(self.alt_id_kind) != bool(self.alt_id_number):
            errors["alt_id_number"] = _("Give both the document kind and its number.")
        if not self.personal_number and not self.alt_id_number:
            errors["personal_number"] = _(
                "Give a personal number, or another identity document and its number."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def full_name_latin(self) -> str:
        return f"{self.first_name_latin} {self.last_name_latin}"

    @property
    def identifier(self) -> str:
        if self.personal_number:
            return self.personal_number
        if not self.alt_id_number:  # a merged record that gave its number to the survivor
            return ""
        return f"{self.get_alt_id_kind_display()} {self.alt_id_number}"


class Membership(models.Model):
    """A person's place in a household over a period. Moves and splits end one and start another."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("household")
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("person")
    )
    relationship = models.CharField(
        _("relationship to the head"), max_length=16, choices=Relationship.choices
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    end_reason = models.CharField(
        _("reason it ended"), max_length=8, choices=MembershipEndReason.choices, blank=True
    )

    class Meta:
        ordering = ["household_id", "start_date", "id"]
        verbose_name = _("household membership")
        verbose_name_plural = _("household memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(end_date__isnull=True),
                name="membership_one_current_household",
                violation_error_message=_("This person already belongs to another household."),
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(end_date__isnull=True, relationship="head"),
                name="membership_one_head",
                violation_error_message=_("The household already has a head."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="membership_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_relationship_display()} ({self.household})"

    def get_additional_data(self) -> dict:
        # Stored on each audit row so a history can find rows of records since deleted.
        return {"person_id": self.person_id, "household_id": self.household_id}


class IncomeSource(models.Model):
    """A person's regular income, counted by the means test from `since` (if given) until the
    day before `until`: the period is half-open, like a membership's, so an income ended on a
    day is not counted on that day (`columns.joined_frames`, `snapshot.frames`)."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="incomes", verbose_name=_("person")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=IncomeKind.choices)
    monthly_amount = models.DecimalField(
        _("monthly amount, GEL"), max_digits=10, decimal_places=2, validators=[non_negative]
    )
    since = models.DateField(_("since"), null=True, blank=True)
    # Set only by services.income_end: an ended income stays on record, with its history.
    until = models.DateField(
        _("ended on"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The first day the income is no longer received."),
    )

    class Meta:
        ordering = ["person_id", "kind"]
        verbose_name = _("income source")
        verbose_name_plural = _("income sources")
        constraints = [
            models.CheckConstraint(condition=Q(monthly_amount__gte=0), name="income_non_negative"),
            models.CheckConstraint(
                condition=Q(until__isnull=True)
                | Q(since__isnull=True)
                | Q(until__gte=models.F("since")),
                name="income_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {numbers.money(self.monthly_amount)}"

    def clean(self):
        # Keyed on `since`, the field an edit can change (`until` is services.income_end's,
        # which checks its own date first and names it).
        if self.until and self.since and self.until < self.since:
            raise ValidationError(
                {
                    "since": _("The income cannot begin after it ended (%(until)s).")
                    % {"until": self.until.strftime("%d.%m.%Y")}
                }
            )

    def get_additional_data(self) -> dict:
        return {"person_id": self.person_id}


class Representative(models.Model):
    """Someone who may act for a person: a guardian, a supporter or an authorised person."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="representatives", verbose_name=_("person")
    )
    representative = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="represents",
        verbose_name=_("representative"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RepresentativeKind.choices)
    basis = models.CharField(
        _("legal basis"),
        max_length=200,
        help_text=_("Court decision, notarised power of attorney or guardianship act number."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["person_id", "valid_from"]
        verbose_name = _("representative")
        verbose_name_plural = _("representatives")
        constraints = [
            models.CheckConstraint(
                condition=~Q(person=models.F("representative")),
                name="representative_not_self",
                violation_error_message=_("A person cannot represent themself."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.representative} → {self.person} ({self.get_kind_display()})"

    def get_additional_data(self) -> dict:
        return {"person_id": self.person_id}
