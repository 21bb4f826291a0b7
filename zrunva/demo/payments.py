"""Synthetic payment accounts for the demo's enrolled beneficiaries, recorded through the
payments service as an officer would: most paid to a bank account (synthetic IBANs with valid
check digits, from schwifty), some in cash at the post office."""

import random

from django.contrib.auth import get_user_model
from django.db.models import Q
from schwifty import IBAN

from zrunva.applications.models import Enrolment
from zrunva.payments.models import PaymentAccount
from zrunva.payments.services import payment_account_set
from zrunva.registry.models import Membership, Person

# Two-letter bank codes of Georgian IBANs (TB: TBC Bank, BG: Bank of Georgia, LB: Liberty Bank).
BANKS = ("TB", "BG", "LB")


def demo_payment_accounts(*, seed: int, officer: str = "ssa", cash_share: float = 0.2) -> int:
    """An account for each beneficiary of an open enrolment who has none (for a household
    programme, the household's head), from the enrolment's first month. Returns how many."""
    rng = random.Random(seed)
    actor = get_user_model().objects.get(username=officer)
    beneficiaries: dict[int, object] = {}
    open_enrolments = Enrolment.objects.filter(ends__isnull=True).order_by("id")
    for enrolment in open_enrolments:
        person_id = enrolment.person_id or (
            Membership.objects.filter(
                household_id=enrolment.household_id, relationship="head", end_date__isnull=True
            )
            .values_list("person_id", flat=True)
            .first()
        )
        if person_id and person_id not in beneficiaries:
            beneficiaries[person_id] = enrolment.starts
    have = set(
        PaymentAccount.objects.filter(Q(person_id__in=beneficiaries)).values_list(
            "person_id", flat=True
        )
    )
    recorded = 0
    for person in Person.objects.filter(pk__in=set(beneficiaries) - have).order_by("pk"):
        cash = rng.random() < cash_share
        iban = (
            ""
            if cash
            else IBAN.generate(
                "GE", bank_code=rng.choice(BANKS), account_code=f"{rng.randrange(10**16):016d}"
            ).compact
        )
        payment_account_set(
            actor=actor,
            person=person,
            method="cash" if cash else "bank",
            iban=iban,
            valid_from=beneficiaries[person.pk],
            note="Synthetic demo account.",
        )
        recorded += 1
    return recorded
