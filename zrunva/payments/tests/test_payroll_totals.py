"""A payroll's counts and totals by programme, municipality and payment provider, on its page
and in the API: each figure the sum of the lines it counts."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue
from zrunva.core import numbers
from zrunva.geo.models import Municipality
from zrunva.payments import selectors, services
from zrunva.payments.choices import PaymentStatus
from zrunva.payments.models import Payment
from zrunva.payments.tests.factories import KUTAISI_POST, checked_payroll
from zrunva.registry.models import Household

pytestmark = pytest.mark.django_db


@pytest.fixture
def payroll(make_user, settings, tmp_path):
    """A checked payroll a month after its pensioners' first: arrears for that first month.
    Two paid in cash, one to a bank, one with no account (held); one household moved to
    Batumi."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    officer = make_user(Role.SSA_OFFICER)
    payroll = checked_payroll(officer, later=1, accounts=(KUTAISI_POST, KUTAISI_POST, "", None))
    moved = Payment.objects.filter(payroll=payroll, account__method="bank").first().household_id
    Household.objects.filter(pk=moved).update(municipality=Municipality.objects.get(code="batumi"))
    return payroll


def _expected(payroll, key) -> dict:
    """The figures counted one line at a time, in Python."""
    rows = defaultdict(lambda: defaultdict(int))
    lines = payroll.payments.select_related("account", "programme", "household__municipality")
    for line in lines:
        row = rows[key(line)]
        if line.status == PaymentStatus.DUE:
            row["due"] += 1
            row["due_total"] += line.amount
            row["arrears"] += line.month < payroll.month
        row["held"] += line.status == PaymentStatus.HELD
        row["paid"] += line.status == PaymentStatus.PAID
        row["paid_total"] += line.amount if line.status == PaymentStatus.PAID else 0
        row["returned"] += line.status == PaymentStatus.RETURNED
    return {
        k: {c: row[c] for c in selectors.COUNTS} | {"due_total": Decimal(row["due_total"])}
        for k, row in rows.items()
    }


def _got(rows, key) -> dict:
    return {
        row[key]: {c: row[c] for c in selectors.COUNTS}
        | {"due_total": Decimal(row["due_total"]), "paid_total": Decimal(row["paid_total"])}
        for row in rows
    }


def _provider(line):
    if line.account is None:
        return None
    return "cash" if line.account.method == "cash" else line.account.bank_code


def test_the_figures_are_the_sums_of_the_lines(payroll):
    totals = selectors.payroll_totals(payroll=payroll)
    assert _got(totals["programmes"], "code") == _expected(payroll, lambda p: p.programme.code)
    assert _got(totals["municipalities"], "code") == _expected(
        payroll, lambda p: p.household.municipality.code
    )
    assert _got(totals["providers"], "provider") == _expected(payroll, _provider)
    # What the data were built to hold, so the sums above are not of nothing.
    (pension,) = totals["programmes"]
    assert (pension["due"], pension["arrears"], pension["held"]) == (6, 3, 2)
    assert [r["provider"] for r in totals["providers"]] == ["NB", "cash", None]
    assert {r["code"] for r in totals["municipalities"]} == {"kutaisi", "batumi"}


def test_the_page_shows_the_three_tables_in_a_bounded_number_of_queries(
    payroll, login_as, django_assert_max_num_queries
):
    client = login_as(Role.SSA_OFFICER)
    with django_assert_max_num_queries(20):
        html = client.get(f"/en/payments/payrolls/{payroll.pk}/").content.decode()
    for heading in ("By programme", "By municipality", "By payment provider", "Held, by reason"):
        assert heading in html
    totals = selectors.payroll_totals(payroll=payroll)
    kutaisi = next(r for r in totals["municipalities"] if r["code"] == "kutaisi")
    with translation.override("en"):
        due = numbers.money(kutaisi["due_total"])
    assert "Kutaisi" in html and "Batumi" in html
    assert f'data-label="Total to be paid" class="numeric">{due}<' in html
    assert "Cash at the post office" in html and "No account" in html
    assert "Cash lists" not in html and "Paid" not in html  # not yet approved, nothing paid


def test_the_api_reads_the_totals(payroll, make_user):
    _, key = api_token_issue(user=make_user(Role.SSA_OFFICER), name="totals")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    read = client.get(f"/api/v1/payrolls/{payroll.pk}")
    assert read.status_code == 200, read.content
    totals = read.json()["totals"]
    expected = selectors.payroll_totals(payroll=payroll)
    assert set(totals) == {"programmes", "municipalities", "providers"}
    for group, key_name in (
        ("programmes", "code"),
        ("municipalities", "code"),
        ("providers", "provider"),
    ):
        assert _got(totals[group], key_name) == _got(expected[group], key_name)
    assert [r["due_total"] for r in totals["providers"]] == ["990.00", "1980.00", "0.00"]
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "totals" in schema["PayrollDetailOut"]["properties"]
    assert set(schema["PayrollTotals"]["required"]) == {"programmes", "municipalities", "providers"}
    # The list answers without them (one payroll's figures, not fifty's).
    assert "totals" not in client.get("/api/v1/payrolls").json()[0]


def test_after_the_banks_answer_the_paid_lines_are_counted(payroll, make_user, login_as):
    approver = make_user(Role.SSA_OFFICER)
    payroll = services.payroll_approve(actor=approver, payroll=payroll)
    services.payroll_export(actor=approver, payroll=payroll)
    Payment.objects.filter(payroll=payroll, account__method="bank").update(
        status=PaymentStatus.PAID
    )
    totals = selectors.payroll_totals(payroll=payroll)
    assert _got(totals["providers"], "provider") == _expected(payroll, _provider)
    bank = next(r for r in totals["providers"] if r["provider"] == "NB")
    assert (bank["due"], bank["paid"], bank["paid_total"]) == (0, 2, Decimal("990.00"))
    html = login_as(Role.SSA_OFFICER).get(f"/en/payments/payrolls/{payroll.pk}/").content.decode()
    assert "Total paid" in html
    _, key = api_token_issue(user=approver, name="exported")
    read = Client(HTTP_AUTHORIZATION=f"Bearer {key}").get(f"/api/v1/payrolls/{payroll.pk}")
    assert read.status_code == 200, read.content
    assert read.json()["step"] == "exported"
