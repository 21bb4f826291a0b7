from django.urls import path

from zrunva.integration import views

app_name = "integration"

urlpatterns = [
    path("", views.home, name="home"),
    path("sources/add/", views.source_edit, name="source_add"),
    path("sources/<int:pk>/", views.source_detail, name="source_detail"),
    path("sources/<int:pk>/edit/", views.source_edit, name="source_edit"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import_commit"),
]
