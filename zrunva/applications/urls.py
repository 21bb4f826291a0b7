from django.urls import path

from zrunva.applications import views

app_name = "applications"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.intake, name="intake"),
    path("delays/", views.delays, name="delays"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/move/", views.move, name="move"),
]
