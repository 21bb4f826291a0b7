"""Merges of two registry records of one person (or one household) into one, with undo.

A merge keeps both rows: the merged record is marked (`merged_into`) and leaves the registry's
lists, while every row that pointed at it (memberships, enrolments, payments, cases, …) is
re-pointed at the survivor. Each re-pointed row and each field set is written down here, old
value and new, so the undo can put back exactly what was there."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MergeKind(models.TextChoices):
    PERSON = "person", _("People")
    HOUSEHOLD = "household", _("Households")


class Merge(models.Model):
    """Two records of one person or household made one: `merged` into `survivor`."""

    kind = models.CharField(_("kind"), max_length=10, choices=MergeKind.choices)
    survivor_person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("survivor"),
    )
    merged_person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("merged record"),
    )
    survivor_household = models.ForeignKey(
        "registry.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("survivor"),
    )
    merged_household = models.ForeignKey(
        "registry.Household",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("merged record"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("merged by"),
    )
    reason = models.TextField(_("reason"), max_length=1000)
    created_at = models.DateTimeField(_("merged at"), auto_now_add=True)
    # Rows moved per relation ("registry.Membership.person": 3), for lists and the page.
    counts = models.JSONField(_("rows moved"), default=dict, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("undone by"),
    )
    undo_reason = models.TextField(_("reason for the undo"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="person",
                        survivor_person__isnull=False,
                        merged_person__isnull=False,
                        survivor_household__isnull=True,
                        merged_household__isnull=True,
                    )
                    | Q(
                        kind="household",
                        survivor_household__isnull=False,
                        merged_household__isnull=False,
                        survivor_person__isnull=True,
                        merged_person__isnull=True,
                    )
                ),
                name="merge_records_of_its_kind",
            ),
            # A record is merged once at a time (a second, concurrent merge of it fails here
            # even if it got past the row locks).
            models.UniqueConstraint(
                fields=["merged_person"],
                condition=Q(undone_at__isnull=True, merged_person__isnull=False),
                name="merge_person_once",
            ),
            models.UniqueConstraint(
                fields=["merged_household"],
                condition=Q(undone_at__isnull=True, merged_household__isnull=False),
                name="merge_household_once",
            ),
        ]
        indexes = [
            models.Index(fields=["survivor_person"], name="merge_survivor_person_idx"),
            models.Index(fields=["survivor_household"], name="merge_survivor_household_idx"),
        ]

    def __str__(self) -> str:
        return f"{_('Merge')} №{self.pk}"

    @property
    def survivor(self):
        return self.survivor_person if self.kind == MergeKind.PERSON else self.survivor_household

    @property
    def merged(self):
        return self.merged_person if self.kind == MergeKind.PERSON else self.merged_household

    @property
    def survivor_id(self) -> int:
        return self.survivor_person_id or self.survivor_household_id

    @property
    def merged_id(self) -> int:
        return self.merged_person_id or self.merged_household_id

    @property
    def undone(self) -> bool:
        return self.undone_at is not None


class MergeChangeKind(models.TextChoices):
    MOVED = "moved", _("row moved to the survivor")
    FIELD = "field", _("field set")


class MergeChange(models.Model):
    """One change a merge made: a row re-pointed (`field` of `model` row `object_pk` from
    `old_value` to `new_value`, the merged record's id to the survivor's), or a field of one of
    the two records set (a personal number given to the survivor, `merged_into`)."""

    merge = models.ForeignKey(
        Merge, on_delete=models.PROTECT, related_name="changes", verbose_name=_("merge")
    )
    kind = models.CharField(_("change"), max_length=5, choices=MergeChangeKind.choices)
    model = models.CharField(_("record type"), max_length=100)  # "registry.Membership"
    field = models.CharField(_("field"), max_length=100)  # the attname: "person_id"
    object_pk = models.BigIntegerField(_("row"))
    old_value = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    new_value = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    # The order they were made in (the undo goes backwards: a personal number is cleared on
    # the merged record before the survivor takes it, and given back in reverse).
    position = models.PositiveIntegerField(_("order"))

    class Meta:
        ordering = ["merge_id", "position"]
        verbose_name = _("change made by a merge")
        verbose_name_plural = _("changes made by merges")
        constraints = [
            models.UniqueConstraint(fields=["merge", "position"], name="merge_change_position")
        ]

    def __str__(self) -> str:
        return f"{self.model}.{self.field} #{self.object_pk}: {self.old_value} → {self.new_value}"
