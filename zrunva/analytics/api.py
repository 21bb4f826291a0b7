"""The analytics API: indicators, budgets, monitoring and scenarios, with the screens'
permissions (each part's router in its own module, added here)."""

from ninja import Router

from zrunva.analytics.api_scenarios import router as scenarios_router

router = Router(tags=["analytics"])
router.add_router("", scenarios_router)
