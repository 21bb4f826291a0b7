"""Municipal social budgets (issue 18, item 3): what a municipality's council planned to spend
on each social programme in a year. The executed amount is never stored: it is read from the
payments (`analytics.budgets.execution`)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zrunva.analytics.choices_budgets import ImportStatus
from zrunva.core.models import in_language

FIRST_YEAR, LAST_YEAR = 2000, 2100


class BudgetLine(models.Model):
    """One line of a municipality's social budget for a year: a municipal programme modelled in
    Zrunva (its payments give the execution), or a line the budget resolution names that Zrunva
    does not pay (by its Georgian and English names). Amounts in GEL, two places."""

    municipality = models.ForeignKey(
        "geo.Municipality",
        on_delete=models.PROTECT,
        related_name="budget_lines",
        verbose_name=_("municipality"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    programme = models.ForeignKey(
        "programmes.Programme",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="budget_lines",
        verbose_name=_("programme"),
        help_text=_("Empty for a line of the resolution that Zrunva does not pay."),
    )
    name_ka = models.CharField(_("line (Georgian)"), max_length=200, blank=True)
    name_en = models.CharField(_("line (English)"), max_length=200, blank=True)
    planned = models.DecimalField(
        _("planned, GEL"),
        max_digits=14,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0"), message=_("The planned amount cannot be negative."))
        ],
    )
    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("The council's resolution (number and date) the amount comes from."),
    )
    illustrative = models.BooleanField(
        _("illustrative"),
        default=False,
        help_text=_("Not taken from an adopted resolution; shown as illustrative."),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["municipality_id", "-year", "programme_id", "name_ka"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "year", "programme"],
                condition=Q(programme__isnull=False),
                name="budget_line_once_per_programme",
                violation_error_message=_("This programme already has a line in this budget."),
            ),
            models.UniqueConstraint(
                fields=["municipality", "year", "name_ka"],
                condition=Q(programme__isnull=True),
                name="budget_line_once_per_name",
                violation_error_message=_("A line with this name is already in this budget."),
            ),
            models.CheckConstraint(
                condition=Q(planned__gte=0),
                name="budget_line_planned_non_negative",
                violation_error_message=_("The planned amount cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=FIRST_YEAR) & Q(year__lte=LAST_YEAR),
                name="budget_line_year_in_range",
                violation_error_message=_("A year from 2000 to 2100."),
            ),
            models.CheckConstraint(
                condition=Q(programme__isnull=False) | ~Q(name_ka=""),
                name="budget_line_programme_or_name",
                violation_error_message=_("Choose a programme, or name the line in Georgian."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.year}: {self.label}"

    @property
    def label(self) -> str:
        if self.programme_id is not None:
            return self.programme.name
        return in_language(self.name_ka, self.name_en or self.name_ka)


class BudgetImport(models.Model):
    """An XLSX of a budget resolution as read: its rows, checked (a preview), then written in
    one transaction when the officer confirms (`budget_import_commit`). Kept as a record of who
    imported what."""

    file_name = models.CharField(_("file"), max_length=200)
    rows = models.JSONField(_("rows read"), default=list)
    errors = models.JSONField(_("errors"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    summary = models.JSONField(_("summary"), default=dict)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    committed_at = models.DateTimeField(_("written"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("budget import")
        verbose_name_plural = _("budget imports")

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"
