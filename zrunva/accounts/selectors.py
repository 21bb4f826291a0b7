from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.accounts.models import ApiToken, Invitation, Organisation, User
from zrunva.core.models import in_language


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


def organisation_list(*, actor) -> QuerySet[Organisation]:
    """The organisations whose staff and invitations the actor sees: all for an administrator,
    their own for its staff."""
    scope = permissions.organisation_scope(actor)
    qs = Organisation.objects.annotate(
        staff_count=Count("staff", filter=Q(staff__is_active=True), distinct=True)
    ).order_by(in_language("name_ka", "name_en"))
    return qs if scope is None else qs.filter(scope)


def organisation_staff(organisation: Organisation) -> QuerySet[User]:
    return organisation.staff.filter(is_active=True).order_by("last_name", "first_name")


def organisation_invitations(organisation: Organisation) -> QuerySet[Invitation]:
    """Invitations not yet accepted (open, expired or withdrawn), newest first."""
    return organisation.invitations.filter(accepted_at=None).select_related("invited_by")
