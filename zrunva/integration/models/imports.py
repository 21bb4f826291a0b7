"""Imports from other registries: a source (whose file, how its columns map onto the registry,
what it may change), each import of one of its files (a dry run, then the commit of what the
dry run showed), every row's outcome, and the source's record numbers linked to people."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

from zrunva.core.jobs import Job
from zrunva.integration.choices import FileKind, ImportOutcome, MatchMethod


def _private_storage():
    # Other registries' files hold personal data: outside the web root, read only by the import.
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


class Source(models.Model):
    """Another registry whose files Zrunva takes: the civil registry's deaths, the Revenue
    Service's declared incomes, the IDP ministry's list, a municipality's old beneficiary list.

    `mapping` names, for each registry field, the file's column that holds it; `values` maps a
    field's values as the source writes them onto the registry's (`{"sex": {"1": "M"}}`);
    `updates` lists the fields an import may change on a person found in the registry (a deaths
    feed sets the date of death, never a name); `creates` lets it register people it does not
    find, each in the household its rows name. What is allowed is checked by
    `zrunva.integration.imports.source_problems`, for the form, the API and the model alike."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    municipality = models.ForeignKey(
        "geo.Municipality",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
        help_text=_("A municipality's own list; empty for a national registry."),
    )
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    values = models.JSONField(_("value mapping"), default=dict, blank=True)
    date_formats = models.JSONField(_("date formats"), default=list, blank=True)
    encoding = models.CharField(_("text encoding"), max_length=20, default="utf-8")
    updates = models.JSONField(_("fields it may change"), default=list, blank=True)
    creates = models.BooleanField(_("registers people it does not find"), default=False)
    all_or_nothing = models.BooleanField(
        _("all or nothing"),
        default=False,
        help_text=_("Apply a file only if every row is valid."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("import source")
        verbose_name_plural = _("import sources")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from zrunva.integration.imports import source_problems

        problems = source_problems(self)
        if problems:
            from django.core.exceptions import ValidationError

            raise ValidationError(problems)


class Import(Job):
    """One file of a source, read as a dry run (nothing written but the report) or committed
    (the changes applied in one transaction). A commit follows a dry run of the same file."""

    TASK = "zrunva.integration.tasks.import_run"
    STAGES = {
        "reading": _("Reading the file"),
        "linking": _("Looking for the rows' people by record linkage"),
        "applying": _("Applying the changes"),
        "done": _("Done"),
    }

    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="imports", verbose_name=_("source")
    )
    dry_run = models.BooleanField(_("dry run"), default=True)
    checked = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commits",
        verbose_name=_("dry run committed"),
    )
    file = models.FileField(_("file"), storage=_private_storage, upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("file type"), max_length=4, choices=FileKind.choices)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    # The report's reasons are written in the language of whoever sent the file.
    language = models.CharField(_("language"), max_length=8, default="ka")

    class Meta:
        ordering = ["-pk"]
        constraints = [
            # A dry run is committed once (a failed commit is resumed, not started again).
            models.UniqueConstraint(fields=["checked"], name="import_commit_once"),
        ]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"


class ImportRow(models.Model):
    """One row's outcome: new, changed (old → new per field), matched and unchanged, or
    rejected (field and reason); whom it matched and how."""

    job = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="rows")
    row = models.PositiveIntegerField(_("row"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=ImportOutcome.choices)
    identity = models.CharField(_("identifier in the file"), max_length=80, blank=True)
    record_id = models.CharField(_("record number in the source"), max_length=80, blank=True)
    person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # a dry run's match; the report outlives a merge of the person
        related_name="+",
        verbose_name=_("person"),
    )
    method = models.CharField(
        _("matched by"), max_length=16, choices=MatchMethod.choices, blank=True
    )
    weight = models.FloatField(_("match weight"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)

    class Meta:
        ordering = ["job", "row"]
        constraints = [
            models.UniqueConstraint(fields=["job", "row"], name="import_row_once"),
        ]
        indexes = [models.Index(fields=["job", "outcome", "row"], name="import_row_outcome_idx")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.row}"


class SourceLink(models.Model):
    """A source's own record number, linked to the person it was found to be: the next file
    finds them by it, whatever their name or personal number says."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="links")
    record_id = models.CharField(_("record number in the source"), max_length=80)
    person = models.ForeignKey(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    linked_by = models.ForeignKey(Import, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("linked"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "record_id"], name="source_record_once"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.record_id}"
