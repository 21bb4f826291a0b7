import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from zrunva.accounts import permissions
from zrunva.accounts.models import (
    ApiToken,
    Invitation,
    Organisation,
    User,
    api_token_expiry,
    invitation_expiry,
)
from zrunva.core.trail import acting_as

logger = logging.getLogger(__name__)


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


# Invitations ------------------------------------------------------------------------------------


def _invitation_mail(invitation: Invitation, link: str) -> None:
    """E-mail the link once the invitation is saved. The key is in no stored row (not even the
    notifications outbox's), so the message goes straight to Django's mail backend, as a
    password reset would; if it fails, the invitation stays "not sent" and can be sent again."""
    with translation.override(invitation.language):
        subject = _("Invitation to Zrunva: %(organisation)s") % {
            "organisation": invitation.organisation.name
        }
        body = _(
            "%(first_name)s, %(inviter)s invites you to work in Zrunva, the social protection "
            "information system, as a user of %(organisation)s.\n\n"
            "Choose your user name and password here: %(link)s\n\n"
            "The link works once, until %(expires)s. If you did not expect this e-mail, "
            "ignore it."
        ) % {
            "first_name": invitation.first_name,
            "inviter": invitation.invited_by.get_full_name() or invitation.invited_by.username,
            "organisation": invitation.organisation.name,
            "link": link,
            "expires": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M"),
        }
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    except Exception:  # any sender's failure: the page says "not sent" and offers a resend
        logger.warning("invitation %s: the e-mail was not sent", invitation.pk, exc_info=True)
        return
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())


def _invitation_issue(invitation: Invitation, url_for: Callable[[str], str]) -> None:
    key = secrets.token_urlsafe(32)
    invitation.key_hash = ApiToken.hash_key(key)
    invitation.expires_at = invitation_expiry()
    invitation.sent_at = None
    invitation.save()
    with translation.override(invitation.language):
        link = url_for(key)  # the pages it opens in the invitee's language
    transaction.on_commit(lambda: _invitation_mail(invitation, link))


@transaction.atomic
def invitation_send(
    *,
    actor: User,
    organisation: Organisation,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    language: str = "ka",
    url_for: Callable[[str], str],
) -> Invitation:
    """Invite someone by e-mail to join `organisation` with `role` (`permissions.invites_to`:
    an administrator, or the organisation's own staff for colleagues). `url_for(key)` is the
    link the e-mail carries. An expired invitation to the same address is replaced; an open
    one is an error (send it again instead)."""
    if not permissions.invites_to(actor, organisation, role):
        raise PermissionDenied(_("You may not invite users to this organisation."))
    email = User.objects.normalize_email(email).strip()
    open_ = Invitation.objects.select_for_update().filter(
        organisation=organisation, email__iexact=email, accepted_at=None, revoked_at=None
    )
    for old in open_:
        if not old.is_expired:
            raise ValidationError(
                {"email": _("An invitation to this address is waiting already: send it again.")}
            )
        old.revoked_at = timezone.now()
        with acting_as(actor):
            old.save(update_fields=["revoked_at"])
    invitation = Invitation(
        organisation=organisation,
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        language=language,
        invited_by=actor,
    )
    invitation.full_clean(exclude=["key_hash"])
    with acting_as(actor):
        _invitation_issue(invitation, url_for)
    return invitation


@transaction.atomic
def invitation_resend(
    *, actor: User, invitation: Invitation, url_for: Callable[[str], str]
) -> Invitation:
    """Send an open or expired invitation again with a new link (the old link stops working)
    and a new expiry."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not permissions.invites_to(actor, invitation.organisation, invitation.role):
        raise PermissionDenied(_("You may not invite users to this organisation."))
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError(_("This invitation was accepted or withdrawn: it cannot be sent."))
    with acting_as(actor):
        _invitation_issue(invitation, url_for)
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    """Withdraw an invitation not yet accepted: its link stops working at once."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not permissions.invites_to(actor, invitation.organisation):
        raise PermissionDenied(_("You may not invite users to this organisation."))
    if invitation.accepted_at:
        raise ValidationError(_("This invitation was accepted: deactivate the user instead."))
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        with acting_as(actor):
            invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_for_key(key: str) -> Invitation | None:
    """The open invitation a link's key opens, or None (unknown, used, withdrawn or expired:
    the page says the same for all four)."""
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(key_hash=ApiToken.hash_key(key))
        .first()
    )
    return invitation if invitation is not None and invitation.is_open else None


@transaction.atomic
def invitation_accept(*, key: str, username: str, password: str) -> User:
    """Accept an invitation: a new active user of the organisation with the invitation's
    names, e-mail and role, and the chosen user name and password (checked by the password
    validators). The link works once."""
    invitation = (
        Invitation.objects.select_for_update().filter(key_hash=ApiToken.hash_key(key)).first()
    )
    if invitation is None or not invitation.is_open:
        raise ValidationError(_("This invitation link is not valid any more. Ask for a new one."))
    user = User(
        username=username,
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
        role=invitation.role,
        organisation=invitation.organisation,
        preferred_language=invitation.language,
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password1": error.messages}) from error
    user.set_password(password)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        raise ValidationError(error.message_dict) from error
    with acting_as(user):
        user.save()
        invitation.accepted_at, invitation.user = timezone.now(), user
        invitation.save(update_fields=["accepted_at", "user"])
    return user


@transaction.atomic
def organisation_create(
    *,
    actor: User,
    name_ka: str,
    name_en: str,
    municipalities,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    language: str = "ka",
    url_for: Callable[[str], str],
) -> tuple[Organisation, Invitation]:
    """An administrator creates an organisation and invites its first user, who then invites
    their colleagues."""
    permissions.require(actor, permissions.ACCOUNTS_MANAGE)
    organisation = Organisation(name_ka=name_ka.strip(), name_en=name_en.strip())
    organisation.full_clean()
    with acting_as(actor):
        organisation.save()
        organisation.municipalities.set(municipalities)
    invitation = invitation_send(
        actor=actor,
        organisation=organisation,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        language=language,
        url_for=url_for,
    )
    return organisation, invitation
