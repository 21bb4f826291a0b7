from django.urls import path

from zrunva.integration import views, views_agencies, views_linkage, views_merges, views_quality

app_name = "integration"

# Imports from other registries and the search for duplicates.
urlpatterns = [
    path("", views.home, name="home"),
    path("sources/add/", views.source_edit, name="source_add"),
    path("sources/<int:pk>/", views.source_detail, name="source_detail"),
    path("sources/<int:pk>/edit/", views.source_edit, name="source_edit"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("duplicates/", views_linkage.pair_list, name="pair_list"),
    path("duplicates/<int:pk>/", views_linkage.pair_detail, name="pair_detail"),
    path("duplicates/runs/<int:pk>/", views_linkage.linkage_run, name="linkage_run"),
]

# Other agencies' access (the DCI search): agencies, their keys, their query log.
urlpatterns += [
    path("agencies/", views_agencies.agency_list, name="agency_list"),
    path("agencies/new/", views_agencies.agency_create, name="agency_create"),
    path("agencies/queries/", views_agencies.agency_queries, name="agency_queries"),
    path("agencies/<int:pk>/", views_agencies.agency_detail, name="agency_detail"),
    path("agencies/<int:pk>/edit/", views_agencies.agency_edit, name="agency_edit"),
    path("agencies/<int:pk>/keys/", views_agencies.agency_key_issue, name="agency_key_issue"),
    path(
        "agencies/keys/<int:pk>/revoke/",
        views_agencies.agency_key_revoke,
        name="agency_key_revoke",
    ),
]

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
