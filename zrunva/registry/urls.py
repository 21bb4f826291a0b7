from django.urls import path

from zrunva.registry import views

app_name = "registry"
urlpatterns = [
    path("people/", views.person_list, name="person_list"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/move/", views.person_move, name="person_move"),
    path("people/<int:pk>/incomes/add/", views.income_add, name="income_add"),
    path("people/<int:pk>/incomes/<int:income_pk>/edit/", views.income_edit, name="income_edit"),
    path("people/<int:pk>/incomes/<int:income_pk>/end/", views.income_end, name="income_end"),
    path(
        "people/<int:pk>/representatives/add/", views.representative_add, name="representative_add"
    ),
    path(
        "people/<int:pk>/representatives/<int:representative_pk>/end/",
        views.representative_end,
        name="representative_end",
    ),
    path("subject-access/", views.subject_access_find, name="subject_access_find"),
    path("subject-access/<int:pk>/", views.subject_access, name="subject_access"),
    path(
        "subject-access/number/<str:personal_number>/",
        views.subject_access_number,
        name="subject_access_number",
    ),
    path("settlements/", views.settlement_options, name="settlement_options"),
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/members/add/", views.member_add, name="member_add"),
    path("households/<int:pk>/split/", views.household_split, name="household_split"),
    path("households/<int:pk>/head/", views.head_change, name="head_change"),
]
