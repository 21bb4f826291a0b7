"""A bank file's download reaches its payees: the breach-scope report (zrunva.audit.breach)
names them, and only them (issue 19, item 8)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.audit import breach
from zrunva.core.trail import access_log
from zrunva.payments import services
from zrunva.payments.choices import FileKind
from zrunva.payments.selectors import breach_payroll_files

pytestmark = pytest.mark.django_db


def test_a_bank_file_download_reaches_its_payees_only(approved, make_user):
    payroll, officer = approved
    files = services.payroll_export(actor=officer, payroll=payroll)
    nb = next(f for f in files if f.kind == FileKind.PAIN001 and f.bank_code == "NB")
    payees = set(
        payroll.payments.filter(account__bank_code="NB").values_list("payee_id", flat=True)
    )
    others = set(payroll.payments.values_list("payee_id", flat=True)) - payees
    assert len(payees) == 2 and len(others) == 1
    assert breach_payroll_files([str(nb.pk)]) == {str(nb.pk): (payees, set())}

    downloader = make_user(Role.SSA_OFFICER)
    access_log(actor=downloader, instance=nb, purpose="download")
    scope = breach.scope_of(
        dpo=make_user(Role.DPO),
        actor=breach.Actor(user=downloader),
        since=timezone.now() - timedelta(minutes=5),
        until=timezone.now() + timedelta(minutes=1),
        record=False,
    )
    assert set(scope.people) == payees
    assert all(r.kinds == {breach.EXPORT} for r in scope.people.values())
    assert scope.counts == {(breach.EXPORT, str(nb._meta.verbose_name)): 1}
