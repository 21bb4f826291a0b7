from django.db.models import Exists, OuterRef, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.accounts.models import ApiToken, User


def api_token_list(*, actor) -> QuerySet[ApiToken]:
    """API tokens: the actor's own, or everyone's for an administrator (ACCOUNTS_MANAGE)."""
    tokens = ApiToken.objects.select_related("user")
    if permissions.has_perm(actor, permissions.ACCOUNTS_MANAGE):
        return tokens
    return tokens.filter(user=actor)


def staff_sign_in_list(*, actor) -> QuerySet[User]:
    """Active staff with whether each has set up an authenticator app (`has_device`), for the
    administrators who reset a lost one."""
    permissions.require(actor, permissions.ACCOUNTS_MANAGE)
    return (
        User.objects.filter(is_active=True)
        .exclude(role=Role.CITIZEN)
        .select_related("office", "municipality")
        .annotate(has_device=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        .order_by("last_name", "first_name", "username")
    )
