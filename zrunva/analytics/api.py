"""The analytics API: indicators, budgets, monitoring and scenarios, with the screens'
permissions (each part's router in its own module, added here)."""

from ninja import Router

router = Router(tags=["analytics"])
