from django.urls import path

from zrunva.grievances import views_portal

app_name = "portal_grievances"
urlpatterns = [
    path("", views_portal.file, name="file"),
    path("filed/", views_portal.filed, name="filed"),
    path("status/", views_portal.status, name="status"),
]
