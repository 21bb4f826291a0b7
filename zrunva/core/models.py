from django.db import models
from django.utils.translation import get_language


class BilingualNameMixin(models.Model):
    """Reference records carry a Georgian and an English name; show the one for the active language."""

    name_ka = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "ka").startswith("en") else self.name_ka
