from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zrunva.core.models import in_language


class ScoringModel(models.Model):
    """A version of the rating-score methodology: weights per variable, as data.

    Georgia's proxy means test (Government Decree №758 of 31 Dec 2014) keeps its coefficients
    unpublished; shipped weights are illustrative and each version names its source.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    valid_from = models.DateField(_("valid from"))
    intercept = models.DecimalField(_("intercept"), max_digits=12, decimal_places=2)
    weights = models.JSONField(_("weights"), help_text=_("Points per unit of each variable."))
    source = models.CharField(_("legal source"), max_length=300)
    # The same citation for Georgian pages (as Programme.legal_basis_ka).
    source_ka = models.CharField(_("legal source in Georgian"), max_length=300, blank=True)
    illustrative = models.BooleanField(_("illustrative"), default=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")

    def __str__(self) -> str:
        return f"{self.code} ({self.valid_from})"

    @property
    def source_text(self) -> str:
        """The legal source in the active language."""
        return in_language(self.source_ka or self.source, self.source)


class Assessment(models.Model):
    """A declaration and home visit: the variables of the means test as found on the day, and the
    rating score they gave under the scoring model then in force."""

    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("household"),
    )
    visit_date = models.DateField(_("home visit date"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("social agent"),
    )
    scoring_model = models.ForeignKey(
        ScoringModel, on_delete=models.PROTECT, related_name="+", verbose_name=_("scoring model")
    )
    variables = models.JSONField(_("variables"))
    score = models.PositiveIntegerField(_("rating score"))
    reassessment_due = models.DateField(_("re-assessment due"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["household_id", "-visit_date", "-id"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        indexes = [
            models.Index(fields=["household", "-visit_date"], name="assessment_latest_idx"),
            models.Index(fields=["reassessment_due"], name="assessment_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.household} — {self.score} ({self.visit_date})"

    def get_additional_data(self) -> dict:
        return {"household_id": self.household_id}
