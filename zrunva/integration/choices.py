from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportOutcome(models.TextChoices):
    """What an import does (or, in a dry run, would do) with one row of the file."""

    NEW = "new", _("New")
    CHANGED = "changed", _("Changed")
    UNCHANGED = "unchanged", _("Matched, unchanged")
    REJECTED = "rejected", _("Rejected")


class MatchMethod(models.TextChoices):
    """How a row was found in the registry, strongest first."""

    LINK = "link", _("The source's record number, linked before")
    PERSONAL_NUMBER = "personal_number", _("Personal number")
    DOCUMENT = "document", _("Identity document")
    NAME_BIRTH = "name_birth", _("Name and birth date")
    PROBABILISTIC = "probabilistic", _("Record linkage")


class FileKind(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class PairStatus(models.TextChoices):
    """Where a possible duplicate stands: found (automatic match or to review), or decided."""

    AUTO = "auto", _("Automatic match")
    REVIEW = "review", _("To review")
    MATCH = "match", _("The same person")
    NOT_MATCH = "not_match", _("Not the same person")
    UNSURE = "unsure", _("Unsure")
    MERGED = "merged", _("Merged")


UNDECIDED = (PairStatus.AUTO, PairStatus.REVIEW)
