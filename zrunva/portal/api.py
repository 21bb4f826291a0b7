"""The citizen portal's API: apply, follow and withdraw an application with no account, as the
portal's pages do, with the same validation and the same throttling. An application is found
by its number and the applicant's personal number together."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile
from pydantic import AfterValidator

from zrunva.applications import selectors, services
from zrunva.applications.api import ApplicantIn, _place
from zrunva.applications.choices import Channel, EventKind, public_status
from zrunva.core.api import FlagIn, LifeDay, MoneyOut, PersonalNumber, responses, slug
from zrunva.core.throttle import throttle_submission, throttled_lookup
from zrunva.core.validators import PERSONAL_NUMBER_PATTERN
from zrunva.geo.models import Municipality
from zrunva.portal.forms import APPLICATION_NUMBER_PATTERN, application_number
from zrunva.programmes.models import Programme
from zrunva.registry.choices import Relationship

router = Router(tags=["citizen portal"], auth=None)


class DeclaredMemberIn(Schema):
    first_name: str = Field(min_length=1, max_length=120)
    last_name: str = Field(min_length=1, max_length=120)
    birth_date: LifeDay
    personal_number: str = Field("", pattern=r"^([0-9]{11})?$")
    relationship: Literal[tuple(r.value for r in Relationship if r != Relationship.HEAD)]


class PortalApplicationIn(Schema):
    programme: slug(60, 'A programme code, e.g. "tsa".')
    municipality: slug(40, "The code of the municipality the household lives in.")
    applicant: ApplicantIn
    members: list[DeclaredMemberIn] = Field(default_factory=list, max_length=services.MEMBERS_MAX)
    consent: FlagIn = Field(description="Consent to the processing of the data, for this purpose.")
    submission_key: UUID | None = Field(
        None,
        description="A key of the client's: the same request sent again gives back the "
        "application it made instead of a second one.",
    )


class Submitted(Schema):
    number: str
    status: str
    due_date: date | None


def _number(value: str) -> str:
    try:
        return application_number(value)
    except ValidationError as error:
        raise ValueError(" ".join(error.messages)) from None


# The forms' rule (zrunva.portal.forms.application_number), its pattern published: read in its
# stored form, ZR-XXXXX-XXXXX, however it is typed.
ApplicationNumber = Annotated[
    str,
    Field(
        pattern=APPLICATION_NUMBER_PATTERN,
        description="As on the confirmation, e.g. ZR-7K2QD-M4XPA; any case, with or without "
        "dashes or spaces.",
    ),
    AfterValidator(_number),
]


class Lookup(Schema):
    number: ApplicationNumber
    personal_number: PersonalNumber


class StepOut(Schema):
    status: str
    at: datetime


class DecisionOut(Schema):
    decided_on: date
    granted: bool
    monthly_amount: MoneyOut | None
    appeal_until: date | None


class StatusOut(Schema):
    number: str
    programme: str
    status: str
    due_date: date | None
    steps: list[StepOut]
    decision: DecisionOut | None
    documents: list[str]


def _found(lookup: Lookup, request):
    # Counted on the stored form (the schema's): "zr7k2qd…" and "ZR-7K2QD-…" are one number.
    number = lookup.number
    application = throttled_lookup(
        request,
        number=number,
        find=lambda: selectors.application_of_applicant(
            number=number, personal_number=lookup.personal_number
        ),
    )
    if application is None:
        raise Http404(_("No application has this number and personal number."))
    return application


def _status(application) -> dict:
    decision = None
    if application.decided_on:
        decision = {
            "decided_on": application.decided_on,
            "granted": application.decision_amount is not None,
            "monthly_amount": application.decision_amount,
            "appeal_until": application.appeal_until,
        }
    return {
        "number": application.number,
        "programme": application.programme.code,
        "status": public_status(application.status),
        "due_date": application.due_date if application.is_open else None,
        "steps": [
            {"status": public_status(e.to_status), "at": e.at}
            for e in application.events.all()
            if e.kind == EventKind.STATUS
        ],
        "decision": decision,
        "documents": [d.name for d in application.documents.all()],
    }


@router.post(
    "/portal/applications",
    response=responses({201: Submitted}, 400, 422, 429),
    summary="Apply for a programme (no account; throttled per address and personal number)",
)
def apply(request, payload: PortalApplicationIn):
    applicant = payload.applicant
    throttle_submission(
        request,
        "apply",
        personal_number=applicant.personal_number,
        phone=applicant.phone,
        email=applicant.email,
    )
    members = [m.dict() | {"birth_date": m.birth_date.isoformat()} for m in payload.members]
    try:
        application = services.application_submit(
            channel=Channel.PORTAL,
            programme=_place(Programme, payload.programme, "programme"),
            municipality=_place(Municipality, payload.municipality, "municipality"),
            applicant=payload.applicant.dict(),
            members=members,
            consent=payload.consent,
            submission_key=payload.submission_key,
        )
    except ValidationError as error:
        raise _in_body(error) from error
    return 201, application


def _in_body(error: ValidationError) -> ValidationError:
    """The service names the applicant's fields as the form does ("birth_date"); in the body
    they are the `applicant` object's, so the error's place is ["body", "applicant", ...]."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError(
        {
            f"applicant.{field}" if field in ApplicantIn.model_fields else field: messages
            for field, messages in error.message_dict.items()
        }
    )


@router.post(
    "/portal/applications/status",
    response=responses({200: StatusOut}, 400, 404, 422, 429),
    summary="Where an application is, by its number and the applicant's personal number",
)
def status(request, payload: Lookup):
    return _status(_found(payload, request))


@router.post(
    "/portal/applications/withdraw",
    response=responses({200: StatusOut}, 400, 404, 422, 429),
    summary="Withdraw an open application",
)
def withdraw(request, payload: Lookup):
    application = _found(payload, request)
    services.application_withdraw(
        number=application.number, personal_number=application.personal_number
    )
    return _status(
        selectors.application_of_applicant(
            number=application.number, personal_number=application.personal_number
        )
    )


@router.post(
    "/portal/applications/documents",
    response=responses({201: StatusOut}, 400, 404, 422, 429),
    summary="Send a supporting document (PDF, JPEG or PNG) for an open application",
)
def document(
    request,
    number: str = Form(..., pattern=APPLICATION_NUMBER_PATTERN),
    personal_number: str = Form(..., pattern=PERSONAL_NUMBER_PATTERN),
    # Optional in the schema: an empty file part is allowed by the document but dropped by the
    # form parser, so its absence is this operation's rule (400 on `file`), not a malformed call.
    file: File[UploadedFile] = None,
):
    if file is None:
        raise ValidationError({"file": _("Choose a file: PDF, JPEG or PNG.")})
    try:
        lookup = Lookup(number=number, personal_number=personal_number)
    except ValueError as error:
        raise ValidationError(
            {"number": _("Give the application number and personal number.")}
        ) from error
    application = _found(lookup, request)
    try:
        services.document_add(actor=None, application=application, upload=file)
    except ValidationError as error:
        raise ValidationError({"file": error.message_dict.get("file", error.messages)}) from error
    return 201, _status(
        selectors.application_of_applicant(
            number=application.number, personal_number=application.personal_number
        )
    )
