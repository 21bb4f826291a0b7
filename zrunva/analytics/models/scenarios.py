"""Reform scenarios: changes to programmes' parameters and rules, simulated over the registry
with the engine the officers' decisions come from (`analytics.simulation`)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zrunva.core.jobs import Job

# The poverty line's default: 60% of the median per-capita welfare. A common relative line
# (Eurostat's at-risk-of-poverty threshold), not Georgia's official one: illustrative, and set
# per scenario.
DEFAULT_POVERTY_SHARE = Decimal("0.60")


class Scenario(models.Model):
    """A reform to simulate: on a date, some programmes with changed parameter values or rules
    (`ScenarioChange`), a poverty line and, optionally, an annual budget the changed programmes
    must fit in. Its owner's, and seen by colleagues who may simulate when shared."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    shared = models.BooleanField(
        _("shared with colleagues"),
        default=False,
        help_text=_("Everyone who may run simulations sees it and its results."),
    )
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("shared with"),
        help_text=_("Colleagues who see it when it is not shared with everyone."),
    )
    on = models.DateField(_("as of"), help_text=_("The registry and the rules on this date."))
    poverty_share = models.DecimalField(
        _("poverty line, share of the median"),
        max_digits=4,
        decimal_places=2,
        default=DEFAULT_POVERTY_SHARE,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("2"))],
        help_text=_(
            "Of the median monthly welfare per person under the current rules (illustrative: "
            "60% by default)."
        ),
    )
    poverty_line = models.DecimalField(
        _("poverty line, GEL a month per person"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("A fixed line instead of the share of the median."),
    )
    budget_cap = models.DecimalField(
        _("annual budget of the changed programmes, GEL"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("If given, a variant pays the poorest households first, up to this sum."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    def __str__(self) -> str:
        return self.name


class ScenarioChange(models.Model):
    """One programme as the scenario changes it: parameter values in place of those in force
    on the scenario's date (`parameters`: code → value as text), and the criteria or the
    formula replaced by other rules (empty: the programme's own)."""

    scenario = models.ForeignKey(
        Scenario, on_delete=models.CASCADE, related_name="changes", verbose_name=_("scenario")
    )
    programme = models.ForeignKey(
        "programmes.Programme",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("programme"),
    )
    parameters = models.JSONField(_("parameter values"), default=dict, blank=True)
    criteria = models.TextField(_("eligibility criteria"), blank=True)
    formula = models.TextField(_("benefit formula"), blank=True)

    class Meta:
        ordering = ["scenario_id", "programme__code"]
        verbose_name = _("scenario change")
        verbose_name_plural = _("scenario changes")
        constraints = [
            models.UniqueConstraint(
                fields=["scenario", "programme"],
                name="scenario_change_one_per_programme",
                violation_error_message=_("The scenario already changes this programme."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.scenario_id}: {self.programme_id}"


class SimulationRun(Job):
    """One simulation of a scenario against the rules in force (the baseline), executed by the
    background worker. Its summary holds every output (costs, recipients, winners and losers,
    coverage, poverty, inequality, by region, and the budget-capped variant); `households` the
    per-household results as Parquet (household id, region, size, welfare, benefit before and
    after: no names, no personal numbers), so one household's result can be opened."""

    TASK = "zrunva.analytics.tasks_simulation.simulation_run"
    STAGES = {
        "reading": _("reading the registry"),
        "deciding": _("deciding under both sets of rules"),
        "measuring": _("measuring the outcomes"),
        "done": _("done"),
    }

    scenario = models.ForeignKey(
        Scenario, on_delete=models.CASCADE, related_name="runs", verbose_name=_("scenario")
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    households = models.BinaryField(_("per-household results"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("simulation run")
        verbose_name_plural = _("simulation runs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.scenario_id}"
