"""The analytics API: indicators, budgets, monitoring and scenarios, with the screens'
permissions (each part's router in its own module, added here)."""

from ninja import Router

router = Router(tags=["analytics"])

from zrunva.analytics.api_indicators import open_router as indicators_open_router  # noqa: E402
from zrunva.analytics.api_indicators import router as indicators_router  # noqa: E402

router.add_router("", indicators_router)
router.add_router("", indicators_open_router)
