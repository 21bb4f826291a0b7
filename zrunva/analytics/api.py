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
