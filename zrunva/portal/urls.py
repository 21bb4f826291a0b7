from django.urls import path

from zrunva.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/<slug:code>/", views.programme_detail, name="programme_detail"),
    path("screener/", views.screener, name="screener"),
    path("services/", views.service_list, name="service_list"),
    path("services/catalogue.csv", views.catalogue_download, {"fmt": "csv"}, name="catalogue_csv"),
    path(
        "services/catalogue.json", views.catalogue_download, {"fmt": "json"}, name="catalogue_json"
    ),
    path("services/<int:pk>/", views.service_detail, name="service_detail"),
    path("providers/<int:pk>/", views.provider_detail, name="provider_detail"),
    path("apply/", views.apply, name="apply"),
    path("apply/submitted/", views.submitted, name="submitted"),
    path("status/", views.status, name="status"),
    path("status/lost-number/", views.lost_number, name="lost_number"),
    path("status/lost-number/sent/", views.lost_number_sent, name="lost_number_sent"),
    path("status/application/", views.application, name="application"),
    path("status/withdraw/", views.withdraw, name="withdraw"),
    path("status/letter/", views.letter, name="letter"),
]
