from django.urls import path

from zrunva.assessment import views

app_name = "assessment"
urlpatterns = [
    path("due/", views.due, name="due"),
    path("household/<int:household_id>/new/", views.record, name="record"),
    path("household/<int:household_id>/scores/", views.score_history, name="score_history"),
    path("<int:pk>/", views.detail, name="detail"),
]
