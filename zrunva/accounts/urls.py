from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from zrunva.accounts import views

app_name = "accounts"
urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("two-factor/", views.mfa_manage, name="mfa_manage"),
    path("two-factor/set-up/", views.mfa_setup, name="mfa_setup"),
    path("two-factor/code/", views.mfa_verify, name="mfa_verify"),
    path("two-factor/remove/", views.mfa_remove, name="mfa_remove"),
    path("staff/", views.staff_security, name="staff_security"),
    path("staff/<int:pk>/two-factor/reset/", views.mfa_reset, name="mfa_reset"),
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
