from django.urls import path

from zrunva.cases import views_outreach

app_name = "outreach"

urlpatterns = [
    path("", views_outreach.lists, name="lists"),
    path("visit/", views_outreach.visit, name="visit"),
]
