"""Data integration in the JSON API, with the screens' services and permissions: import
sources, a file's dry run and its report, the commit."""

from datetime import datetime

from ninja import Field, Router, Schema, UploadedFile
from ninja import File as NinjaFile

from zrunva.core.api import SIGNED_IN, Id, JobOut, PageNumber, responses
from zrunva.core.pagination import paginate
from zrunva.core.trail import search_log
from zrunva.integration import selectors, services
from zrunva.integration.choices import ImportOutcome
from zrunva.integration.models import ImportRow

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
def import_start(request, source_id: Id, file: NinjaFile[UploadedFile]):
    source = selectors.source_get(actor=request.user, pk=source_id)
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
    return {"items": rows.items, "page": rows.number, "has_next": rows.has_next}


@router.post(
    "/integration/imports/{import_id}/commit",
    response=responses({201: ImportOut}, 400, *SIGNED_IN, 404, 422),
    summary="Apply what a finished dry run showed, in one transaction",
)
def import_commit(request, import_id: Id):
    checked = selectors.import_get(actor=request.user, pk=import_id)
    return 201, services.import_commit(actor=request.user, checked=checked)
