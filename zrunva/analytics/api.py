"""The analytics API: indicators, budgets, monitoring and scenarios, with the screens'
permissions (each part's router in its own module, added here)."""

from ninja import Router

router = Router(tags=["analytics"])

# Municipal social budgets and civil society's monitoring (issue 18, items 3, 4 and 7).
from zrunva.analytics.api_budgets import router as budgets_router  # noqa: E402

router.add_router("", budgets_router)

# Reform simulation (issue 18, items 5 and 7).
from zrunva.analytics.api_scenarios import router as scenarios_router  # noqa: E402

router.add_router("", scenarios_router)

# Monitoring indicators: the dashboards' tables, and the public's open data (items 1, 2, 7).
from zrunva.analytics.api_indicators import open_router as indicators_open_router  # noqa: E402
from zrunva.analytics.api_indicators import router as indicators_router  # noqa: E402

router.add_router("", indicators_router)
router.add_router("", indicators_open_router)
