"""The audit trail reads in the page's language: each changed field by its model's name for it,
reference data by name, never the stored field names or ids (issue 13, item 7)."""

import re
from datetime import date

import pytest
from auditlog.models import LogEntry

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Status
from zrunva.applications.services import application_transition
from zrunva.applications.tests.factories import submit
from zrunva.payments.services import payment_account_set
from zrunva.registry import services
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

# The log page's change lists and an entry's table of changes.
FIELD_NAME = re.compile(r'class="changes__field">([^<]*)<|data-label="[^"]*"><strong>([^<]*)<')


def _names(html: str) -> list[str]:
    return [a or b for a, b in FIELD_NAME.findall(html)]


def _labels(dpo, instance) -> list[str]:
    entry = LogEntry.objects.get_for_object(instance).filter(action=LogEntry.Action.UPDATE).last()
    page = dpo.get(f"/audit/entries/{entry.pk}/").content.decode()
    listed = dpo.get(
        "/audit/", {"model": instance._meta.label_lower, "object_pk": instance.pk}
    ).content.decode()
    assert _names(listed)  # the log page names its changes the same way
    return _names(page)


def test_changed_fields_are_named_in_georgian(login_as, make_user):
    officer = make_user(Role.SSA_OFFICER)
    person = factories.household("kutaisi").memberships.get().person
    services.person_update(
        actor=officer, person=person, data={"citizenship": "UA", "employment_status": "employed"}
    )
    application = submit()
    application_transition(
        actor=officer,
        application=application,
        to=Status.REGISTERED,
        household=person.memberships.get().household,
    )
    account = payment_account_set(
        actor=officer,
        person=person,
        method="bank",
        iban="GE29NB0000000101904917",
        valid_from=date(2025, 1, 1),
    )
    payment_account_set(
        actor=officer,
        person=person,
        method="cash",
        post_office="ქუთაისი",
        valid_from=date(2025, 3, 1),
    )
    account.refresh_from_db()
    dpo = login_as(Role.DPO)

    entry = LogEntry.objects.get_for_object(person).filter(action=LogEntry.Action.UPDATE).last()
    page = dpo.get(f"/audit/entries/{entry.pk}/").content.decode()
    assert "უკრაინა" in page  # citizenship by the country's name

    for instance in (person, application, account):
        labels = _labels(dpo, instance)
        assert labels, instance
        for label in labels:
            name = label.rstrip(":")
            assert re.search(r"[\u10D0-\u10FF]", name), (instance, name)


def test_the_trail_names_who_acted_by_their_name(login_as, make_user):
    officer = make_user(Role.SSA_OFFICER, first_name="ნინო", last_name="ბერიძე")
    person = factories.household("kutaisi").memberships.get().person
    services.person_update(actor=officer, person=person, data={"citizenship": "UA"})
    application = submit()
    application_transition(
        actor=officer,
        application=application,
        to=Status.REGISTERED,
        household=person.memberships.get().household,
    )
    application.refresh_from_db()
    dpo = login_as(Role.DPO)
    entry = LogEntry.objects.get_for_object(person).filter(action=LogEntry.Action.UPDATE).last()

    for page in (
        dpo.get("/audit/", {"model": "registry.person", "object_pk": person.pk}),
        dpo.get(f"/audit/entries/{entry.pk}/"),
        dpo.get(f"/registry/subject-access/{person.pk}/"),
        login_as(Role.SSA_OFFICER).get(f"/registry/people/{person.pk}/"),
    ):
        text = page.content.decode()
        assert "ნინო ბერიძე" in text, page.request["PATH_INFO"]
        assert officer.username not in text, page.request["PATH_INFO"]


def test_a_change_of_who_is_responsible_names_the_user(login_as, make_user):
    officer = make_user(Role.SSA_OFFICER, first_name="ლევან", last_name="კაპანაძე")
    application = submit()
    LogEntry.objects.log_create(
        application,
        action=LogEntry.Action.UPDATE,
        changes={"assigned_to": ["None", str(officer.pk)]},
    )
    entry = LogEntry.objects.get_for_object(application).filter(action=LogEntry.Action.UPDATE)
    page = login_as(Role.DPO).get(f"/audit/entries/{entry.last().pk}/").content.decode()
    assert "ლევან კაპანაძე" in page
