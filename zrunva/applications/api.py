from datetime import date, datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from zrunva.applications import selectors, services
from zrunva.applications.choices import Channel, Status
from zrunva.core.api import (
    SIGNED_IN,
    Day,
    FlagIn,
    Id,
    IdIn,
    LifeDay,
    PersonalNumber,
    responses,
    slug,
)
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme
from zrunva.registry import selectors as registry

router = Router(tags=["applications"])


class DelayOut(Schema):
    programme: str
    municipality: str
    month: str
    decided: int
    decision_median: float | None
    decision_p90: float | None
    enrolled: int
    enrolment_median: float | None
    enrolment_p90: float | None


@router.get(
    "/applications/delays",
    response=responses({200: list[DelayOut]}, *SIGNED_IN, 422),
    summary="Days from submission to decision and to enrolment: median and 90th percentile",
)
def delays(request, since: Day | None = None):
    return selectors.delay_indicators(actor=request.user, since=since).to_dicts()


class ApplicantIn(Schema):
    personal_number: PersonalNumber
    first_name: str = Field(min_length=1, max_length=120)
    last_name: str = Field(min_length=1, max_length=120)
    birth_date: LifeDay
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    language: Literal["ka", "en"] = "ka"


class ApplicationIn(Schema):
    programme: slug(60, 'A programme code, e.g. "tsa".')
    municipality: slug(40, 'A municipality code, e.g. "kutaisi".')
    applicant: ApplicantIn
    consent: FlagIn


class ApplicationEventOut(Schema):
    from_status: str
    to_status: str
    at: datetime
    note: str


class ApplicationOut(Schema):
    id: int
    number: str
    programme: str
    municipality: str
    status: str
    channel: str
    due_date: date | None
    household_id: int | None
    duplicate_of_id: int | None = Field(
        description="Set when the registry already held an open application or an enrolment "
        "for this person and programme at submission, and the caller processes that earlier "
        "application too: its id, for the back office to resolve (close it as a duplicate, or "
        "process it). Otherwise null."
    )
    events: list[ApplicationEventOut]

    @staticmethod
    def resolve_programme(application) -> str:
        return application.programme.code

    @staticmethod
    def resolve_municipality(application) -> str:
        return application.municipality.code

    @staticmethod
    def resolve_duplicate_of_id(application) -> int | None:
        # Set by selectors.application_get for those who may see the flag.
        return getattr(application, "duplicate_of_shown_id", None)

    @staticmethod
    def resolve_events(application) -> list:
        return list(application.events.all())


class StepIn(Schema):
    # A Literal, not the enum: grievances have a `Status` too, and the document keeps one name.
    to: Literal[tuple(Status.values)]
    note: str = ""
    household_id: IdIn | None = None


def _place(model, code: str, field: str):
    found = model.objects.filter(code=code).first()
    if found is None:
        raise ValidationError({field: _("Unknown code.")})
    return found


@router.post(
    "/applications",
    response=responses({201: ApplicationOut}, 400, *SIGNED_IN, 422),
    summary="Enter an application for an applicant at an office",
)
def application_create(request, payload: ApplicationIn):
    application = services.application_submit(
        actor=request.user,
        channel=Channel.WALK_IN,
        programme=_place(Programme, payload.programme, "programme"),
        municipality=_place(Municipality, payload.municipality, "municipality"),
        applicant=payload.applicant.dict(),
        consent=payload.consent,
    )
    return 201, selectors.application_get(actor=request.user, pk=application.pk)


@router.get(
    "/applications/{application_id}",
    response=responses({200: ApplicationOut}, *SIGNED_IN, 404, 422),
    summary="An application",
)
def application_detail(request, application_id: Id):
    return selectors.application_get(actor=request.user, pk=application_id)


@router.post(
    "/applications/{application_id}/steps",
    response=responses({200: ApplicationOut}, 400, *SIGNED_IN, 404, 422),
    summary="Move an application one step, as the screen does",
)
def application_step(request, application_id: Id, payload: StepIn):
    application = selectors.application_get(actor=request.user, pk=application_id)
    household = None
    if payload.household_id is not None:
        household = registry.household_get(
            actor=request.user, pk=payload.household_id, purpose="register application"
        )
    services.application_transition(
        actor=request.user,
        application=application,
        to=payload.to,
        note=payload.note,
        household=household,
    )
    return selectors.application_get(actor=request.user, pk=application_id)
