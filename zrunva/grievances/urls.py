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
# Panels on the registry's pages of a person and a household.
urlpatterns += [
    path("people/<int:pk>/", views.person_grievances, name="person_grievances"),
    path("households/<int:pk>/", views.household_grievances, name="household_grievances"),
]
