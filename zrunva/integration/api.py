"""Data integration over the API."""

from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from ninja import Field, Router, Schema

from zrunva.accounts import permissions
from zrunva.core.api import SIGNED_IN, Id, IdIn, PageNumber, responses
from zrunva.core.pagination import paginate
from zrunva.core.trail import search_log
from zrunva.integration import merges
from zrunva.integration.merges import REASON_MAX
from zrunva.integration.models import Merge, MergeKind
from zrunva.registry import selectors as registry

router = Router(tags=["integration"])

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
