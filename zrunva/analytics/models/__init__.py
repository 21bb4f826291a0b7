"""The analytics app's models, one module per part (dashboards' aggregates, budgets, civil
society's monitoring, scenarios)."""
