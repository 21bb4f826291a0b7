from django.urls import path

from zrunva.integration import views_merges, views_quality

app_name = "integration"

urlpatterns: list = []

# Merges (with undo) and data quality.
urlpatterns += [
    path("merges/", views_merges.merge_list, name="merge_list"),
    path("merges/<int:pk>/", views_merges.merge_detail, name="merge_detail"),
    path("merges/<int:pk>/undo/", views_merges.merge_undo, name="merge_undo"),
    path("merges/<str:kind>/<int:pk>/", views_merges.merge_start, name="merge_start"),
    path("merges/people/<int:pk>/panel/", views_merges.person_merges, name="person_merges"),
    path(
        "merges/households/<int:pk>/panel/",
        views_merges.household_merges,
        name="household_merges",
    ),
    path("quality/", views_quality.quality_overview, name="quality"),
    path("quality/<slug:code>/", views_quality.quality_municipality, name="quality_municipality"),
]
