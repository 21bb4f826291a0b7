from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile

from zrunva.applications.models import Enrolment
from zrunva.applications.tests.factories import enrolled_application
from zrunva.payments import services
from zrunva.payments.payroll import payroll_execute
from zrunva.registry import services as registry
from zrunva.registry.tests import factories

IBAN = "GE29NB0000000101904917"
OTHER_IBAN = "GE35TB0000000011111111"


def beneficiary(municipality: str = "kutaisi"):
    """A household's head, the beneficiary whose accounts the tests record."""
    return factories.household(municipality).memberships.get().person


def representative(person, *, kind="guardian", valid_from=date(2020, 1, 1), valid_until=None):
    """Someone in the registry recorded as `person`'s representative for those dates."""
    other = factories.household(person.municipality.code).memberships.get().person
    return registry.representative_add(
        actor=factories.system_actor(),
        person=person,
        data={
            "representative": other,
            "kind": kind,
            "basis": "Court decision 2-123/2020",
            "valid_from": valid_from,
            "valid_until": valid_until,
        },
    ).representative


def paid_month(officer, other, month):
    """A month's payroll prepared, approved, sent and answered: every line paid."""
    payroll = payroll_execute(
        payroll=services.payroll_start(actor=officer, month=month, enqueue=False)
    )
    services.payroll_check(actor=officer, payroll=payroll)
    services.payroll_approve(actor=other, payroll=payroll)
    services.payroll_export(actor=officer, payroll=payroll)
    rows = ["end_to_end_id,amount,currency,status,reason"]
    rows += [
        f"ZR-P{p.pk}-{p.month:%Y%m},{p.amount:.2f},GEL,paid,"
        for p in payroll.payments.filter(status="due")
    ]
    upload = SimpleUploadedFile("answer.csv", ("\n".join(rows) + "\n").encode())
    services.reconciliation_apply(actor=officer, payroll=payroll, upload=upload, kind="csv")
    return payroll


KUTAISI_POST = "საქართველოს ფოსტა, ქუთაისი"
TKIBULI_POST = "საქართველოს ფოსტა, ტყიბული [2]"


def checked_payroll(
    officer, *, later: int = 0, accounts=(KUTAISI_POST, KUTAISI_POST, TKIBULI_POST, "")
):
    """A checked payroll of a pensioner per entry of `accounts`: a post office (paid in cash
    there; the second through a guardian), "" (to a bank account) or None (no account: held),
    for the month they are first paid, or `later` months after (the months before: arrears)."""
    months = set()
    for n, office in enumerate(accounts):
        enrolment = Enrolment.objects.get(application=enrolled_application())
        months.add(enrolment.starts)
        if office is None:
            continue
        services.payment_account_set(
            actor=officer,
            person=enrolment.person,
            method="cash" if office else "bank",
            post_office=office,
            iban="" if office else IBAN,
            holder_personal_number=representative(enrolment.person).personal_number
            if n == 1
            else "",
            valid_from=enrolment.starts,
        )
    month = months.pop() + relativedelta(months=later)
    payroll = payroll_execute(
        payroll=services.payroll_start(actor=officer, month=month, enqueue=False)
    )
    return services.payroll_check(actor=officer, payroll=payroll)
