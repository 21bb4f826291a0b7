"""Synthetic payment accounts for the demo's enrolled beneficiaries, recorded through the
payments service as an officer would (most to a bank account, with synthetic IBANs whose check
digits are valid, from schwifty; some in cash at the post office), and a payroll prepared,
checked and approved through the services by two different users."""

import random
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone
from schwifty import IBAN

from zrunva.applications.models import Enrolment
from zrunva.payments.bankfiles import end_to_end
from zrunva.payments.choices import PaymentStatus, SuspensionReason
from zrunva.payments.models import PaymentAccount, Payroll
from zrunva.payments.payroll import payroll_execute
from zrunva.payments.services import (
    payment_account_set,
    payroll_approve,
    payroll_check,
    payroll_export,
    payroll_start,
    reconciliation_apply,
    recovery_record,
    suspension_start,
)
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
    people = Person.objects.filter(pk__in=set(beneficiaries) - have).select_related("municipality")
    for person in people.order_by("pk"):
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
            # Georgian Post's branch in the municipality (a synthetic branch name).
            post_office=f"საქართველოს ფოსტა, {person.municipality.name_ka}" if cash else "",
            valid_from=beneficiaries[person.pk],
            note="Synthetic demo account.",
        )
        recorded += 1
    return recorded


def demo_payroll(*, preparer: str = "ssa", approver: str = "admin") -> Payroll | None:
    """Next month's payroll of every state programme, prepared and checked by one officer and
    approved by another, sent to the banks and answered (one payment returned: a closed
    account), as a newcomer would see it done (none without enrolments). Then one payment
    suspended (the beneficiary lives abroad) and one overpayment recorded, waiting for a second
    officer's approval."""
    users = get_user_model().objects
    first = Enrolment.objects.order_by("starts").values_list("starts", flat=True).first()
    if first is None:
        return None
    month = max(first, timezone.localdate().replace(day=1) + relativedelta(months=1))
    payroll = payroll_start(actor=users.get(username=preparer), month=month, enqueue=False)
    payroll = payroll_execute(payroll=payroll)
    officer = users.get(username=preparer)
    payroll_check(actor=officer, payroll=payroll)
    payroll = payroll_approve(actor=users.get(username=approver), payroll=payroll)
    payroll_export(actor=officer, payroll=payroll)
    due = list(payroll.payments.filter(status=PaymentStatus.DUE).order_by("pk"))
    if not due:
        return payroll
    # The banks' and post offices' answer: all paid but the last line, returned (AC04: closed).
    rows = ["end_to_end_id,amount,currency,status,reason"]
    for line in due:
        returned = line is due[-1]
        rows.append(
            f"{end_to_end(line.pk, line.month)},{line.amount:.2f},GEL,"
            + ("returned,AC04" if returned else "paid,")
        )
    answer = SimpleUploadedFile("answer.csv", ("\n".join(rows) + "\n").encode())
    reconciliation_apply(actor=officer, payroll=payroll, upload=answer, kind="csv")
    if len(due) > 1:  # the last line was returned; the others were paid
        suspension_start(
            actor=officer,
            enrolment=due[0].enrolment,
            reason=SuspensionReason.ABROAD,
            starts=payroll.month + relativedelta(months=1),
            note="Synthetic demo: a neighbour reported the beneficiary moved abroad.",
        )
        overpaid = due[1] if len(due) > 2 else due[0]
        recovery_record(
            actor=officer,
            enrolment=overpaid.enrolment,
            amount=min(overpaid.amount, Decimal("50.00")),
            note="Synthetic demo: a payment made twice by hand.",
        )
    payroll.refresh_from_db()
    return payroll
