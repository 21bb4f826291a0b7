"""Fixtures shared by the payments tests."""

import pytest

from zrunva.accounts.choices import Role
from zrunva.applications.models import Enrolment
from zrunva.applications.tests.factories import enrolled_application
from zrunva.payments import services
from zrunva.payments.payroll import payroll_execute
from zrunva.payments.tests.factories import IBAN, OTHER_IBAN


def _valid(iban: str) -> str:
    from schwifty import IBAN as Iban

    return Iban.generate("GE", bank_code=iban[4:6], account_code=iban[6:]).compact


@pytest.fixture
def pensioner(make_user):
    """An enrolled pensioner (495.00 a month from next month) with a bank account."""
    application = enrolled_application()
    enrolment = Enrolment.objects.get(application=application)
    officer = make_user(Role.SSA_OFFICER)
    services.payment_account_set(
        actor=officer,
        person=enrolment.person,
        method="bank",
        iban=IBAN,
        valid_from=enrolment.starts,
    )
    return enrolment


@pytest.fixture
def approved(make_user, settings, tmp_path):
    """A payroll of three pensioners, two at one bank and one at another, approved."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    officer, other = make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)
    months = set()
    for iban in (IBAN, IBAN.replace("0101904917", "0101904925"), OTHER_IBAN):
        enrolment = Enrolment.objects.get(application=enrolled_application())
        services.payment_account_set(
            actor=officer,
            person=enrolment.person,
            method="bank",
            iban=_valid(iban),
            valid_from=enrolment.starts,
        )
        months.add(enrolment.starts)
    payroll = services.payroll_start(actor=officer, month=months.pop(), enqueue=False)
    payroll = payroll_execute(payroll=payroll)
    services.payroll_check(actor=officer, payroll=payroll)
    return services.payroll_approve(actor=other, payroll=payroll), officer
