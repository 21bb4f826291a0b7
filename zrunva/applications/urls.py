from django.urls import path

from zrunva.applications import views

app_name = "applications"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.intake, name="intake"),
    path("delays/", views.delays, name="delays"),
    path("runs/<int:run_id>/losses/", views.run_losses, name="run_losses"),
    path("runs/<int:run_id>/bulk/", views.run_bulk, name="run_bulk"),
    path("enrolments/", views.enrolments, name="enrolments"),
    path("enrolments/<int:pk>/", views.enrolment_detail, name="enrolment_detail"),
    path("workflows/", views.workflows, name="workflows"),
    path("workflows/<slug:code>/", views.workflow_edit, name="workflow_edit"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/household/", views.household_register, name="household_register"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/enrolment/end/", views.enrolment_end, name="enrolment_end"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("<int:pk>/documents/<int:document_id>/", views.document, name="document"),
    path("<int:pk>/letter/", views.letter, name="letter"),
]
# Panels on the registry's pages of a person and a household.
urlpatterns += [
    path("people/<int:pk>/", views.person_applications, name="person_applications"),
    path("people/<int:pk>/enrolments/", views.person_enrolments, name="person_enrolments"),
    path("households/<int:pk>/", views.household_applications, name="household_applications"),
    path(
        "households/<int:pk>/enrolments/",
        views.household_enrolments,
        name="household_enrolments",
    ),
]
