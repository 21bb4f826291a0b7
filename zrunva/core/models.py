from django.db import models
from django.utils.translation import get_language


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
