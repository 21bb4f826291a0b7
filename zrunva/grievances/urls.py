from django.urls import path

from zrunva.grievances import views

app_name = "grievances"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.file, name="file"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/resolve/", views.resolve, name="resolve"),
]
