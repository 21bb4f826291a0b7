"""Data integration in the JSON API, with the screens' services and permissions: import
sources, a file's dry run and its report, the commit; merges of records and their undo."""

from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, UploadedFile
from ninja import File as NinjaFile

from zrunva.accounts import permissions
from zrunva.core.api import SIGNED_IN, Id, IdIn, JobOut, PageNumber, responses
from zrunva.core.pagination import paginate
from zrunva.core.trail import search_log
from zrunva.integration import merges, selectors, services
from zrunva.integration.choices import ImportOutcome
from zrunva.integration.merges import REASON_MAX
from zrunva.integration.models import ImportRow, Merge, MergeKind
from zrunva.registry import selectors as registry

router = Router(tags=["integration"])
REPORT_PAGE = 500


class SourceOut(Schema):
    id: int
    code: str
    name: str
    municipality_id: int | None
    mapping: dict[str, str] = Field(description="Registry field → the file's column.")
    values: dict[str, dict[str, str]]
    date_formats: list[str]
    encoding: str
    updates: list[str] = Field(description="The fields an import may change.")
    creates: bool
    all_or_nothing: bool
    is_active: bool


class ImportOut(JobOut):
    source_id: int
    dry_run: bool
    checked_id: int | None = Field(description="The dry run a commit applies.")
    file_name: str
    sha256: str
    size: int
    created_at: datetime


class RowError(Schema):
    field: str = Field(description="The registry field, or empty for the whole row.")
    reason: str


class ImportRowOut(Schema):
    row: int = Field(description="The spreadsheet row (the header is row 1).")
    outcome: str = Field(description="new, changed, unchanged or rejected.")
    identity: str
    record_id: str
    person_id: int | None
    method: str
    weight: float | None
    changes: dict = Field(description="Field → [old, new]; a new person's `_household` too.")
    errors: list[RowError]


class ImportRowPage(Schema):
    items: list[ImportRowOut]
    page: int
    has_next: bool


@router.get(
    "/integration/sources",
    response=responses({200: list[SourceOut]}, *SIGNED_IN),
    summary="Import sources whose files the user imports",
)
def sources(request):
    return list(selectors.source_list(actor=request.user))


@router.post(
    "/integration/sources/{source_id}/imports",
    response=responses({201: ImportOut}, 400, *SIGNED_IN, 404, 422),
    summary="Send a file of a source: a dry run reports every row, nothing changes",
)
def import_start(request, source_id: Id, file: NinjaFile[UploadedFile] = None):
    # Optional in the document: a multipart body whose file part is empty reaches Django with
    # no file at all, and is answered as the empty file it was (400), not as malformed (422).
    source = selectors.source_get(actor=request.user, pk=source_id)
    if file is None:
        raise ValidationError({"file": _("The file is empty.")})
    return 201, services.import_start(actor=request.user, source=source, upload=file)


@router.get(
    "/integration/imports/{import_id}",
    response=responses({200: ImportOut}, *SIGNED_IN, 404, 422),
    summary="An import: its progress and, once done, its counts",
)
def import_get(request, import_id: Id):
    return selectors.import_get(actor=request.user, pk=import_id)


@router.get(
    "/integration/imports/{import_id}/rows",
    response=responses({200: ImportRowPage}, *SIGNED_IN, 404, 422),
    summary="An import's report: every row's outcome, a page at a time",
)
def import_rows(
    request,
    import_id: Id,
    outcome: ImportOutcome | None = None,
    page: PageNumber = 1,
):
    job = selectors.import_get(actor=request.user, pk=import_id)
    rows = paginate(
        selectors.import_rows(job=job, outcome=outcome or ""), number=page, size=REPORT_PAGE
    )
    search_log(
        actor=request.user,
        model=ImportRow,
        terms={"import": job.pk, "outcome": outcome or ""},
        shown=len(rows.items),
    )
    for row in rows.items:
        row.changes = selectors.shown_changes(row.changes, request.user)
    return {"items": rows.items, "page": rows.number, "has_next": rows.has_next}


@router.post(
    "/integration/imports/{import_id}/commit",
    response=responses({201: ImportOut}, 400, *SIGNED_IN, 404, 422),
    summary="Apply what a finished dry run showed, in one transaction",
)
def import_commit(request, import_id: Id):
    checked = selectors.import_get(actor=request.user, pk=import_id)
    return 201, services.import_commit(actor=request.user, checked=checked)


# -- Merges (with undo) ---------------------------------------------------------------------------
# The screens' services and permissions: RECORDS_MERGE, both records in the actor's area.


class MergeIn(Schema):
    kind: Literal["person", "household"]
    survivor_id: IdIn = Field(description="The record that stays.")
    merged_id: IdIn = Field(description="The record merged into it (it leaves the lists).")
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class UndoIn(Schema):
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class MergeRow(Schema):
    id: int
    kind: str
    survivor_id: int
    merged_id: int
    actor_id: int
    reason: str
    created_at: datetime
    counts: dict[str, int] = Field(description="Rows moved per relation (app.Model.field).")
    undone_at: datetime | None
    undone_by_id: int | None
    undo_reason: str


class MergeChangeOut(Schema):
    kind: str = Field(description="moved: a row re-pointed; field: a field of a record set.")
    model: str
    field: str
    object_pk: int
    old_value: Any
    new_value: Any


class MergeOut(MergeRow):
    changes: list[MergeChangeOut]

    @staticmethod
    def resolve_changes(merge) -> list:
        return list(merges.merge_changes(merge))


class MergePage(Schema):
    items: list[MergeRow]
    page: int
    has_next: bool


def _record(request, kind: str, pk: int):
    if kind == MergeKind.PERSON:
        return registry.person_get(actor=request.user, pk=pk, purpose="merge")
    return registry.household_get(actor=request.user, pk=pk, purpose="merge")


@router.post(
    "/integration/merges",
    response=responses({201: MergeOut}, 400, *SIGNED_IN, 404, 422),
    summary="Merge two records of one person or household",
)
def merge_create(request, payload: MergeIn):
    permissions.require(request.user, permissions.RECORDS_MERGE)
    survivor = _record(request, payload.kind, payload.survivor_id)
    merged = _record(request, payload.kind, payload.merged_id)
    service = merges.person_merge if payload.kind == MergeKind.PERSON else merges.household_merge
    merge = service(actor=request.user, survivor=survivor, merged=merged, reason=payload.reason)
    return 201, merge


@router.post(
    "/integration/merges/{merge_id}/undo",
    response=responses({200: MergeOut}, 400, *SIGNED_IN, 404, 422),
    summary="Undo a merge",
)
def merge_undo(request, merge_id: Id, payload: UndoIn):
    merge = merges.merge_get(actor=request.user, pk=merge_id)
    return merges.merge_undo(actor=request.user, merge=merge, reason=payload.reason)


@router.get(
    "/integration/merges",
    response=responses({200: MergePage}, *SIGNED_IN, 422),
    summary="Merges in your area, newest first",
)
def merge_list(request, kind: Literal["person", "household"] | None = None, page: PageNumber = 1):
    result = paginate(
        merges.merge_list(actor=request.user, kind=kind or ""),
        number=page,
        size=settings.REGISTRY_PAGE_SIZE,
    )
    search_log(
        actor=request.user,
        model=Merge,
        terms={"kind": kind, "page": result.number, "api": True},
        shown=len(result.items),
    )
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.get(
    "/integration/merges/{merge_id}",
    response=responses({200: MergeOut}, *SIGNED_IN, 404, 422),
    summary="A merge and every change it made",
)
def merge_detail(request, merge_id: Id):
    return merges.merge_get(actor=request.user, pk=merge_id)
