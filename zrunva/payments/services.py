from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core.text import long_date
from zrunva.core.trail import acting_as
from zrunva.core.validators import LAST_DAY, day_in_range, iban_compact, iban_validator
from zrunva.payments.choices import PaymentMethod
from zrunva.payments.models import PaymentAccount
from zrunva.registry.models import Person, Representative


def _mandate(person: Person, personal_number: str, on: date) -> Representative:
    """The person's representative with this personal number, under a mandate valid on `on`.
    Only the person's own representatives are looked up, so the answer says nothing about
    anyone else in the registry."""
    mandate = (
        Representative.objects.filter(
            person=person, representative__personal_number=personal_number, valid_from__lte=on
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .select_related("representative")
        .order_by("-valid_from")
        .first()
    )
    if mandate is None:
        raise ValidationError(
            {
                "holder_personal_number": _(
                    "The account holder must be the beneficiary or their representative (a "
                    "guardian, supporter or authorised person) recorded in the registry for "
                    "%(date)s."
                )
                % {"date": long_date(on)}
            }
        )
    return mandate


@transaction.atomic
def payment_account_set(
    *,
    actor,
    person: Person,
    method: str,
    valid_from: date,
    iban: str = "",
    holder_personal_number: str = "",
    note: str = "",
) -> PaymentAccount:
    """Pay the beneficiary from `valid_from` to a Georgian bank account or in cash at the post
    office. The account is held by the beneficiary (no `holder_personal_number`, or theirs) or
    by their representative under a mandate valid on that day, named by personal number. The account in force before is closed the day before; a change cannot
    start on or before the day the current account started (record a correction as a new
    account from a later day). Staff who may record it, in the beneficiary's area."""
    permissions.require(actor, permissions.PAYMENT_ACCOUNTS_EDIT)
    permissions.require_in_scope(actor, person.municipality_id)
    try:
        day_in_range(valid_from, last=LAST_DAY)
    except ValidationError as error:
        raise ValidationError({"valid_from": error.messages}) from error
    if method not in PaymentMethod.values:
        raise ValidationError({"method": _("Choose a bank account or cash at the post office.")})
    iban = (iban or "").strip()
    if method == PaymentMethod.BANK:
        if not iban:
            raise ValidationError({"iban": _("Enter the IBAN of the account.")})
        try:
            iban_validator(iban)
        except ValidationError as error:
            raise ValidationError({"iban": error.messages}) from error
        iban = iban_compact(iban)
    elif iban:
        raise ValidationError({"iban": _("Cash at the post office takes no IBAN.")})
    number = (holder_personal_number or "").strip()
    if number and number != person.personal_number:
        mandate = _mandate(person, number, valid_from)
        holder = mandate.representative
    else:
        mandate, holder = None, person

    # The beneficiary's row is the lock: two changes at once take turns.
    Person.objects.select_for_update().filter(pk=person.pk).values_list("pk").first()
    current = PaymentAccount.objects.filter(person=person, valid_until__isnull=True).first()
    if current is not None and valid_from <= current.valid_from:
        raise ValidationError(
            {
                "valid_from": _(
                    "The current account is used from %(date)s: a new one starts after that day."
                )
                % {"date": long_date(current.valid_from)}
            }
        )
    account = PaymentAccount(
        person=person,
        method=method,
        iban=iban,
        bank_code=iban[4:6] if iban else "",
        holder=holder,
        representative=mandate,
        valid_from=valid_from,
        recorded_by=actor,
        note=(note or "").strip(),
    )
    account.full_clean(exclude=["person", "holder", "representative", "recorded_by"])
    with acting_as(actor):
        if current is not None:
            current.valid_until = valid_from - timedelta(days=1)
            current.save(update_fields=["valid_until"])
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError as error:
            raise ValidationError(
                _("The account was changed at the same moment by someone else: reload the page.")
            ) from error
    return account
