from django.urls import path

from zrunva.integration import views, views_linkage

app_name = "integration"

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
