from django.urls import path

from zrunva.questionnaires import editor, views

app_name = "questionnaires"
urlpatterns = [
    path("", views.survey_list, name="survey_list"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/status/", views.survey_status, name="survey_status"),
    path("surveys/<int:pk>/answer/", views.answer, name="answer"),
    path("surveys/<int:pk>/answer/<int:response>/", views.answer, name="answer_draft"),
    path("surveys/<int:pk>/results/", views.results, name="results"),
    path("surveys/<int:pk>/answers/", views.answers_download, name="answers_download"),
    path("forms/", editor.form_list, name="form_list"),
    path("forms/new/", editor.form_new, name="form_new"),
    path("forms/import/", editor.form_import, name="form_import"),
    path("forms/<int:pk>/", editor.form_detail, name="form_detail"),
    path("forms/<int:pk>/preview/", editor.preview, name="preview"),
    path("forms/<int:pk>/publish/", editor.publish, name="publish"),
    path("forms/<int:pk>/export/<str:fmt>/", editor.form_export, name="form_export"),
    path("forms/<int:pk>/sections/new/", editor.section_edit, name="section_new"),
    path("forms/<int:pk>/sections/<int:s>/", editor.section_edit, name="section_edit"),
    path("forms/<int:pk>/sections/<int:s>/new/", editor.question_edit, name="question_new"),
    path("forms/<int:pk>/sections/<int:s>/<int:q>/", editor.question_edit, name="question_edit"),
    path(
        "forms/<int:pk>/sections/<int:s>/<int:q>/new/",
        editor.question_edit,
        name="inner_new",
    ),
    path(
        "forms/<int:pk>/sections/<int:s>/<int:q>/<int:i>/",
        editor.question_edit,
        name="inner_edit",
    ),
    path("forms/<int:pk>/move/", editor.move, name="move"),
]
