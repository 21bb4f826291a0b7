"""Record linkage inside the registry: trained models, the runs that score pairs of people, and
the pairs an officer reviews (the decisions kept, so a pair judged is not asked again and its
labels train the next model)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zrunva.core.jobs import Job
from zrunva.integration.choices import PairStatus


class LinkageModel(models.Model):
    """A trained Splink model (`zrunva.integration.matching.train`): its comparisons with the
    m and u probabilities learnt, and the thresholds that route its pairs."""

    model = models.JSONField(_("model"))
    auto_match = models.FloatField(_("automatic match from probability"), default=0.99)
    review = models.FloatField(_("review from probability"), default=0.5)
    records = models.PositiveIntegerField(_("records trained on"))
    labels = models.PositiveIntegerField(_("reviewed pairs used"), default=0)
    seconds = models.FloatField(_("training time, s"))
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    trained_at = models.DateTimeField(_("trained"), auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("linkage model")
        verbose_name_plural = _("linkage models")

    def __str__(self) -> str:
        return f"#{self.pk}"


class LinkageRun(Job):
    """One scoring of the registry's people (of a municipality, or all): pairs above the review
    threshold kept as `MatchPair`s."""

    TASK = "zrunva.integration.tasks.linkage_run"
    STAGES = {
        "reading": _("Reading the registry"),
        "training": _("Training the model"),
        "scoring": _("Scoring pairs"),
        "storing": _("Storing the pairs"),
        "done": _("Done"),
    }

    municipality = models.ForeignKey(
        "geo.Municipality",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    train = models.BooleanField(_("train a new model"), default=False)
    linkage_model = models.ForeignKey(
        LinkageModel, null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("linkage run")
        verbose_name_plural = _("linkage runs")

    def __str__(self) -> str:
        return f"#{self.pk}"


class MatchPair(models.Model):
    """Two people of the registry the model says may be one: the lower id on the left. Found
    again by a later run, the pair is rescored while undecided; decided, it stays as decided."""

    left = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    right = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("other")
    )
    run = models.ForeignKey(LinkageRun, on_delete=models.PROTECT, related_name="pairs")
    probability = models.FloatField(_("match probability"))
    weight = models.FloatField(_("match weight"))
    waterfall = models.JSONField(_("contributions"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=PairStatus.choices, default=PairStatus.REVIEW
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    found_at = models.DateTimeField(_("found"), auto_now_add=True)

    class Meta:
        ordering = ["-probability", "pk"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["left", "right"], name="match_pair_once"),
            models.CheckConstraint(
                condition=Q(left__lt=models.F("right")), name="match_pair_order"
            ),
        ]
        indexes = [models.Index(fields=["status", "-probability"], name="match_pair_queue_idx")]

    def __str__(self) -> str:
        return f"{self.left_id}–{self.right_id}"
