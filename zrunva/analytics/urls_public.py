from django.urls import path  # noqa: F401

from zrunva.analytics import views_budgets, views_dashboards, views_monitoring

app_name = "open"

# Public pages under /open/: indicators, budgets and civil society's monitoring, every cell
# under ten people suppressed.
urlpatterns = [
    path("", views_dashboards.open_indicators, name="indicators"),
]

# Municipal social budgets and civil society's monitoring (issue 18, items 3 and 4).
urlpatterns += [
    path("budgets/", views_budgets.open_index, name="budgets"),
    path("budgets/region/<str:iso_code>/", views_budgets.open_region, name="budget_region"),
    path("budgets/<slug:code>/", views_budgets.open_municipality, name="budget_municipality"),
    path("monitoring/", views_monitoring.open_reports, name="monitoring"),
    path(
        "monitoring/municipality/<slug:code>/",
        views_monitoring.open_municipality,
        name="monitoring_municipality",
    ),
    path("monitoring/<str:number>/", views_monitoring.open_report, name="monitoring_report"),
]
