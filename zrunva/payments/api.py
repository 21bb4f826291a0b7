"""Payments in the JSON API, with the screens' services and permissions: a beneficiary's payment
accounts and payments; payrolls (prepare, check, approve, cancel, bank files, the banks'
answers); an enrolment's payments, suspensions and recoveries."""

from datetime import date, datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Form, Router, Schema, UploadedFile
from ninja import File as NinjaFile

from zrunva.applications import selectors as enrolments
from zrunva.core.api import (
    SIGNED_IN,
    Day,
    Iban,
    Id,
    JobOut,
    MoneyOut,
    PageNumber,
    PersonalNumber,
    decimal_of,
    responses,
    slug,
)
from zrunva.core.pagination import paginate
from zrunva.core.trail import scoped_get
from zrunva.payments import selectors, services
from zrunva.payments.choices import (
    PaymentStatus,
    PayrollStep,
    RecoveryReason,
    RecoveryStatus,
    SuspensionOutcome,
    SuspensionReason,
)
from zrunva.payments.models import Recovery, Suspension
from zrunva.programmes.models import Programme
from zrunva.registry import selectors as registry

router = Router(tags=["payments"])


class PaymentAccountOut(Schema):
    id: int
    method: Literal["bank", "cash"]
    iban: str
    bank_code: str
    post_office: str
    holder_id: int
    representative_id: int | None
    valid_from: date
    valid_until: date | None
    recorded_at: datetime


class PaymentAccountIn(Schema):
    method: Literal["bank", "cash"]
    iban: Iban = ""
    post_office: str = Field("", max_length=200, description="For cash: the branch.")
    holder_personal_number: PersonalNumber | None = Field(
        None, description="The representative's who holds the account; none: the beneficiary's."
    )
    valid_from: Day
    note: str = Field("", max_length=1000)


@router.get(
    "/people/{person_id}/payment-accounts",
    response=responses({200: list[PaymentAccountOut]}, *SIGNED_IN, 404, 422),
    summary="A beneficiary's payment accounts, the current first",
)
def payment_accounts(request, person_id: Id):
    person = registry.person_get(actor=request.user, pk=person_id, purpose="payments")
    return list(selectors.payment_accounts(actor=request.user, person=person))


@router.post(
    "/people/{person_id}/payment-accounts",
    response=responses({201: PaymentAccountOut}, 400, *SIGNED_IN, 404, 422),
    summary="Pay a beneficiary to a new account (or in cash) from a date",
)
def payment_account_set(request, person_id: Id, payload: PaymentAccountIn):
    person = registry.person_get(actor=request.user, pk=person_id, purpose="edit")
    return 201, services.payment_account_set(
        actor=request.user,
        person=person,
        method=payload.method,
        iban=payload.iban,
        post_office=payload.post_office,
        holder_personal_number=payload.holder_personal_number or "",
        valid_from=payload.valid_from,
        note=payload.note,
    )


class PayrollIn(Schema):
    month: Day = Field(description="The month's first day, e.g. 2027-01-01.")
    programme: slug(60, 'A programme code, e.g. "state_pension"; none: every one.') | None = None


class PayrollOut(JobOut):
    month: date
    programme: str | None
    step: Literal[tuple(PayrollStep.values)]
    prepared_by: str
    approved_by: str | None

    @staticmethod
    def resolve_programme(payroll) -> str | None:
        return payroll.programme.code if payroll.programme else None

    @staticmethod
    def resolve_prepared_by(payroll) -> str:
        return payroll.prepared_by.username

    @staticmethod
    def resolve_approved_by(payroll) -> str | None:
        return payroll.approved_by.username if payroll.approved_by else None


class LineCounts(Schema):
    """A group of a payroll's lines: to be paid (of them arrears, for earlier months), held,
    and once the banks answer, paid and returned."""

    due: int
    due_total: MoneyOut
    arrears: int
    held: int
    paid: int
    paid_total: MoneyOut
    returned: int


class ProgrammeCounts(LineCounts):
    code: str = Field(description="The programme's code.")
    name: str


class MunicipalityCounts(LineCounts):
    code: str = Field(description="The municipality's code (the household's).")
    name: str


class ProviderCounts(LineCounts):
    provider: str | None = Field(
        description='The bank\'s two-letter code in the IBAN, "cash" (at the post office), or '
        "null: held for want of an account."
    )


class PayrollTotals(Schema):
    programmes: list[ProgrammeCounts]
    municipalities: list[MunicipalityCounts]
    providers: list[ProviderCounts]


class PayrollDetailOut(PayrollOut):
    totals: PayrollTotals | None = Field(
        description="Counts and totals by programme, municipality and payment provider, from "
        "the payroll's preparation on (null while it is prepared, and once cancelled)."
    )


class CancelIn(Schema):
    reason: str = Field("", max_length=1000)


@router.get(
    "/payrolls",
    response=responses({200: list[PayrollOut]}, *SIGNED_IN, 422),
    summary="Payrolls of the programmes your office pays, the latest first",
)
def payroll_list(request, page: PageNumber = 1):
    found = paginate(selectors.payroll_list(actor=request.user), number=page, size=50)
    return list(found.items)


@router.post(
    "/payrolls",
    response=responses({202: PayrollOut}, 400, *SIGNED_IN, 422),
    summary="Prepare a month's payroll (the worker prepares it; follow it by its id)",
)
def payroll_start(request, payload: PayrollIn):
    programme = None
    if payload.programme:
        programme = Programme.objects.filter(code=payload.programme).first()
        if programme is None:
            raise ValidationError({"programme": _("No programme has this code.")})
    return 202, services.payroll_start(actor=request.user, month=payload.month, programme=programme)


@router.get(
    "/payrolls/{payroll_id}",
    response=responses({200: PayrollDetailOut}, *SIGNED_IN, 404, 422),
    summary="A payroll: its step, progress, counts and totals",
)
def payroll_detail(request, payroll_id: Id):
    payroll = selectors.payroll_get(actor=request.user, pk=payroll_id)
    counted = payroll.step in selectors.COUNTED
    payroll.totals = selectors.payroll_totals(payroll=payroll) if counted else None
    return payroll


@router.post(
    "/payrolls/{payroll_id}/check",
    response=responses({200: PayrollOut}, 400, *SIGNED_IN, 404, 422),
    summary="Mark a prepared payroll checked",
)
def payroll_check(request, payroll_id: Id):
    payroll = selectors.payroll_get(actor=request.user, pk=payroll_id)
    return services.payroll_check(actor=request.user, payroll=payroll)


@router.post(
    "/payrolls/{payroll_id}/approve",
    response=responses({200: PayrollOut}, 400, *SIGNED_IN, 404, 422),
    summary="Approve a checked payroll (not the one who prepared it)",
)
def payroll_approve(request, payroll_id: Id):
    payroll = selectors.payroll_get(actor=request.user, pk=payroll_id)
    return services.payroll_approve(actor=request.user, payroll=payroll)


@router.post(
    "/payrolls/{payroll_id}/cancel",
    response=responses({200: PayrollOut}, 400, *SIGNED_IN, 404, 422),
    summary="Cancel a payroll and its lines (approved: administrators, with a reason)",
)
def payroll_cancel(request, payroll_id: Id, payload: CancelIn):
    payroll = selectors.payroll_get(actor=request.user, pk=payroll_id)
    return services.payroll_cancel(actor=request.user, payroll=payroll, reason=payload.reason)


class ReconciliationOut(Schema):
    id: int
    kind: Literal["camt054", "csv"]
    paid: int
    returned: int
    sha256: str
    uploaded_at: datetime


@router.post(
    "/payrolls/{payroll_id}/answers",
    response=responses({201: ReconciliationOut}, 400, *SIGNED_IN, 404, 422),
    summary="Apply a bank's answer (camt.054 or CSV), whole or not at all",
)
def payroll_answer(
    request,
    payroll_id: Id,
    kind: Form[Literal["camt054", "csv"]],
    file: NinjaFile[UploadedFile] = None,
):
    # Optional in the document: a multipart body whose file part is empty reaches Django with
    # no file at all, and is answered as the empty file it was (400), not as malformed (422).
    payroll = selectors.payroll_get(actor=request.user, pk=payroll_id)
    if file is None:
        raise ValidationError({"file": _("The file is empty.")})
    return 201, services.reconciliation_apply(
        actor=request.user, payroll=payroll, upload=file, kind=kind
    )


class PayrollFileOut(Schema):
    id: int
    bank_code: str
    kind: Literal["pain001", "csv"]
    count: int
    total: MoneyOut
    sha256: str


@router.post(
    "/payrolls/{payroll_id}/export",
    response=responses({200: list[PayrollFileOut]}, 400, *SIGNED_IN, 404, 422),
    summary="Make an approved payroll's bank files (pain.001.001.09 and CSV, one per bank)",
)
def payroll_export(request, payroll_id: Id):
    payroll = selectors.payroll_get(actor=request.user, pk=payroll_id)
    return services.payroll_export(actor=request.user, payroll=payroll)


PaymentStatusCode = Literal[tuple(PaymentStatus.values)]


class PaymentOut(Schema):
    id: int
    payroll_id: int
    enrolment_id: int
    programme: str
    month: date
    amount: MoneyOut
    deducted: MoneyOut
    status: PaymentStatusCode
    hold_reason: str
    return_reason: str

    @staticmethod
    def resolve_programme(payment) -> str:
        return payment.programme.code


@router.get(
    "/people/{person_id}/payments",
    response=responses({200: list[PaymentOut]}, *SIGNED_IN, 404, 422),
    summary="Payments to a person or for them, the latest month first",
)
def person_payments(request, person_id: Id, page: PageNumber = 1):
    person = registry.person_get(actor=request.user, pk=person_id, purpose="payments")
    found = selectors.person_payments(actor=request.user, person=person)
    return list(paginate(found, number=page, size=100).items)


class SuspensionOut(Schema):
    id: int
    reason: Literal[tuple(SuspensionReason.values)]
    starts: date
    resumes: date | None
    outcome: Literal[tuple(SuspensionOutcome.values)]
    note: str
    resolution_note: str


class RecoveryOut(Schema):
    id: int
    amount: MoneyOut
    outstanding: MoneyOut | None = None
    reason: Literal[tuple(RecoveryReason.values)]
    months: str
    note: str
    status: Literal[tuple(RecoveryStatus.values)]
    cancel_reason: str


class EnrolmentPaymentsOut(Schema):
    payments: list[PaymentOut]
    suspensions: list[SuspensionOut]
    recoveries: list[RecoveryOut]


@router.get(
    "/enrolments/{enrolment_id}/payments",
    response=responses({200: EnrolmentPaymentsOut}, *SIGNED_IN, 404, 422),
    summary="An enrolment's payments (the latest 100), suspensions and recoveries",
)
def enrolment_payments(request, enrolment_id: Id):
    enrolment = enrolments.enrolment_get(actor=request.user, pk=enrolment_id)
    found = selectors.enrolment_payments(actor=request.user, enrolment=enrolment)
    return {**found, "payments": list(found["payments"][:100])}


class SuspendIn(Schema):
    reason: Literal["abroad", "other"]
    starts: Day = Field(description="The first month not paid (any day of it).")
    note: str = Field("", max_length=1000)


@router.post(
    "/enrolments/{enrolment_id}/suspensions",
    response=responses({201: SuspensionOut}, 400, *SIGNED_IN, 404, 422),
    summary="Suspend an enrolment's payment from a month",
)
def suspension_start(request, enrolment_id: Id, payload: SuspendIn):
    enrolment = enrolments.enrolment_get(actor=request.user, pk=enrolment_id)
    return 201, services.suspension_start(
        actor=request.user,
        enrolment=enrolment,
        reason=payload.reason,
        starts=payload.starts,
        note=payload.note,
    )


class ResumeIn(Schema):
    release: bool = Field(True, description="Pay the months suspended with the next payroll.")
    note: str = Field("", max_length=1000, description="Why not, when `release` is false.")


@router.post(
    "/enrolments/{enrolment_id}/suspensions/{suspension_id}/resume",
    response=responses({200: SuspensionOut}, 400, *SIGNED_IN, 404, 422),
    summary="Resume a suspended payment from this month",
)
def suspension_resume(request, enrolment_id: Id, suspension_id: Id, payload: ResumeIn):
    enrolment = enrolments.enrolment_get(actor=request.user, pk=enrolment_id)
    suspension = scoped_get(
        Suspension.objects.filter(enrolment=enrolment), actor=request.user, pk=suspension_id
    )
    return services.suspension_resume(
        actor=request.user, suspension=suspension, release=payload.release, note=payload.note
    )


class RecoveryIn(Schema):
    amount: decimal_of(Recovery._meta.get_field("amount"), "The amount overpaid, e.g. 50.00.")
    note: str = Field(min_length=1, max_length=1000, description="The reason.")


@router.post(
    "/enrolments/{enrolment_id}/recoveries",
    response=responses({201: RecoveryOut}, 400, *SIGNED_IN, 404, 422),
    summary="Record an overpayment to recover (another officer approves it)",
)
def recovery_record(request, enrolment_id: Id, payload: RecoveryIn):
    enrolment = enrolments.enrolment_get(actor=request.user, pk=enrolment_id)
    return 201, services.recovery_record(
        actor=request.user, enrolment=enrolment, amount=payload.amount, note=payload.note
    )


def _recovery(request, enrolment_id: int, recovery_id: int):
    enrolment = enrolments.enrolment_get(actor=request.user, pk=enrolment_id)
    return scoped_get(
        Recovery.objects.filter(enrolment=enrolment), actor=request.user, pk=recovery_id
    )


@router.post(
    "/enrolments/{enrolment_id}/recoveries/{recovery_id}/approve",
    response=responses({200: RecoveryOut}, 400, *SIGNED_IN, 404, 422),
    summary="Approve a recovery (not the officer who recorded it)",
)
def recovery_approve(request, enrolment_id: Id, recovery_id: Id):
    recovery = _recovery(request, enrolment_id, recovery_id)
    return services.recovery_approve(actor=request.user, recovery=recovery)


@router.post(
    "/enrolments/{enrolment_id}/recoveries/{recovery_id}/cancel",
    response=responses({200: RecoveryOut}, 400, *SIGNED_IN, 404, 422),
    summary="Cancel a recovery, with the reason",
)
def recovery_cancel(request, enrolment_id: Id, recovery_id: Id, payload: CancelIn):
    recovery = _recovery(request, enrolment_id, recovery_id)
    return services.recovery_cancel(actor=request.user, recovery=recovery, reason=payload.reason)
