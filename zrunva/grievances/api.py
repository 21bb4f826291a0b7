"""Grievances over the API: staff handle them as on the screens; citizens (or a system acting
for them, with no sign-in) file one and follow it, throttled as on the portal."""

from datetime import date, datetime
from typing import Literal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from zrunva.core.api import SIGNED_IN, Id, IdIn, PageNumber, responses
from zrunva.core.casework import normalised_number
from zrunva.core.pagination import paginate
from zrunva.core.throttle import throttle_submission, throttled_lookup
from zrunva.core.trail import search_log
from zrunva.geo.models import Municipality
from zrunva.grievances import selectors, services
from zrunva.grievances.choices import Category, Channel, Language, Status
from zrunva.grievances.models import Grievance

router = Router(tags=["grievances"])


class GrievanceIn(Schema):
    """Every field is checked by the service, which names the field at fault in its error."""

    personal_number: str = Field("", description="The complainant's, 11 digits.")
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    email: str = ""
    # The codes are published as enums; the service still checks them, so that a wrong one is
    # named with the others in one answer (400), in the complainant's language.
    language: str = Field(
        "ka", description="For the answer.", json_schema_extra={"enum": Language.values}
    )
    category: str = Field(
        "", description="What it is about.", json_schema_extra={"enum": Category.values}
    )
    text: str = ""
    application: str = Field(
        "", description="An application number (ZR-…); required for an appeal."
    )
    municipality: str = Field(
        "", description='A municipality code, e.g. "kutaisi"; not needed with an application.'
    )
    reference: str = Field("", description="The number of another record it is about.")


class GrievanceEventOut(Schema):
    kind: str
    at: datetime
    actor_id: int | None
    note: str


class GrievanceRow(Schema):
    id: int
    number: str
    category: str
    status: str
    municipality: str
    due_date: date
    escalated_at: datetime | None
    assigned_to_id: int | None

    @staticmethod
    def resolve_municipality(grievance) -> str:
        return grievance.municipality.code


class GrievancePage(Schema):
    items: list[GrievanceRow]
    page: int
    has_next: bool


class GrievanceOut(GrievanceRow):
    channel: str
    personal_number: str
    first_name: str
    last_name: str
    phone: str
    email: str
    language: str
    text: str
    application: str | None
    reference: str
    filed_at: datetime
    resolution: str
    resolved_at: datetime | None
    resolved_by_id: int | None
    events: list[GrievanceEventOut]

    @staticmethod
    def resolve_application(grievance) -> str | None:
        return grievance.application.number if grievance.application_id else None

    @staticmethod
    def resolve_events(grievance) -> list:
        return list(grievance.events.all())


class AssignIn(Schema):
    assigned_to: IdIn = Field(description="The id of the staff member who handles it.")


class ResolveIn(Schema):
    resolution: str = ""


class StatusIn(Schema):
    number: str = ""
    personal_number: str = ""


class PublicGrievanceOut(Schema):
    """What the complainant sees of their grievance: no staff names, no notes."""

    number: str
    category: str
    status: str
    filed_at: datetime
    due_date: date
    escalated: bool
    application: str | None
    resolution: str
    resolved_at: datetime | None

    @staticmethod
    def resolve_escalated(grievance) -> bool:
        return grievance.is_escalated

    @staticmethod
    def resolve_application(grievance) -> str | None:
        return grievance.application.number if grievance.application_id else None

    @staticmethod
    def resolve_resolution(grievance) -> str:
        return grievance.resolution if grievance.status == Status.RESOLVED else ""


def _filing(payload: GrievanceIn) -> dict:
    municipality = None
    if payload.municipality:
        municipality = Municipality.objects.filter(code=payload.municipality).first()
        if municipality is None:
            raise ValidationError({"municipality": _("Unknown municipality.")})
    names = ("personal_number", "first_name", "last_name", "phone", "email", "language")
    return {
        "complainant": {name: getattr(payload, name) for name in names},
        "category": payload.category,
        "text": payload.text,
        "municipality": municipality,
        "application_number": payload.application,
        "reference": payload.reference,
    }


# -- Staff ------------------------------------------------------------------------------------


@router.get(
    "/grievances",
    response=responses({200: GrievancePage}, *SIGNED_IN, 422),
    summary="The grievances of your area",
)
def grievance_list(
    request,
    # A Literal, not the enum: applications have a `Status` too; the document keeps one name.
    status: Literal[tuple(Status.values)] | None = None,
    overdue: bool = False,
    escalated: bool = False,
    mine: bool = False,
    page: PageNumber = 1,
):
    terms = {"status": status or "", "overdue": overdue, "escalated": escalated, "mine": mine}
    qs = selectors.grievance_queue(actor=request.user, **terms)
    result = paginate(qs, number=page, size=settings.REGISTRY_PAGE_SIZE)
    search_log(
        actor=request.user,
        model=Grievance,
        terms={**{k: v or None for k, v in terms.items()}, "page": result.number},
        shown=len(result.items),
    )
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.post(
    "/grievances",
    response=responses({201: GrievanceOut}, 400, *SIGNED_IN, 422),
    summary="Enter a grievance for a citizen at an office",
)
def grievance_create(request, payload: GrievanceIn):
    grievance = services.grievance_file(
        actor=request.user, channel=Channel.WALK_IN, **_filing(payload)
    )
    return 201, selectors.grievance_get(actor=request.user, pk=grievance.pk, purpose="api")


@router.get(
    "/grievances/{grievance_id}",
    response=responses({200: GrievanceOut}, *SIGNED_IN, 404, 422),
    summary="A grievance",
)
def grievance_detail(request, grievance_id: Id):
    return selectors.grievance_get(actor=request.user, pk=grievance_id, purpose="api")


@router.post(
    "/grievances/{grievance_id}/assign",
    response=responses({200: GrievanceOut}, 400, *SIGNED_IN, 404, 422),
    summary="Give a grievance to a staff member (or take it)",
)
def grievance_assign(request, grievance_id: Id, payload: AssignIn):
    grievance = selectors.grievance_get(actor=request.user, pk=grievance_id, purpose="assign")
    to = get_user_model().objects.filter(pk=payload.assigned_to, is_active=True).first()
    if to is None:
        raise ValidationError({"assigned_to": _("No staff member has this id.")})
    services.grievance_assign(actor=request.user, grievance=grievance, to=to)
    return selectors.grievance_get(actor=request.user, pk=grievance_id, purpose="api")


@router.post(
    "/grievances/{grievance_id}/resolve",
    response=responses({200: GrievanceOut}, 400, *SIGNED_IN, 404, 422),
    summary="Answer a grievance; the complainant is sent the answer",
)
def grievance_resolve(request, grievance_id: Id, payload: ResolveIn):
    grievance = selectors.grievance_get(actor=request.user, pk=grievance_id, purpose="resolve")
    services.grievance_resolve(
        actor=request.user, grievance=grievance, resolution=payload.resolution
    )
    return selectors.grievance_get(actor=request.user, pk=grievance_id, purpose="api")


# -- Citizens (no sign-in) ----------------------------------------------------------------------


@router.post(
    "/portal/grievances",
    auth=None,
    response=responses({201: PublicGrievanceOut}, 400, 422, 429),
    summary="File a grievance or an appeal, as on the portal",
)
def portal_grievance_file(request, payload: GrievanceIn):
    throttle_submission(
        request,
        "grievance",
        personal_number=payload.personal_number,
        phone=payload.phone,
        email=payload.email,
    )
    return 201, services.grievance_file(channel=Channel.API, **_filing(payload))


@router.post(
    "/portal/grievances/status",
    auth=None,
    response=responses({200: PublicGrievanceOut}, 400, 422, 429),
    summary="Where a grievance is, by its number and the complainant's personal number",
)
def portal_grievance_status(request, payload: StatusIn):
    grievance = throttled_lookup(
        request,
        number=normalised_number(payload.number, "GR"),
        find=lambda: selectors.grievance_find(
            number=payload.number, personal_number=payload.personal_number
        ),
    )
    if grievance is None:
        raise ValidationError(services.NOT_FOUND)
    return grievance
