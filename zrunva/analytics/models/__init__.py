"""The analytics app's models, one module per part (dashboards' aggregates, budgets, civil
society's monitoring, scenarios)."""

from zrunva.analytics.models.aggregates import (  # noqa: F401
    AggregateRefresh,
    BenefitMonth,
    CaseloadMonth,
    GrievanceMonth,
    RegistryCoverage,
)
from zrunva.analytics.models.budgets import BudgetImport, BudgetLine  # noqa: F401
from zrunva.analytics.models.monitoring import (  # noqa: F401
    MonitoringReport,
    Recommendation,
    RecommendationEvent,
)
from zrunva.analytics.models.scenarios import Scenario, ScenarioChange, SimulationRun  # noqa: F401
