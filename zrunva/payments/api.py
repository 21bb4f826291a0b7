"""Payments in the JSON API: a beneficiary's payment accounts, with the screens' services and
permissions."""

from datetime import date, datetime
from typing import Literal

from ninja import Field, Router, Schema

from zrunva.core.api import SIGNED_IN, Day, Iban, Id, PersonalNumber, responses
from zrunva.payments import selectors, services
from zrunva.registry import selectors as registry

router = Router(tags=["payments"])


class PaymentAccountOut(Schema):
    id: int
    method: Literal["bank", "cash"]
    iban: str
    bank_code: str
    holder_id: int
    representative_id: int | None
    valid_from: date
    valid_until: date | None
    recorded_at: datetime


class PaymentAccountIn(Schema):
    method: Literal["bank", "cash"]
    iban: Iban = ""
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
        holder_personal_number=payload.holder_personal_number or "",
        valid_from=payload.valid_from,
        note=payload.note,
    )
