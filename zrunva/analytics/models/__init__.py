"""The analytics app's models, one module per part (dashboards' aggregates, budgets, civil
society's monitoring, scenarios)."""

from zrunva.analytics.models.aggregates import (  # noqa: F401
    AggregateRefresh,
    BenefitMonth,
    CaseloadMonth,
    GrievanceMonth,
    RegistryCoverage,
)
