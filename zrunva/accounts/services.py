import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from zrunva.accounts import permissions
from zrunva.accounts.models import ApiToken, User, api_token_expiry
from zrunva.core.trail import acting_as


@transaction.atomic
def user_role_set(*, user: User, role: str, municipality=None, office=None) -> User:
    """Give a user a role and its area, from the server (`manage.py user_role`): the one way to
    name a data protection officer (permissions.ROLES_SET_ON_THE_SERVER). Recorded in the audit
    trail with no actor, as every command's change is."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.role, user.municipality, user.office = role, municipality, office
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        raise ValidationError(error.message_dict) from error
    with acting_as(None):
        user.save(update_fields=["role", "municipality", "office"])
    return user


@transaction.atomic
def api_token_issue(*, user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token for another system; returns the key, which is shown once and not stored.
    It expires after `days` (API_TOKEN_DAYS, a year, by default)."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=ApiToken.hash_key(key),
        prefix=key[:8],
        expires_at=api_token_expiry(days),
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """A token is revoked by its owner or by an administrator (ACCOUNTS_MANAGE); it stops
    working at once and cannot be restored."""
    if token.user_id != actor.pk:
        permissions.require(actor, permissions.ACCOUNTS_MANAGE)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if not token.revoked:
        token.revoked = True
        with acting_as(actor):
            token.save(update_fields=["revoked"])
    return token


def api_token_authenticate(key: str) -> User | None:
    """The active user a key belongs to, unless the token is revoked or expired."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(
            key_hash=ApiToken.hash_key(key),
            revoked=False,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


# Two-factor sign-in: one TOTP device per user (an authenticator app, works offline).

# Set at sign-in for a user who has set up a device: the session then needs its code too.
MFA_SESSION_KEY = "zrunva_mfa"


def mfa_required(user: User) -> bool:
    """Whether the user must give a second factor at every sign-in: MFA_REQUIRED is on and
    their role reaches the whole country (`permissions.second_factor_required`)."""
    return settings.MFA_REQUIRED and permissions.second_factor_required(user)


def mfa_must_verify(request) -> bool:
    """Whether the signed-in user must give a second factor in this session: required of them,
    or they have set up an authenticator app (marked in the session at sign-in)."""
    return mfa_required(request.user) or bool(request.session.get(MFA_SESSION_KEY))


def mfa_mark_session(*, request, user: User) -> None:
    """At sign-in (user_logged_in): whoever has set up a device gives its code, required or not."""
    if request is not None and hasattr(request, "session"):
        request.session[MFA_SESSION_KEY] = TOTPDevice.objects.filter(
            user=user, confirmed=True
        ).exists()


def mfa_device(user: User) -> TOTPDevice | None:
    """The user's confirmed device, if they have enrolled one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@transaction.atomic
def mfa_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device whose secret the user is adding to their app; the same one until
    it is confirmed. Refused if the user already has a device: remove it first."""
    if mfa_device(user) is not None:
        raise ValidationError(
            _("You already have an authenticator app set up. Remove it first to set up another.")
        )
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


def _check_token(device: TOTPDevice, token: str) -> None:
    """Raises unless `token` is the device's current code. Runs in its own transaction, so a
    wrong code's throttling (django-otp: each failure doubles the wait) is kept."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            raise ValidationError(
                _(
                    "Too many wrong codes in a row. Wait a little, then enter the code your app shows now."
                ),
                code="throttled",
            )
        verified = device.verify_token(token.strip().replace(" ", ""))
    if not verified:
        raise ValidationError(
            _("That code is not right. Enter the six digits your app shows now."), code="invalid"
        )


def mfa_enrolment_confirm(*, user: User, token: str) -> TOTPDevice:
    """The device counts once the user has typed a code it produced: their app has the secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or mfa_device(user) is not None:
        raise ValidationError(_("Start setting up the authenticator app again."))
    _check_token(device, token)
    with transaction.atomic(), acting_as(user):
        TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
        device.refresh_from_db()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return device


def mfa_verify(*, user: User, token: str) -> TOTPDevice:
    """The second step of signing in: the code from the user's device. Wrong codes slow further
    tries down (django-otp's throttling)."""
    device = mfa_device(user)
    if device is None:
        raise ValidationError(_("You have no authenticator app set up."))
    _check_token(device, token)
    device.refresh_from_db()
    return device


@transaction.atomic
def mfa_device_remove(*, actor: User, user: User) -> int:
    """Remove a user's devices: their own (signed in with it), or anyone's by an administrator
    (a lost phone). The user then sets up a new one at their next sign-in if they must."""
    if user.pk != actor.pk:
        permissions.require(actor, permissions.ACCOUNTS_MANAGE)
    with acting_as(actor):
        removed = 0
        for device in TOTPDevice.objects.filter(user=user):
            device.delete()
            removed += 1
    return removed
