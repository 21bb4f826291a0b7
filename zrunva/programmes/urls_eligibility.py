from django.urls import path

from zrunva.programmes.views import eligibility as views

app_name = "eligibility"
urlpatterns = [
    path("household/<int:pk>/", views.household, name="household"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
]
# Panels on the registry's pages of a person and a household.
urlpatterns += [
    path("people/<int:pk>/decisions/", views.person_decisions, name="person_decisions"),
    path("household/<int:pk>/decisions/", views.household_decisions, name="household_decisions"),
]
