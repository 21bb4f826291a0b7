"""The dashboards' pre-aggregated tables: counts and amounts per month, municipality and
programme (never a person), rebuilt as a whole by `aggregates.refresh_aggregates` after each
eligibility run and payroll and by the `refresh_analytics` command. The dashboards, the public
pages, the monthly report and the indicators API read only these tables, so a national page is
a few GROUP BYs over some thousands of rows, whatever the size of the registry."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BenefitSource(models.TextChoices):
    PAYMENTS = "payments", _("Payments")
    ENROLMENTS = "enrolments", _("Enrolments")


class BenefitMonth(models.Model):
    """A programme's recipients and amount in a municipality (where the beneficiary's household
    lives) in a month: from the payments made or due when the programme has a payroll for the
    month, otherwise from the enrolments in force in it (their monthly amounts)."""

    month = models.DateField(_("month"))
    municipality = models.ForeignKey(
        "geo.Municipality", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    source = models.CharField(_("source"), max_length=10, choices=BenefitSource.choices)
    recipients = models.PositiveIntegerField(_("recipients"))
    households = models.PositiveIntegerField(_("households"))
    amount = models.DecimalField(_("amount, GEL"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("benefits in a month")
        verbose_name_plural = _("benefits by month")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "municipality", "programme"], name="benefit_month_unique"
            )
        ]
        indexes = [models.Index(fields=["month", "programme"], name="benefit_month_programme")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.municipality_id} {self.programme_id}"


class RegistryCoverage(models.Model):
    """A municipality's registry on the day of the refresh: people and households registered,
    households assessed (ever) and with a current rating score (re-assessment not yet due),
    social work cases open."""

    municipality = models.OneToOneField(
        "geo.Municipality", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    people = models.PositiveIntegerField(_("people registered"))
    households = models.PositiveIntegerField(_("households registered"))
    assessed = models.PositiveIntegerField(_("households assessed"))
    scored = models.PositiveIntegerField(_("households with a current score"))
    open_cases = models.PositiveIntegerField(_("open social work cases"))

    class Meta:
        verbose_name = _("registry coverage")
        verbose_name_plural = _("registry coverage")

    def __str__(self) -> str:
        return str(self.municipality_id)


class GrievanceMonth(models.Model):
    """Grievances filed in a month in a municipality, by category and where they are now."""

    month = models.DateField(_("month"))
    municipality = models.ForeignKey(
        "geo.Municipality", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    category = models.CharField(_("category"), max_length=20)
    status = models.CharField(_("status"), max_length=10)
    grievances = models.PositiveIntegerField(_("grievances"))

    class Meta:
        verbose_name = _("grievances in a month")
        verbose_name_plural = _("grievances by month")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "municipality", "category", "status"],
                name="grievance_month_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.municipality_id} {self.category} {self.status}"


class CaseloadMonth(models.Model):
    """Social work cases of a municipality in a month: opened, closed, and open at its end."""

    month = models.DateField(_("month"))
    municipality = models.ForeignKey(
        "geo.Municipality", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    opened = models.PositiveIntegerField(_("opened"))
    closed = models.PositiveIntegerField(_("closed"))
    open_at_end = models.PositiveIntegerField(_("open at the month's end"))

    class Meta:
        verbose_name = _("caseload in a month")
        verbose_name_plural = _("caseload by month")
        constraints = [
            models.UniqueConstraint(fields=["month", "municipality"], name="caseload_month_unique")
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.municipality_id}"


class AggregateRefresh(models.Model):
    """One refresh of the tables above: when, how long, how many rows each got, what started it."""

    finished_at = models.DateTimeField(_("refreshed"), auto_now_add=True)
    seconds = models.FloatField(_("seconds"))
    rows = models.JSONField(_("rows"), default=dict)
    reason = models.CharField(_("started by"), max_length=60)

    class Meta:
        ordering = ["-finished_at", "-id"]
        verbose_name = _("refresh of the dashboards' tables")
        verbose_name_plural = _("refreshes of the dashboards' tables")

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M} ({self.reason})"
