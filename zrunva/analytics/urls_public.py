from django.urls import path  # noqa: F401

from zrunva.analytics import views_dashboards

app_name = "open"

# Public pages under /open/: indicators, budgets and civil society's monitoring, every cell
# under ten people suppressed.
urlpatterns = [
    path("", views_dashboards.open_indicators, name="indicators"),
]
