from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from zrunva.core.models import BilingualNameMixin
from zrunva.programmes.choices import ProgrammeLevel


class Parameter(BilingualNameMixin):
    """A named figure rules refer to as `param.<code>`: a threshold, an amount, an age limit.

    Its value changes by law over time; each value is a ParameterValue from a date on.
    A municipal parameter belongs to one municipality's programmes.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    municipality = models.ForeignKey(
        "geo.Municipality",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("parameter")
        verbose_name_plural = _("parameters")

    def __str__(self) -> str:
        return self.code


class ParameterValue(models.Model):
    """The value a parameter has from `valid_from` until the next value's date."""

    parameter = models.ForeignKey(
        Parameter, on_delete=models.PROTECT, related_name="values", verbose_name=_("parameter")
    )
    valid_from = models.DateField(_("valid from"))
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    source = models.CharField(
        _("legal source"), max_length=300, help_text=_("The act, article or publication.")
    )
    illustrative = models.BooleanField(
        _("illustrative"),
        default=False,
        help_text=_("Not confirmed from a public source; shown as illustrative and editable."),
    )

    class Meta:
        ordering = ["parameter__code", "valid_from"]
        verbose_name = _("parameter value")
        verbose_name_plural = _("parameter values")
        constraints = [
            models.UniqueConstraint(
                fields=["parameter", "valid_from"],
                name="parameter_value_one_per_date",
                violation_error_message=_("This parameter already has a value from this date."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.parameter.code} = {self.value.normalize():f} ({self.valid_from})"


class Programme(BilingualNameMixin):
    """A benefit as data: who is eligible (`criteria`, a yes/no rule) and how much they get a
    month (`formula`, a number rule in GEL), both in the rule language of `expressions`, reading
    the attributes of `attributes` and `param.<code>` parameters. The formula is evaluated for
    beneficiaries who meet the criteria. A municipal programme is its council's, with its budget;
    a state programme has no municipality."""

    code = models.SlugField(
        _("code"),
        max_length=60,
        unique=True,
        error_messages={"unique": _("Another programme already has this code.")},
    )
    level = models.CharField(
        _("beneficiary"),
        max_length=10,
        choices=ProgrammeLevel.choices,
        help_text=_("Whom the programme pays: a household or a person."),
    )
    criteria = models.TextField(
        _("eligibility criteria"), help_text=_("A rule that gives yes or no.")
    )
    formula = models.TextField(
        _("benefit formula"), help_text=_("A rule that gives the monthly amount in GEL.")
    )
    legal_basis = models.TextField(
        _("legal basis"), help_text=_("The acts and publications the rules come from.")
    )
    municipality = models.ForeignKey(
        "geo.Municipality",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programmes",
        verbose_name=_("municipality"),
        help_text=_("Empty for a state programme."),
    )
    budget = models.DecimalField(
        _("annual budget, GEL"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("For a municipal programme: the budget its council adopted for the year."),
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    illustrative = models.BooleanField(
        _("illustrative"),
        default=False,
        help_text=_("Not confirmed from a public source; shown as illustrative and editable."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="programme_dates_ordered",
                violation_error_message=_("A programme cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                name="programme_budget_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"
