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
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_add, name="organisation_add"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("invitations/<int:pk>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<int:pk>/withdraw/", views.invitation_revoke, name="invitation_revoke"),
    path("invitation/<str:key>/", views.invitation_accept, name="invitation_accept"),
]
