from django.urls import path  # noqa: F401

from zrunva.analytics import views_budgets, views_monitoring

app_name = "analytics"

# Staff pages under /analytics/ (scoped; analysts see small cells suppressed).
urlpatterns = []

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
