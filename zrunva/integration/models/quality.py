"""The registry's data quality over time: one count per day, municipality and check."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class QualityCount(models.Model):
    """How many records of a municipality a data-quality check found on a day
    (`integration.quality.quality_snapshot`, once a day; taken again the same day, it replaces
    that day's counts)."""

    day = models.DateField(_("day"))
    municipality = models.ForeignKey(
        "geo.Municipality",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
    )
    code = models.CharField(_("check"), max_length=40)  # the QualityCheck's code
    count = models.PositiveIntegerField(_("records"))

    class Meta:
        ordering = ["day", "municipality_id", "code"]
        verbose_name = _("data-quality count")
        verbose_name_plural = _("data-quality counts")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "municipality", "code"], name="quality_count_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.municipality_id} {self.code}: {self.count}"
