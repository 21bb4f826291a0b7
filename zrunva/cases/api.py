"""Social work cases and referrals over the API, with the screens' services and permissions:
workers read and work the cases they may read (sensitive ones as on the pages), providers
answer the referrals to their organisation."""

import io
from datetime import date, datetime
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile

from zrunva.cases import selectors, services
from zrunva.cases.choices import Category, EntryKind, Risk, Source, Specialisation, Stage
from zrunva.cases.models import SocialCase
from zrunva.core.api import SIGNED_IN, Day, Id, IdIn, PageNumber, responses
from zrunva.core.pagination import paginate
from zrunva.core.trail import search_log
from zrunva.registry.models import Person
from zrunva.services.models import Service

router = Router(tags=["cases"])


class CaseRow(Schema):
    id: int
    number: str
    category: str
    risk: str
    stage: str
    sensitive: bool
    municipality: str
    assigned_to_id: int | None
    opened_at: datetime
    first_contact_due: datetime
    first_contact_at: datetime | None
    next_review: date | None

    @staticmethod
    def resolve_municipality(case) -> str:
        return case.municipality.code


class CasePage(Schema):
    items: list[CaseRow]
    page: int
    has_next: bool


class EntryOut(Schema):
    kind: str
    happened_on: date
    note: str
    author_id: int


class ReferralOut(Schema):
    id: int
    case: str = Field(description="The case's number.")
    service_id: int
    status: str
    waiting_list: bool
    note: str
    answer: str
    referred_at: datetime
    answered_at: datetime | None

    @staticmethod
    def resolve_case(referral) -> str:
        return referral.case.number


class CaseOut(CaseRow):
    person_id: int
    household_id: int | None
    specialisation: str
    source: str
    intake: str
    outcome: str
    closed_at: datetime | None
    entries: list[EntryOut]
    referrals: list[ReferralOut]

    @staticmethod
    def resolve_entries(case) -> list:
        return list(case.entries.all())

    @staticmethod
    def resolve_referrals(case) -> list:
        return list(case.referrals.select_related("case"))


class CaseIn(Schema):
    person_id: IdIn
    category: Literal[tuple(Category.values)]
    specialisation: Literal[tuple(Specialisation.values)]
    source: Literal[tuple(Source.values)]
    risk: Literal[tuple(Risk.values)]
    intake: str = Field(max_length=4000)
    sensitive: bool = False


class MoveIn(Schema):
    to: Literal[tuple(s for s in Stage.values if s != Stage.CLOSED)]
    note: str = Field("", max_length=4000)


class EntryIn(Schema):
    kind: Literal[tuple(k for k in EntryKind.values if k != EntryKind.DOCUMENT)] = Field(
        description="A document is attached on the case's page."
    )
    happened_on: Day
    note: str = Field("", max_length=4000)


class ReferralIn(Schema):
    service_id: IdIn
    note: str = Field(max_length=4000)
    waiting_list: bool = False


class AnswerIn(Schema):
    answer: Literal["accept", "decline", "complete"]
    text: str = Field("", max_length=4000)


@router.get(
    "/cases", response=responses({200: CasePage}, *SIGNED_IN, 422), summary="Cases you may read"
)
def case_list(
    request,
    stage: Literal[tuple(Stage.values)] | None = None,
    mine: bool = False,
    page: PageNumber = 1,
):
    qs = selectors.mine(actor=request.user) if mine else selectors.case_list(actor=request.user)
    if stage:
        qs = qs.filter(stage=stage)
    result = paginate(qs, number=page, size=settings.REGISTRY_PAGE_SIZE)
    search_log(
        actor=request.user,
        model=SocialCase,
        terms={"stage": stage, "mine": mine or None, "page": result.number},
        shown=len(result.items),
    )
    return {"items": result.items, "page": result.number, "has_next": result.has_next}


@router.post(
    "/cases", response=responses({201: CaseOut}, 400, *SIGNED_IN, 404, 422), summary="Open a case"
)
def case_open(request, payload: CaseIn):
    data = payload.dict()
    person = get_object_or_404(Person, pk=data.pop("person_id"))
    case = services.case_open(actor=request.user, person=person, **data)
    return 201, selectors.case_detail(actor=request.user, pk=case.pk, purpose="api")


@router.get(
    "/cases/{case_id}", response=responses({200: CaseOut}, *SIGNED_IN, 404, 422), summary="A case"
)
def case_detail(request, case_id: Id):
    return selectors.case_detail(actor=request.user, pk=case_id, purpose="api")


@router.post(
    "/cases/{case_id}/move",
    response=responses({200: CaseOut}, 400, *SIGNED_IN, 404, 422),
    summary="Move a case to another stage",
)
def case_move(request, case_id: Id, payload: MoveIn):
    case = selectors.case_detail(actor=request.user, pk=case_id, purpose="api")
    services.case_move(actor=request.user, case=case, to=payload.to, note=payload.note)
    return selectors.case_detail(actor=request.user, pk=case_id, purpose="api")


@router.post(
    "/cases/{case_id}/timeline",
    response=responses({201: EntryOut}, 400, *SIGNED_IN, 404, 422),
    summary="Add a visit, a call or a note to a case's timeline",
)
def entry_add(request, case_id: Id, payload: EntryIn):
    case = selectors.case_detail(actor=request.user, pk=case_id, purpose="api")
    return 201, services.entry_add(actor=request.user, case=case, **payload.dict())


@router.post(
    "/cases/{case_id}/referrals",
    response=responses({201: ReferralOut}, 400, *SIGNED_IN, 404, 422),
    summary="Refer a case to a service of the catalogue",
)
def referral_send(request, case_id: Id, payload: ReferralIn):
    case = selectors.case_detail(actor=request.user, pk=case_id, purpose="api")
    service = get_object_or_404(Service, pk=payload.service_id)
    return 201, services.referral_send(
        actor=request.user,
        case=case,
        service=service,
        note=payload.note,
        waiting_list=payload.waiting_list,
    )


@router.get(
    "/referrals",
    response=responses({200: list[ReferralOut]}, *SIGNED_IN),
    summary="Referrals to your organisation's services (providers)",
)
def referral_inbox(request):
    return list(selectors.referral_inbox(actor=request.user)[:500])


@router.post(
    "/referrals/{referral_id}/answer",
    response=responses({200: ReferralOut}, 400, *SIGNED_IN, 404, 422),
    summary="Accept, decline or complete a referral (providers)",
)
def referral_answer(request, referral_id: Id, payload: AnswerIn):
    referral = selectors.referral_for_provider(actor=request.user, pk=referral_id)
    return services.referral_answer(
        actor=request.user, referral=referral, answer=payload.answer, text=payload.text
    )


# -- The employment exchange (Worknet) -----------------------------------------------------------


class JobSeekerIn(Schema):
    person_id: IdIn
    case_id: IdIn | None = None


class JobSeekerOut(Schema):
    id: int
    person_id: int
    municipality: str
    status: str
    referred_at: datetime
    sent_in: str

    @staticmethod
    def resolve_municipality(referral) -> str:
        return referral.municipality.code


class AppliedOut(Schema):
    registered: int
    training: int
    placed: int
    not_reached: int


@router.post(
    "/employment/referrals",
    response=responses({201: JobSeekerOut}, 400, *SIGNED_IN, 404, 422),
    summary="Refer a working-age benefit recipient to Worknet",
)
def jobseeker_refer(request, payload: JobSeekerIn):
    case = (
        selectors.case_detail(actor=request.user, pk=payload.case_id, purpose="api")
        if payload.case_id
        else None
    )
    person = get_object_or_404(Person, pk=payload.person_id)
    return 201, services.jobseeker_refer(actor=request.user, person=person, case=case)


@router.post(
    "/employment/export",
    response={200: None, **responses({}, 400, *SIGNED_IN)},
    summary="The exchange file of the referrals not yet sent (CSV, docs/worknet-exchange.md)",
)
def worknet_export(request):
    out = io.BytesIO()
    batch, _count = services.worknet_export(actor=request.user, out=out)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{batch}.csv"'
    return response


@router.post(
    "/employment/import",
    response=responses({200: AppliedOut}, 400, *SIGNED_IN, 422),
    summary="Apply Worknet's answer file: every row checked, nothing applied if any is wrong",
)
def worknet_import(request, file: UploadedFile = File(...)):  # noqa: B008 (ninja declares uploads so)
    if file.size > 5 * 1024 * 1024:
        raise ValidationError({"file": _("The file is larger than 5 MB.")})
    return services.worknet_import(actor=request.user, data=file.read())
