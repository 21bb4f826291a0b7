import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.accounts.choices import Role
from zrunva.core.models import BilingualNameMixin


class Organisation(BilingualNameMixin):
    """A civil-society or municipal service provider whose staff use the system; an
    administrator creates it and invites its first user, who invites colleagues (`Invitation`)."""

    name_ka = models.CharField(_("name (Georgian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    municipalities = models.ManyToManyField(
        "geo.Municipality", blank=True, verbose_name=_("municipalities served")
    )

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")


class User(AbstractUser):
    """A person who signs in. Role and scope decide what they may see and do (accounts.permissions).

    Users are deactivated, never deleted: audit rows point at them (enforced by a database trigger).
    """

    role = models.CharField(_("role"), max_length=24, choices=Role.choices, default=Role.CITIZEN)
    municipality = models.ForeignKey(
        "geo.Municipality",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    office = models.ForeignKey(
        "geo.Office",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("office"),
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("organisation"),
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=2,
        choices=[("ka", "ქართული"), ("en", "English")],
        default="ka",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self):
        super().clean()
        if self.role == Role.MUNICIPAL_OFFICER and not self.municipality_id:
            raise ValidationError(
                {"municipality": _("A municipal officer must be assigned a municipality.")}
            )
        if self.role == Role.SERVICE_PROVIDER and not self.organisation_id:
            raise ValidationError(
                {"organisation": _("A service provider must belong to an organisation.")}
            )
        if self.role == Role.CSO_MONITOR and not self.organisation_id:
            raise ValidationError(
                {"organisation": _("A CSO monitor must belong to an organisation.")}
            )


def api_token_expiry(days: int | None = None):
    """When a token issued now stops working: `days` (API_TOKEN_DAYS, a year by default) from
    now."""
    return timezone.now() + timedelta(days=settings.API_TOKEN_DAYS if days is None else days)


class ApiToken(models.Model):
    """A bearer token for another system. Only a hash is stored; the key is shown once.

    A token works until it is revoked or expires (API_TOKEN_DAYS after it was issued)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), default=api_token_expiry)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


INVITATION_DAYS = 7


def invitation_expiry():
    return timezone.now() + timedelta(days=INVITATION_DAYS)


class Invitation(models.Model):
    """An invitation to join an organisation, sent by e-mail: whoever opens its link chooses a
    user name and password and becomes a user of the organisation with the invitation's role.
    Only a hash of the link's key is stored, and the key is in no stored message either."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("organisation"),
    )
    email = models.EmailField(_("e-mail"))
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    language = models.CharField(
        _("language of the e-mail"),
        max_length=2,
        choices=[("ka", "ქართული"), ("en", "English")],
        default="ka",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("invited"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), default=invitation_expiry)
    sent_at = models.DateTimeField(_("e-mail sent"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    user = models.OneToOneField(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitation",
        verbose_name=_("user it made"),
    )
    revoked_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            # One open invitation per address and organisation: a second is a resend.
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(user__isnull=False),
                name="invitation_accepted_has_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        if self.accepted_at:
            return _("Accepted")
        if self.revoked_at:
            return _("Withdrawn")
        if self.is_expired:
            return _("Expired")
        return _("Waiting") if self.sent_at else _("Not sent")
