"""A beneficiary's payment accounts: recording and changing one, who may hold it, the IBAN rule
on every entry point, who may see and change it."""

import json
import threading
from datetime import date, timedelta
from html import unescape

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test import Client

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue
from zrunva.payments import selectors, services
from zrunva.payments.models import PaymentAccount
from zrunva.payments.tests.factories import IBAN, OTHER_IBAN, beneficiary, representative

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _form(**overrides):
    return {
        "method": "bank",
        "iban": "GE29 NB00 0000 0101 9049 17",
        "holder_personal_number": "",
        "valid_from": "2026-12-01",
        "note": "",
    } | overrides


def _api(user):
    _, key = api_token_issue(user=user, name="payments")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", **EN)


def _post(client, person, body):
    return client.post(
        f"/api/v1/people/{person.pk}/payment-accounts",
        json.dumps(body),
        content_type="application/json",
    )


def test_an_officer_records_an_account_and_the_persons_page_shows_it(login_as):
    person = beneficiary()
    officer = login_as(Role.SSA_OFFICER)
    response = officer.post(f"/en/payments/people/{person.pk}/accounts/new/", _form())
    assert response.status_code == 302
    account = PaymentAccount.objects.get()
    assert (account.iban, account.bank_code, account.holder, account.valid_until) == (
        IBAN,
        "NB",
        person,
        None,
    )
    page = officer.get(f"/en/registry/people/{person.pk}/").content.decode()
    assert f'hx-get="/en/payments/people/{person.pk}/accounts/"' in page
    panel = officer.get(
        f"/en/payments/people/{person.pk}/accounts/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert IBAN in panel and "Changed recently" in panel
    assert LogEntry.objects.get_for_object(account).filter(action=LogEntry.Action.CREATE)


def test_a_change_closes_the_account_before_it_the_day_before(make_user):
    person, officer = beneficiary(), make_user(Role.SSA_OFFICER)
    first = services.payment_account_set(
        actor=officer, person=person, method="bank", iban=IBAN, valid_from=date(2026, 1, 1)
    )
    second = services.payment_account_set(
        actor=officer,
        person=person,
        method="cash",
        post_office="Kutaisi 4600",
        valid_from=date(2026, 12, 1),
    )
    first.refresh_from_db()
    assert first.valid_until == date(2026, 11, 30)
    assert selectors.payment_account_on(person_id=person.pk, on=date(2026, 11, 30)) == first
    assert selectors.payment_account_on(person_id=person.pk, on=date(2026, 12, 1)) == second
    assert selectors.payment_account_on(person_id=person.pk, on=date(2025, 12, 31)) is None
    with pytest.raises(Exception, match="a new one starts after that day") as error:
        services.payment_account_set(
            actor=officer, person=person, method="bank", iban=IBAN, valid_from=date(2026, 12, 1)
        )
    assert "valid_from" in error.value.message_dict
    assert PaymentAccount.objects.count() == 2


def test_a_representative_may_hold_the_account_only_under_a_valid_mandate(make_user):
    person, officer = beneficiary(), make_user(Role.SSA_OFFICER)
    guardian = representative(person, valid_until=date(2026, 6, 30))
    held = services.payment_account_set(
        actor=officer,
        person=person,
        method="bank",
        iban=OTHER_IBAN,
        holder_personal_number=guardian.personal_number,
        valid_from=date(2026, 3, 1),
    )
    assert held.holder == guardian and held.representative.kind == "guardian"
    stranger = beneficiary()
    for number, on in [
        (guardian.personal_number, date(2026, 7, 1)),  # the mandate has ended
        (stranger.personal_number, date(2026, 8, 1)),  # in the registry, but no mandate
        ("01001099999", date(2026, 9, 1)),  # nobody: the same answer, nothing disclosed
    ]:
        with pytest.raises(Exception) as error:
            services.payment_account_set(
                actor=officer,
                person=person,
                method="bank",
                iban=IBAN,
                holder_personal_number=number,
                valid_from=on,
            )
        assert list(error.value.message_dict) == ["holder_personal_number"]
        assert "their representative" in error.value.message_dict["holder_personal_number"][0]
    assert PaymentAccount.objects.count() == 1


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        ("GE29NB0000000101904918", "The IBAN's check digits do not match"),
        ("GE29NB000000010190491", "A Georgian IBAN has 22 characters"),
        ("DE89370400440532013000", "the IBAN must start with GE"),
        ("not an iban", "Enter an IBAN"),
    ],
)
def test_a_wrong_iban_is_named_the_same_on_the_form_and_the_api(login_as, iban, message):
    person = beneficiary()
    officer = login_as(Role.SSA_OFFICER)
    html = unescape(
        officer.post(
            f"/en/payments/people/{person.pk}/accounts/new/", _form(iban=iban)
        ).content.decode()
    )
    assert message in html and 'href="#id_iban"' in html
    response = _post(
        _api(officer.user), person, {"method": "bank", "iban": iban, "valid_from": "2026-12-01"}
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["body", "iban"]
    assert message in response.json()["detail"][0]["msg"]
    assert not PaymentAccount.objects.exists()


def test_a_bank_account_needs_an_iban_and_cash_a_post_office(make_user):
    person, officer = beneficiary(), make_user(Role.SSA_OFFICER)
    for method, iban, office, field in [
        ("bank", "", "", "iban"),
        ("bank", IBAN, "Kutaisi 4600", "post_office"),
        ("cash", IBAN, "Kutaisi 4600", "iban"),
        ("cash", "", "  ", "post_office"),
    ]:
        with pytest.raises(ValidationError) as error:
            services.payment_account_set(
                actor=officer,
                person=person,
                method=method,
                iban=iban,
                post_office=office,
                valid_from=date(2026, 1, 1),
            )
        assert list(error.value.message_dict) == [field]
    with pytest.raises(IntegrityError):  # the database says so too
        PaymentAccount.objects.create(
            person=person,
            method="cash",
            iban=IBAN,
            post_office="Kutaisi 4600",
            holder=person,
            valid_from=date(2026, 1, 1),
            recorded_by=officer,
        )


def test_the_api_records_and_lists_accounts(make_user):
    person, officer = beneficiary(), make_user(Role.SSA_OFFICER)
    client = _api(officer)
    created = _post(client, person, {"method": "bank", "iban": IBAN, "valid_from": "2026-12-01"})
    assert created.status_code == 201, created.content
    assert created.json()["bank_code"] == "NB"
    listed = client.get(f"/api/v1/people/{person.pk}/payment-accounts").json()
    assert [a["iban"] for a in listed] == [IBAN]
    payload = {"method": "cash", "post_office": "Kutaisi 4600", "valid_from": "2026-11-01"}
    refused = _post(client, person, payload)
    assert refused.status_code == 400
    assert refused.json()["detail"][0]["loc"] == ["body", "valid_from"]


@pytest.mark.parametrize(
    ("role", "scope", "see", "change"),
    [
        (Role.SSA_OFFICER, {}, 200, 200),
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}, 200, 200),
        (Role.MUNICIPAL_OFFICER, {"municipality": "batumi"}, 404, 404),
        (Role.SOCIAL_WORKER, {}, 200, 403),
        (Role.SUPERVISOR, {}, 200, 403),
        (Role.ANALYST, {}, 403, 403),
        (Role.DPO, {}, 403, 403),
        (Role.SERVICE_PROVIDER, {}, 403, 403),
    ],
)
def test_who_sees_and_who_changes_accounts(login_as, role, scope, see, change):
    person = beneficiary("kutaisi")
    client = login_as(role, **scope)
    assert client.get(f"/en/payments/people/{person.pk}/accounts/").status_code == see
    assert client.get(f"/en/payments/people/{person.pk}/accounts/new/").status_code == change
    posted = client.post(f"/en/payments/people/{person.pk}/accounts/new/", _form())
    assert posted.status_code == (302 if change == 200 else change)
    # Every refusal is an audited attempt; a role that may change leaves none.
    attempts = LogEntry.objects.filter(additional_data__attempt=True).count()
    assert attempts == (0 if change == 200 else 3 if see != 200 else 2)


def test_the_subject_access_report_lists_accounts_paid_to_and_held_by_the_person(make_user):
    from zrunva.audit import subject_access

    person, officer = beneficiary(), make_user(Role.SSA_OFFICER)
    guardian = representative(person)
    services.payment_account_set(
        actor=officer,
        person=person,
        method="bank",
        iban=IBAN,
        holder_personal_number=guardian.personal_number,
        valid_from=date(2026, 1, 1),
    )
    dpo = make_user(Role.DPO)
    for subject in (person, guardian):
        report = subject_access.report(actor=dpo, person=subject)
        section = next(s for s in report["sections"] if s["key"] == "payment_accounts")
        assert [item["fields"]["iban"] for item in section["items"]] == [IBAN]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_changes_at_once_leave_one_open_account(make_user):
    """On PostgreSQL, two officers record an account for the same beneficiary at the same
    moment: one open account remains, the other change is refused or follows it."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    person = beneficiary()
    officers = [make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)]
    barrier = threading.Barrier(2)
    outcomes = {}

    def act(i):
        try:
            barrier.wait()
            services.payment_account_set(
                actor=officers[i],
                person=person,
                method="bank",
                iban=IBAN,
                valid_from=date(2026, 12, 1) + timedelta(days=i),
            )
            outcomes[i] = "done"
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert PaymentAccount.objects.filter(person=person, valid_until__isnull=True).count() == 1
    assert "done" in outcomes.values(), outcomes
