"""Writes of data integration: import sources and their files' imports. (Merges and other
agencies' access have their own modules: `merges`, `agencies`.)"""

import os

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core.jobs import JobStatus
from zrunva.core.trail import acting_as
from zrunva.integration.imports import digest, max_upload_bytes, require_import
from zrunva.integration.models import Import, Source
from zrunva.integration.readers import file_kind, open_table

SOURCE_FIELDS = (
    "code",
    "name",
    "description",
    "municipality",
    "mapping",
    "values",
    "date_formats",
    "encoding",
    "updates",
    "creates",
    "all_or_nothing",
    "is_active",
)


@transaction.atomic
def source_save(*, actor, data: dict, source: Source | None = None) -> Source:
    """Define or change an import source: its columns, value mappings and what it may change,
    checked by `imports.source_problems` (an administrator's)."""
    permissions.require(actor, permissions.IMPORT_SOURCES_MANAGE)
    unknown = set(data) - set(SOURCE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    source = Source.objects.select_for_update().get(pk=source.pk) if source else Source()
    for name, value in data.items():
        setattr(source, name, value)
    if source.pk is None:
        source.created_by = actor
    source.full_clean()
    with acting_as(actor):
        source.save()
    return source


def import_start(
    *, actor, source: Source, upload, web: bool = True, enqueue: bool = True
) -> Import:
    """Take a file of `source` for a dry run: refused at once if it is empty, too large for the
    web (`IMPORT_MAX_UPLOAD_MB`; larger files go through `manage.py import_file`), not CSV or
    XLSX, or lacking a column the mapping names. The dry run then reports every row."""
    require_import(actor, source)
    if not source.is_active:
        raise ValidationError({"source": _("This source is no longer in use.")})
    name = os.path.basename(getattr(upload, "name", "") or "file")
    kind = file_kind(name)
    sha, size = digest(upload)
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if web and size > max_upload_bytes():
        raise ValidationError(
            {
                "file": _(
                    "The file is larger than %(mb)d MB: import it on the server with "
                    "`manage.py import_file`."
                )
                % {"mb": max_upload_bytes() // (1024 * 1024)}
            }
        )
    job = Import(
        source=source,
        dry_run=True,
        file_name=name[:255],
        kind=kind,
        sha256=sha,
        size=size,
        started_by=actor,
        language=translation.get_language() or "ka",
    )
    job.file.save(f"{sha[:16]}-{name[-60:]}", File(upload), save=False)
    try:
        # The whole file's shape at once: nothing is queued for a file that cannot be read.
        open_table(
            job.file.path, kind, encoding=source.encoding, wanted=set(source.mapping.values())
        ).close()
    except BaseException:
        job.file.delete(save=False)
        raise
    with transaction.atomic(), acting_as(actor):
        job.save()
        if enqueue:
            _enqueue(job)
    return job


def _enqueue(job: Import) -> None:
    from zrunva.integration.tasks import import_run

    transaction.on_commit(lambda: import_run.enqueue(job.pk))


@transaction.atomic
def import_commit(*, actor, checked: Import, enqueue: bool = True) -> Import:
    """Apply what a finished dry run showed: the same file read again, each row applied only
    if it comes out as the dry run showed it (otherwise refused, not applied), in one
    transaction. A dry run is committed once, and not after its source was changed; an
    all-or-nothing source's file with a rejected row is not committed."""
    checked = Import.objects.select_for_update().select_related("source").get(pk=checked.pk)
    require_import(actor, checked.source)
    if not checked.dry_run or checked.status != JobStatus.DONE:
        raise ValidationError(_("Only a finished dry run is committed."))
    if checked.commits.exists():
        raise ValidationError(_("This dry run has been committed already."))
    if checked.source.updated_at > checked.created_at:
        raise ValidationError(
            _("The source was changed after this dry run: read the file again (a new dry run).")
        )
    rejected = checked.summary.get("rejected", 0)
    if checked.source.all_or_nothing and rejected:
        raise ValidationError(
            _(
                "%(count)d rows are rejected and this source applies a file only whole: correct "
                "them and send the file again."
            )
            % {"count": rejected}
        )
    job = Import(
        source=checked.source,
        dry_run=False,
        checked=checked,
        file=checked.file.name,
        file_name=checked.file_name,
        kind=checked.kind,
        sha256=checked.sha256,
        size=checked.size,
        started_by=actor,
        language=translation.get_language() or "ka",
    )
    try:
        with transaction.atomic(), acting_as(actor):
            job.save()
    except IntegrityError as error:  # another commit of it, at the same moment (SQLite)
        raise ValidationError(_("This dry run has been committed already.")) from error
    if enqueue:
        _enqueue(job)
    return job
