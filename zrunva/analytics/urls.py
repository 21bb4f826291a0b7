from django.urls import path  # noqa: F401

from zrunva.analytics import views_scenarios

app_name = "analytics"

# Staff pages under /analytics/ (scoped; analysts see small cells suppressed).
urlpatterns = []
# Reform simulation.
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
