from django.urls import path

from zrunva.programmes.views import editor as views

app_name = "programmes"
urlpatterns = [
    path("", views.programme_list, name="list"),
    path("new/", views.programme_create, name="create"),
    path("check/", views.rule_check, name="check"),
    path("parameters/", views.parameter_list, name="parameter_list"),
    path("parameters/new/", views.parameter_create, name="parameter_create"),
    path("parameters/<slug:code>/", views.parameter_detail, name="parameter_detail"),
    path(
        "parameters/<slug:code>/values/new/",
        views.parameter_value_add,
        name="parameter_value_add",
    ),
    path("<slug:code>/", views.programme_detail, name="detail"),
    path("<slug:code>/edit/", views.programme_edit, name="edit"),
]
