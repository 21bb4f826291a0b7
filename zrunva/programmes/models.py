from django.db import models
from django.utils.translation import gettext_lazy as _

from zrunva.core.models import BilingualNameMixin


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
