from django.urls import path

from zrunva.payments import views

app_name = "payments"
urlpatterns = [
    path("people/<int:pk>/accounts/", views.person_accounts, name="person_accounts"),
    path("people/<int:pk>/accounts/new/", views.account_set, name="account_set"),
]
