from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def in_language(ka: str, en: str) -> str:
    """The Georgian or the English text, for the active language (Georgian by default)."""
    return en if (get_language() or "ka").startswith("en") else ka


class BilingualQuerySet(models.QuerySet):
    def by_name(self):
        """In the alphabetical order of the active language's names (Georgian letters are in
        alphabetical order in Unicode, so the database's order is the alphabet's)."""
        return self.order_by(in_language("name_ka", "name_en"), "pk")


class BilingualNameMixin(models.Model):
    """Reference records carry a Georgian and an English name; show the one for the active language."""

    name_ka = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)

    objects = BilingualQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_ka, self.name_en)


class RevisionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Replaced by a later proposal")


class Revision(models.Model):
    """One version of a reviewed record (a catalogue entry): the form's data as submitted, who
    proposed it, and whether it was approved (and applied to the record) or rejected. Every
    version is kept; the record itself holds the latest approved one (`core.revisions`)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    data = models.JSONField(_("data"))
    status = models.CharField(
        _("status"), max_length=10, choices=RevisionStatus.choices, default=RevisionStatus.PENDING
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "status"])]
        constraints = [
            # One version waits at a time: a second proposal replaces the first's data.
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=models.Q(status="pending"),
                name="revision_one_pending",
            )
        ]
        verbose_name = _("version")
        verbose_name_plural = _("versions")

    def __str__(self) -> str:
        return f"{self.content_type.model} #{self.object_id}, {self.get_status_display()}"


class WorkerHeartbeat(models.Model):
    """A background worker's sign of life: `manage.py worker` writes its row every few seconds
    from a thread of the worker's process, so a long task does not silence it, and deletes it
    when the worker stops. Readiness (`/readyz`) wants one recent row (`core.heartbeat`)."""

    worker_id = models.CharField(_("background worker"), max_length=64, unique=True)
    started_at = models.DateTimeField(_("started"))
    beat_at = models.DateTimeField(_("last sign of life"), db_index=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.beat_at:%Y-%m-%d %H:%M:%S})"
