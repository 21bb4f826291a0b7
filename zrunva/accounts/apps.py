from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zrunva.accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from auditlog.registry import auditlog
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from zrunva.accounts.models import ApiToken, Invitation, Organisation, User

        auditlog.register(User, exclude_fields=["password", "last_login"])
        # Who issued, revoked, set up or removed a credential; never the secrets themselves.
        auditlog.register(ApiToken, include_fields=["user", "name", "expires_at", "revoked"])
        auditlog.register(TOTPDevice, include_fields=["user", "name", "confirmed"])
        auditlog.register(Organisation, m2m_fields={"municipalities"})
        # Who invited whom, and what became of it; never the link's key.
        auditlog.register(Invitation, exclude_fields=["key_hash"])

        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_mark_session, dispatch_uid="zrunva.accounts.mfa_mark_session")

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, register

        register("nav", "home", NavItem(_("Home"), "home"), order=0)
        register(
            "nav",
            "accounts:staff_security",
            NavItem(
                _("Staff sign-in"),
                "accounts:staff_security",
                permissions.allows(permissions.ACCOUNTS_MANAGE),
            ),
            order=140,
        )
        register(
            "nav",
            "accounts:organisation_list",
            NavItem(
                _("Organisations"),
                "accounts:organisation_list",
                lambda user: (
                    permissions.has_perm(user, permissions.ACCOUNTS_MANAGE)
                    or (user.role in permissions.ORGANISATION_ROLES and user.organisation_id)
                ),
            ),
            order=141,
        )
        register("nav", "api-v1:openapi-view", NavItem(_("API"), "api-v1:openapi-view"), order=150)


def _mark_session(sender, request, user, **kwargs):
    from zrunva.accounts.services import mfa_mark_session

    mfa_mark_session(request=request, user=user)
