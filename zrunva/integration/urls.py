from django.urls import path

from zrunva.integration import views_agencies

app_name = "integration"

urlpatterns: list = []

# Other agencies' access (the DCI search): agencies, their keys, their query log.
urlpatterns += [
    path("agencies/", views_agencies.agency_list, name="agency_list"),
    path("agencies/new/", views_agencies.agency_create, name="agency_create"),
    path("agencies/queries/", views_agencies.agency_queries, name="agency_queries"),
    path("agencies/<int:pk>/", views_agencies.agency_detail, name="agency_detail"),
    path("agencies/<int:pk>/edit/", views_agencies.agency_edit, name="agency_edit"),
    path("agencies/<int:pk>/keys/", views_agencies.agency_key_issue, name="agency_key_issue"),
    path(
        "agencies/keys/<int:pk>/revoke/",
        views_agencies.agency_key_revoke,
        name="agency_key_revoke",
    ),
]
