from django.urls import path

from zrunva.cases import views

app_name = "cases"
urlpatterns = [
    path("worknet/", views.worknet_list, name="worknet_list"),
    path("worknet/bulk/", views.worknet_bulk, name="worknet_bulk"),
    path("worknet/export/", views.worknet_export, name="worknet_export"),
    path("worknet/import/", views.worknet_import, name="worknet_import"),
]
