from django.urls import path  # noqa: F401

from zrunva.analytics import views_dashboards

app_name = "analytics"

# Staff pages under /analytics/ (scoped; analysts see small cells suppressed).
urlpatterns = [
    path("", views_dashboards.dashboard, name="dashboard"),
    path("delays/", views_dashboards.delays, name="delays"),
    path("targeting/", views_dashboards.targeting_page, name="targeting"),
    path("report/", views_dashboards.monthly_report, name="monthly_report"),
]
