from django.urls import path

from zrunva.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.home, name="home"),
    path("open/<int:person>/", views.case_open, name="open"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/timeline/", views.entry, name="entry"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/give/", views.give, name="give"),
    path("<int:pk>/colleague/", views.colleague, name="colleague"),
    path("<int:pk>/plan/", views.plan, name="plan"),
    path("<int:pk>/transfer/", views.transfer, name="transfer"),
    path("<int:pk>/emergency/", views.glass, name="glass"),
    path("transfers/<int:pk>/", views.transfer_decide, name="transfer_decide"),
    path("emergency-access/", views.glass_review, name="glass_review"),
    path("people/<int:pk>/", views.person_cases, name="person_cases"),
    path("indicators/", views.indicators, name="indicators"),
]
