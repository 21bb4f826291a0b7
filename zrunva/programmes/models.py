from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from zrunva.core.jobs import Job
from zrunva.core.models import BilingualNameMixin, in_language
from zrunva.programmes.choices import DecisionReason, DecisionStatus, ProgrammeLevel, unit_label
from zrunva.programmes.validators import validate_parameter_value


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

    @property
    def unit_label(self) -> str:
        return unit_label(self.unit)


class ParameterValue(models.Model):
    """The value a parameter has from `valid_from` until the next value's date."""

    parameter = models.ForeignKey(
        Parameter, on_delete=models.PROTECT, related_name="values", verbose_name=_("parameter")
    )
    valid_from = models.DateField(_("valid from"))
    value = models.DecimalField(
        _("value"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[validate_parameter_value],
    )
    formula = models.TextField(
        _("formula"),
        blank=True,
        help_text=_(
            "Instead of a value: a rule over other parameters, e.g. "
            "param.pension_under_70 * 1.2, worked out on each date from their values then."
        ),
    )
    source = models.CharField(
        _("legal source"), max_length=300, help_text=_("The act, article or publication.")
    )
    # The same citation for Georgian pages (as Programme.legal_basis_ka); `source` is the one
    # every value has, so a value without a Georgian text still shows its source.
    source_ka = models.CharField(_("legal source in Georgian"), max_length=300, blank=True)
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
            ),
            models.CheckConstraint(
                condition=(Q(value__isnull=False) & Q(formula=""))
                | (Q(value__isnull=True) & ~Q(formula="")),
                name="parameter_value_or_formula",
                violation_error_message=_("Give either a value or a formula."),
            ),
        ]

    def __str__(self) -> str:
        value = self.formula if self.formula else f"{self.value.normalize():f}"
        return f"{self.parameter.code} = {value} ({self.valid_from})"

    @property
    def source_text(self) -> str:
        """The legal source in the active language."""
        return in_language(self.source_ka or self.source, self.source)


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
    # What a decision letter and the pages cite, in the reader's language: the acts alone,
    # without the team's notes on their sources (those stay in `legal_basis`).
    legal_basis_ka = models.TextField(
        _("legal basis for decisions, in Georgian"),
        blank=True,
        help_text=_("The acts as decision letters cite them, without notes."),
    )
    legal_basis_en = models.TextField(
        _("legal basis for decisions, in English"),
        blank=True,
        help_text=_("The acts as decision letters cite them, without notes."),
    )
    # What an applicant brings, one document a line, for the portal's programme page.
    documents_ka = models.TextField(
        _("documents to bring, in Georgian"),
        blank=True,
        help_text=_("One document a line, as the portal lists them."),
    )
    documents_en = models.TextField(
        _("documents to bring, in English"),
        blank=True,
        help_text=_("One document a line, as the portal lists them."),
    )
    documents_illustrative = models.BooleanField(
        _("documents illustrative"),
        default=False,
        help_text=_("The list is not confirmed from a public source; the portal says so."),
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

    @property
    def documents(self) -> list[str]:
        """The documents to bring in the active language (the other's if one is missing)."""
        text = in_language(
            self.documents_ka or self.documents_en, self.documents_en or self.documents_ka
        )
        return [line.strip() for line in text.splitlines() if line.strip()]

    @property
    def public_legal_basis(self) -> str:
        """The acts in the active language (the other's if one is missing)."""
        return in_language(
            self.legal_basis_ka or self.legal_basis_en, self.legal_basis_en or self.legal_basis_ka
        )


class Run(Job):
    """One evaluation of every active programme over the registry (or one municipality) as of a
    date; its decisions are for the month of that date. Executed by the background worker or
    the `eligibility_run` command; executing it again changes nothing already decided. A batch
    job (`zrunva.core.jobs`): status, stage, progress, summary, error, its times."""

    TASK = "zrunva.programmes.tasks.eligibility_run"
    STAGES = {
        "reading": _("reading the registry"),
        "deciding": _("deciding"),
        "comparing": _("comparing with the decisions in force"),
        "writing": _("storing the changes"),
        "done": _("done"),
    }

    on = models.DateField(_("as of"))
    municipality = models.ForeignKey(
        "geo.Municipality",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
        help_text=_("Empty for the whole country."),
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("eligibility run")
        verbose_name_plural = _("eligibility runs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.on}"

    @property
    def period(self):
        return self.on.replace(day=1)


class RuleSet(models.Model):
    """The rules a decision was made under: a programme's criteria and formula, and the value of
    every parameter on the date with the version it came from (valid from, legal source). Stored
    once per distinct set (`digest`), so a run's million decisions share one row."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="+", verbose_name=_("programme")
    )
    criteria = models.TextField(_("eligibility criteria"))
    formula = models.TextField(_("benefit formula"))
    # {code: {"value": "295", "valid_from": "2026-01-01", "source": "…", "illustrative": false}}
    parameters = models.JSONField(_("parameters"), default=dict)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.digest[:12]}"


class Decision(models.Model):
    """A programme's decision for one beneficiary (a household, or a person and their
    household) for the months from `period` to `until` (null: until a later decision). A run
    writes a row only where the decision changed, so an unchanged beneficiary costs nothing;
    beneficiaries who were never eligible have no row at all. An application's decision writes
    one too when no run's decision for the month can be trusted. With the beneficiary's
    enrolment, this is the entitlement payroll reads (`selectors.entitlements`)."""

    # Runs write decisions by the million with COPY: indexes that others already cover are
    # left out, and so are the constraints on the run and programme the run itself holds
    # (per-row foreign-key checks at commit cost more than the whole computation).
    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("programme"),
        db_index=False,  # the unique constraints lead with it
        db_constraint=False,
    )
    # Households and people are checked once per run, as a set (`runs.check_references`), and
    # PostgreSQL refuses to delete them (migration 0011): per-row foreign-key checks at commit
    # locked one registry row per decision and took longer than the whole run.
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("household"),
        db_index=False,  # decision_household_idx leads with it
        db_constraint=False,
    )
    person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("person"),
        db_index=False,  # decision_one_per_person_month leads with it
        db_constraint=False,
    )
    period = models.DateField(_("from month"))
    until = models.DateField(
        _("to month"),
        null=True,
        blank=True,
        help_text=_("The last month this decision covers; empty while it is in force."),
    )
    status = models.CharField(_("decision"), max_length=12, choices=DecisionStatus.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=DecisionReason.choices)
    amount = models.DecimalField(
        _("monthly amount, GEL"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    missing = models.JSONField(_("missing data"), default=list, blank=True)
    # The basis: the run that decided, or the application whose decision did (then no run).
    run = models.ForeignKey(
        Run,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("run"),
        db_index=False,
        db_constraint=False,
    )
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("application"),
        db_index=False,
        db_constraint=False,
    )
    rules = models.ForeignKey(
        RuleSet,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("rules and parameters"),
        db_index=False,
        db_constraint=False,
    )
    # The enrolment this decision pays, carried from each row to the beneficiary's next.
    enrolment = models.ForeignKey(
        "applications.Enrolment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("enrolment"),
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["programme_id", "household_id", "person_id", "period"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "household", "period"],
                condition=Q(person__isnull=True),
                name="decision_one_per_household_month",
            ),
            # Person first: it finds a person's decisions too, one index fewer to keep up.
            models.UniqueConstraint(
                fields=["person", "programme", "period"],
                condition=Q(person__isnull=False),
                name="decision_one_per_person_month",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("period")),
                name="decision_months_ordered",
            ),
            models.CheckConstraint(
                condition=Q(run__isnull=False) | Q(application__isnull=False),
                name="decision_has_basis",
            ),
        ]
        indexes = [
            models.Index(fields=["household", "period"], name="decision_household_idx"),
            # What is in force now is read without sorting the history; the few rows that end
            # after a run's month (a run for an earlier month) through the second index.
            models.Index(
                fields=["programme", "period"],
                condition=Q(until__isnull=True),
                name="decision_in_force_idx",
            ),
            models.Index(
                fields=["until"], condition=Q(until__isnull=False), name="decision_until_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.code} {self.period}: {self.get_status_display()}"

    def get_additional_data(self) -> dict:
        return {"household_id": self.household_id, "person_id": self.person_id}


class DecisionChange(models.Model):
    """What one run changed for one beneficiary: the decision before and after, so each run
    shows who gains, who loses and by how much, even after later runs. A record of what the run
    wrote into Decision (whose household and person are checked there), so it keeps only the
    index it is read by and no per-row constraints."""

    # A run's changes are written together and never moved: on PostgreSQL a BRIN index finds
    # them for a fraction of a B-tree's upkeep (migration 0011), elsewhere a B-tree.
    run = models.ForeignKey(
        Run,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("run"),
        db_index=False,
        db_constraint=False,
    )
    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("programme"),
        db_index=False,
        db_constraint=False,
    )
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("household"),
        db_index=False,
        db_constraint=False,
    )
    person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
        db_index=False,
        db_constraint=False,
    )
    old_status = models.CharField(
        _("decision before"), max_length=12, choices=DecisionStatus.choices, blank=True
    )
    old_amount = models.DecimalField(
        _("amount before"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    new_status = models.CharField(_("decision now"), max_length=12, choices=DecisionStatus.choices)
    new_amount = models.DecimalField(
        _("amount now"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["run_id", "programme_id", "household_id", "person_id"]
        verbose_name = _("decision change")
        verbose_name_plural = _("decision changes")

    def __str__(self) -> str:
        old = self.get_old_status_display() or "—"
        return f"{self.programme_id}: {old} → {self.get_new_status_display()}"

    @property
    def difference(self):
        return (self.new_amount or 0) - (self.old_amount or 0)
