from django.urls import path  # noqa: F401

from zrunva.analytics import views_budgets, views_dashboards, views_monitoring, views_scenarios

app_name = "analytics"

# Staff pages under /analytics/ (scoped; analysts see small cells suppressed).
urlpatterns = []

# Monitoring dashboards, coverage and targeting, the monthly report (issue 18, items 1, 2, 6).
urlpatterns += [
    path("", views_dashboards.dashboard, name="dashboard"),
    path("delays/", views_dashboards.delays, name="delays"),
    path("targeting/", views_dashboards.targeting_page, name="targeting"),
    path("report/", views_dashboards.monthly_report, name="monthly_report"),
]

# Municipal social budgets and civil society's monitoring (issue 18, items 3 and 4).
urlpatterns += [
    path("budgets/", views_budgets.index, name="budgets"),
    path("budgets/new/", views_budgets.budget_new, name="budget_new"),
    path("budgets/import/", views_budgets.budget_import, name="budget_import"),
    path(
        "budgets/import/<int:pk>/",
        views_budgets.budget_import_preview,
        name="budget_import_preview",
    ),
    path("budgets/template.xlsx", views_budgets.budget_template, name="budget_template"),
    path("budgets/lines/<int:pk>/", views_budgets.budget_line_edit, name="budget_line_edit"),
    path(
        "budgets/lines/<int:pk>/delete/",
        views_budgets.budget_line_delete,
        name="budget_line_delete",
    ),
    path("budgets/region/<str:iso_code>/", views_budgets.region_budgets, name="budget_region"),
    path("budgets/<slug:code>/", views_budgets.municipality_budget, name="budget_municipality"),
    path(
        "budgets/<slug:code>/<int:year>/add/", views_budgets.budget_line_add, name="budget_line_add"
    ),
    path("monitoring/", views_monitoring.home, name="monitoring"),
    path("monitoring/new/", views_monitoring.report_new, name="monitoring_new"),
    path(
        "monitoring/recommendations/<int:pk>/",
        views_monitoring.recommendation_detail,
        name="recommendation",
    ),
    path(
        "monitoring/recommendations/<int:pk>/remove/",
        views_monitoring.recommendation_remove,
        name="recommendation_remove",
    ),
    path("monitoring/<str:number>/", views_monitoring.report_detail, name="monitoring_report"),
    path(
        "monitoring/<str:number>/recommendations/",
        views_monitoring.recommendation_add,
        name="recommendation_add",
    ),
    path(
        "monitoring/<str:number>/publish/",
        views_monitoring.report_publish,
        name="monitoring_publish",
    ),
]

# Reform simulation (issue 18, item 5).
urlpatterns += [
    path("scenarios/", views_scenarios.scenario_list, name="scenario_list"),
    path("scenarios/new/", views_scenarios.scenario_create, name="scenario_create"),
    path("scenarios/compare/", views_scenarios.compare, name="scenario_compare"),
    path("scenarios/<int:pk>/", views_scenarios.scenario_detail, name="scenario_detail"),
    path("scenarios/<int:pk>/edit/", views_scenarios.scenario_edit, name="scenario_edit"),
    path("scenarios/<int:pk>/run/", views_scenarios.scenario_run, name="scenario_run"),
    path("scenarios/<int:pk>/delete/", views_scenarios.scenario_delete, name="scenario_delete"),
    path(
        "scenarios/<int:pk>/programmes/<int:programme_id>/remove/",
        views_scenarios.scenario_change_remove,
        name="scenario_change_remove",
    ),
    path("simulations/<int:pk>/", views_scenarios.run_detail, name="run_detail"),
    path(
        "simulations/<int:pk>/household/",
        views_scenarios.run_household_open,
        name="run_household_open",
    ),
    path(
        "simulations/<int:pk>/households/<int:household_id>/",
        views_scenarios.run_household,
        name="run_household",
    ),
]
