from datetime import date, datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from zrunva.applications import selectors, services
from zrunva.applications.choices import JOB_END_REASONS, Channel, EnrolmentEndReason, Status
from zrunva.applications.models import BulkEnrolment
from zrunva.core.api import (
    SIGNED_IN,
    Day,
    Email,
    FlagIn,
    Id,
    IdIn,
    LifeDay,
    MoneyOut,
    PersonalNumber,
    Phone,
    responses,
    slug,
)
from zrunva.core.trail import scoped_get
from zrunva.geo.models import Municipality
from zrunva.programmes import runs
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
    paid: int
    payment_median: float | None
    payment_p90: float | None


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
    phone: Phone = ""
    email: Email = ""
    language: Literal["ka", "en"] = "ka"


class ApplicationIn(Schema):
    programme: slug(60, 'A programme code, e.g. "tsa".')
    municipality: slug(40, 'A municipality code, e.g. "kutaisi".')
    applicant: ApplicantIn
    consent: FlagIn


class ApplicationEventOut(Schema):
    kind: str = Field(description="status, assignment, document or enrol_end.")
    from_status: str
    to_status: str
    at: datetime
    note: str = Field(description="For an assignment: the officer's name (empty: unassigned).")
    visit_date: date | None = Field(description="Scheduling the home visit: its day.")
    assessment_id: int | None = Field(description="Assessed: the assessment it rests on.")


class ApplicationOut(Schema):
    id: int
    number: str
    programme: str
    municipality: str
    status: str
    channel: str
    due_date: date | None
    household_id: int | None
    visit_date: date | None = Field(description="The day the home visit is scheduled for.")
    assessment_id: int | None = Field(
        description="The household's assessment (home-visit record) the assessed step rests on."
    )
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
    visit_date: Day | None = Field(
        None,
        description="To schedule the home visit (home_visit_scheduled): its day, from today "
        f"to {services.VISIT_AHEAD_DAYS} days ahead.",
    )
    assessment_id: IdIn | None = Field(
        None,
        description="For assessed: the household's assessment from on or after the scheduled "
        "visit day. Optional when the household has exactly one; refused when it has none.",
    )


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
    description="The same rules as the screen, in one call. The screen asks the officer to "
    "confirm granting, enrolling and withdrawing on a page saying what they will do; that "
    "page is a safeguard for a person reading a screen, and is not an API step: a client "
    "that calls this endpoint has made its decision, and a `confirm` flag it would always "
    "send would protect nothing.",
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
        visit_date=payload.visit_date,
        # An id: the service takes only one of the household's that fits, else says why.
        assessment=payload.assessment_id,
    )
    return selectors.application_get(actor=request.user, pk=application_id)


class EnrolmentOut(Schema):
    id: int
    programme: str
    household_id: int
    person_id: int | None
    application_id: int | None
    batch_id: int | None
    amount: MoneyOut
    starts: date
    ends: date | None
    end_reason: str

    @staticmethod
    def resolve_programme(enrolment) -> str:
        return enrolment.programme.code


class EnrolmentEndIn(Schema):
    on: Day = Field(description="The day of the event: paid to the end of its month.")
    reason: Literal[tuple(r for r in EnrolmentEndReason.values if r not in JOB_END_REASONS)]


@router.post(
    "/enrolments/{enrolment_id}/end",
    response=responses({200: EnrolmentOut}, 400, *SIGNED_IN, 404, 422),
    summary="End an enrolment (a withdrawal, a confirmed loss, another reason), as the screen does",
)
def enrolment_end(request, enrolment_id: Id, payload: EnrolmentEndIn):
    enrolment = scoped_get(
        selectors.enrolments_processed(actor=request.user), actor=request.user, pk=enrolment_id
    )
    return services.enrolment_end(
        enrolment=enrolment, on=payload.on, reason=payload.reason, actor=request.user
    )


class BulkEnrolmentIn(Schema):
    programme: slug(60, 'A programme code, e.g. "state_pension".')


class BulkEnrolmentOut(Schema):
    id: int
    run_id: int
    programme: str
    status: str
    starts: date
    gained: int
    enrolled: int
    skipped: dict[str, int]
    requested_by_id: int
    decided_by_id: int | None

    @staticmethod
    def resolve_programme(batch) -> str:
        return batch.programme.code


def _batch(request, batch_id: int):
    found = BulkEnrolment.objects.select_related("run").filter(pk=batch_id).first()
    if found is None:
        raise Http404
    return scoped_get(
        selectors.bulk_enrolments(actor=request.user, run=found.run),
        actor=request.user,
        pk=batch_id,
    )


@router.post(
    "/runs/{run_id}/bulk-enrolments",
    response=responses({201: BulkEnrolmentOut}, 400, *SIGNED_IN, 404, 422),
    summary="Ask to enrol everyone a run found newly eligible for a programme decided in bulk",
)
def bulk_enrolment_request(request, run_id: Id, payload: BulkEnrolmentIn):
    run = scoped_get(runs.run_list(actor=request.user), actor=request.user, pk=run_id)
    batch = services.bulk_enrolment_request(
        actor=request.user, run=run, programme=_place(Programme, payload.programme, "programme")
    )
    return 201, batch


@router.post(
    "/bulk-enrolments/{batch_id}/confirm",
    response=responses({200: BulkEnrolmentOut}, 400, *SIGNED_IN, 404, 422),
    summary="Confirm another officer's bulk enrolment (four eyes): the gained are enrolled",
)
def bulk_enrolment_confirm(request, batch_id: Id):
    return services.bulk_enrolment_confirm(actor=request.user, batch=_batch(request, batch_id))


@router.post(
    "/bulk-enrolments/{batch_id}/cancel",
    response=responses({200: BulkEnrolmentOut}, 400, *SIGNED_IN, 404, 422),
    summary="Withdraw or turn down a bulk enrolment awaiting confirmation",
)
def bulk_enrolment_cancel(request, batch_id: Id):
    return services.bulk_enrolment_cancel(actor=request.user, batch=_batch(request, batch_id))
