from django.urls import path

from zrunva.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    path("export.csv", views.log_csv, name="log_csv"),
    path("export.json", views.log_json, name="log_json"),
    path("entries/<int:pk>/", views.log_entry, name="log_entry"),
    path("subject-access-requests/", views.request_list, name="requests"),
    path("subject-access-requests/<int:pk>/answer/", views.request_answer, name="request_answer"),
]
