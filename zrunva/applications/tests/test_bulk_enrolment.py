"""Issue 10, item 5: enrolling a run's newly eligible for a programme decided in bulk (the state
pension) without an application each — asked for by one officer, confirmed by another."""

import threading
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.applications.choices import BatchStatus, Status
from zrunva.applications.models import BulkEnrolment, Enrolment
from zrunva.applications.selectors import entitlement
from zrunva.applications.services import (
    application_transition,
    bulk_enrolment_cancel,
    bulk_enrolment_confirm,
    bulk_enrolment_request,
    enrolment_end,
)
from zrunva.applications.tests.factories import pension_application, pensioners
from zrunva.programmes.models import Decision, Programme
from zrunva.programmes.tests.factories import eligibility_run
from zrunva.registry import services as registry
from zrunva.registry.tests import factories

TODAY = timezone.localdate()


@pytest.fixture
def pension():
    return Programme.objects.get(code="state_pension")


@pytest.fixture
def officers(make_user):
    return make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)


@pytest.mark.django_db
def test_one_officer_asks_another_confirms_and_the_gained_are_enrolled(pension, officers):
    people = pensioners(3)
    run = eligibility_run(TODAY)
    asker, confirmer = officers
    batch = bulk_enrolment_request(actor=asker, run=run, programme=pension)
    assert (batch.status, batch.gained) == (BatchStatus.REQUESTED, 3)
    assert not Enrolment.objects.exists()  # nothing before the second pair of eyes

    with pytest.raises(PermissionDenied, match="four eyes"):
        bulk_enrolment_confirm(actor=asker, batch=batch)
    assert not Enrolment.objects.exists()

    batch = bulk_enrolment_confirm(actor=confirmer, batch=batch)
    assert (batch.status, batch.enrolled, batch.decided_by) == (BatchStatus.CONFIRMED, 3, confirmer)
    enrolments = Enrolment.objects.filter(batch=batch)
    assert {e.person_id for e in enrolments} == {p.pk for p in people}
    assert all(e.application_id is None and e.amount == Decimal("495.00") for e in enrolments)
    # Each decision of the run now pays its enrolment: the entitlement is there from `starts`.
    for e in enrolments:
        assert Decision.objects.get(run=run, person_id=e.person_id).enrolment_id == e.pk
        found = entitlement(
            programme_id=pension.pk,
            household_id=e.household_id,
            person_id=e.person_id,
            month=batch.starts,
        )
        assert found.amount == Decimal("495.00") and found.run_id == run.pk
    bulk = LogEntry.objects.get(object_repr=f"bulk_enrolment #{batch.pk}")
    assert bulk.additional_data["counts"]["enrolled"] == 3

    with pytest.raises(ValidationError, match="already"):
        bulk_enrolment_confirm(actor=confirmer, batch=batch)
    assert Enrolment.objects.count() == 3


@pytest.mark.django_db
def test_those_already_enrolled_or_dead_are_skipped_and_counted(pension, officers):
    application, officer = pension_application()
    dead, alive = pensioners(2)
    run = eligibility_run(TODAY)
    # Enrolled through their application after the run (whose decision it read).
    application_transition(actor=officer, application=application, to=Status.DECIDED)
    application_transition(actor=officer, application=application, to=Status.ENROLLED)
    registry.person_update(
        actor=factories.system_actor(), person=dead, data={"date_of_death": TODAY}
    )
    batch = bulk_enrolment_request(actor=officers[0], run=run, programme=pension)
    batch = bulk_enrolment_confirm(actor=officers[1], batch=batch)
    # The run's gains: the applicant (enrolled through the application), the dead, the alive.
    assert batch.gained == 3 and batch.enrolled == 1
    assert batch.skipped == {"already_enrolled": 1, "died": 1, "changed_since": 0}
    assert Enrolment.objects.get(batch=batch).person_id == alive.pk
    assert Enrolment.objects.count() == 2


@pytest.mark.django_db
def test_refusals_leave_nothing_written(pension, officers, make_user):
    pensioners(1)
    first = eligibility_run(TODAY)
    asker, confirmer = officers
    tsa = Programme.objects.get(code="tsa")
    with pytest.raises(ValidationError, match="through applications"):
        bulk_enrolment_request(actor=asker, run=first, programme=tsa)
    for role, kwargs in (
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}),
        (Role.SOCIAL_WORKER, {}),
        (Role.SSA_OFFICER, {"office": "ssa-kutaisi"}),  # an office's staff, a national run
    ):
        with pytest.raises(PermissionDenied):
            bulk_enrolment_request(actor=make_user(role, **kwargs), run=first, programme=pension)
    batch = bulk_enrolment_request(actor=asker, run=first, programme=pension)
    with pytest.raises(ValidationError, match="awaits confirmation"):
        bulk_enrolment_request(actor=confirmer, run=first, programme=pension)

    # A later run decides: the earlier one's list is no longer the one to enrol from.
    second = eligibility_run(TODAY)
    with pytest.raises(ValidationError, match=f"Run #{second.pk} has decided since"):
        bulk_enrolment_confirm(actor=confirmer, batch=batch)
    with pytest.raises(ValidationError, match=f"Run #{second.pk} has decided since"):
        bulk_enrolment_request(actor=asker, run=first, programme=pension)
    assert not Enrolment.objects.exists()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REQUESTED
    batch = bulk_enrolment_cancel(actor=confirmer, batch=batch)
    assert batch.status == BatchStatus.CANCELLED
    # The second run gained nobody: the pensioner was eligible already.
    with pytest.raises(ValidationError, match="Nobody became eligible"):
        bulk_enrolment_request(actor=asker, run=second, programme=pension)


@pytest.mark.django_db
def test_a_bulk_enrolment_ends_like_any_other(pension, officers):
    pensioners(1)
    batch = bulk_enrolment_request(actor=officers[0], run=eligibility_run(TODAY), programme=pension)
    bulk_enrolment_confirm(actor=officers[1], batch=batch)
    enrolment = Enrolment.objects.get()
    ended = enrolment_end(enrolment=enrolment, on=TODAY, reason="withdrawn", actor=officers[0])
    assert ended.ends is not None and ended.end_reason == "withdrawn"
    with pytest.raises(ValidationError, match="already ended"):
        enrolment_end(enrolment=enrolment, on=TODAY, reason="withdrawn", actor=officers[0])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_bulk_enrolment_and_an_application_at_once_enrol_the_person_once(pension, officers):
    """On PostgreSQL, the application's enrolment and the bulk confirmation run in two
    connections at the same moment: the person is enrolled once; the one-open-enrolment
    constraint holds through the bulk statement."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    application, officer = pension_application()
    run = eligibility_run(TODAY)
    application_transition(actor=officer, application=application, to=Status.DECIDED)
    batch = bulk_enrolment_request(actor=officers[0], run=run, programme=pension)
    barrier = threading.Barrier(2)
    outcomes = {}

    def act(name, work):
        try:
            barrier.wait()
            work()
            outcomes[name] = "done"
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes[name] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=act,
            args=(
                "application",
                lambda: application_transition(
                    actor=officer, application=application, to=Status.ENROLLED
                ),
            ),
        ),
        threading.Thread(
            target=act,
            args=("bulk", lambda: bulk_enrolment_confirm(actor=officers[1], batch=batch)),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    application.refresh_from_db()
    person_id = application.household.memberships.get().person_id
    assert Enrolment.objects.filter(person_id=person_id, ends__isnull=True).count() == 1
    assert outcomes["bulk"] == "done", outcomes
    batch.refresh_from_db()
    assert batch.enrolled + batch.skipped["already_enrolled"] == 1


def _api(user):
    from django.test import Client

    from zrunva.accounts.services import api_token_issue

    _, key = api_token_issue(user=user, name="bulk")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.django_db
def test_the_api_asks_confirms_and_ends_as_the_services_do(pension, officers, make_user):
    pensioners(2)
    run = eligibility_run(TODAY)
    asker, confirmer = (_api(o) for o in officers)
    asked = asker.post(
        f"/api/v1/runs/{run.pk}/bulk-enrolments",
        {"programme": "state_pension"},
        content_type="application/json",
    )
    assert asked.status_code == 201, asked.content
    batch_id = asked.json()["id"]
    self_confirmed = asker.post(f"/api/v1/bulk-enrolments/{batch_id}/confirm")
    assert self_confirmed.status_code == 403 and not Enrolment.objects.exists()
    confirmed = confirmer.post(f"/api/v1/bulk-enrolments/{batch_id}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["enrolled"] == 2

    enrolment = Enrolment.objects.order_by("id").first()
    path = f"/api/v1/enrolments/{enrolment.pk}/end"
    body = {"on": TODAY.isoformat(), "reason": "withdrawn"}
    # A municipal officer does not process the state pension: refused, and nothing written.
    municipal = _api(make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"))
    assert municipal.post(path, body, content_type="application/json").status_code == 404
    # The daily job's reasons are not the API's.
    death = {"on": TODAY.isoformat(), "reason": "death"}
    assert asker.post(path, death, content_type="application/json").status_code == 422
    ended = asker.post(path, body, content_type="application/json")
    assert ended.status_code == 200 and ended.json()["end_reason"] == "withdrawn"
    again = asker.post(path, body, content_type="application/json")
    assert again.status_code == 400 and "already ended" in again.content.decode()


@pytest.mark.django_db
def test_the_run_page_asks_and_another_officer_confirms(pension, login_as, make_user):
    from django.urls import reverse
    from django.utils import translation

    pensioners(2)
    run = eligibility_run(TODAY)
    with translation.override("en"):  # the English pages, under /en/
        page = reverse("applications:run_bulk", args=[run.pk])
        detail = reverse("eligibility:run_detail", args=[run.pk])
    asker = login_as(Role.SSA_OFFICER)
    assert page in asker.get(detail).content.decode()
    shown = asker.get(page).content.decode()
    assert "Ask to enrol them" in shown and "Confirm: enrol" not in shown
    asker.post(page, {"action": "request", "id": pension.pk})
    batch = BulkEnrolment.objects.get()
    # The asker sees no confirm button, and a forged one is refused.
    assert "Confirm: enrol 2" not in asker.get(page).content.decode()
    forged = asker.post(page, {"action": "confirm", "id": batch.pk})
    assert forged.status_code == 403 and not Enrolment.objects.exists()
    denied = LogEntry.objects.filter(actor=asker.user, additional_data__status=403)
    assert denied.exists()
    # Roles that may not: the page is refused to a social worker.
    assert login_as(Role.SOCIAL_WORKER).get(page).status_code == 403
    confirmer = login_as(Role.SSA_OFFICER)
    assert "Confirm: enrol 2" in confirmer.get(page).content.decode()
    done = confirmer.post(page, {"action": "confirm", "id": batch.pk}, follow=True)
    assert "2 beneficiaries enrolled" in done.content.decode()
    assert Enrolment.objects.filter(batch=batch).count() == 2


@pytest.mark.django_db
def test_a_run_enrolled_from_once_is_not_enrolled_from_again(pension, officers):
    pensioners(1)
    run = eligibility_run(TODAY)
    batch = bulk_enrolment_request(actor=officers[0], run=run, programme=pension)
    bulk_enrolment_confirm(actor=officers[1], batch=batch)
    with pytest.raises(ValidationError, match=f"bulk enrolment #{batch.pk}"):
        bulk_enrolment_request(actor=officers[0], run=run, programme=pension)
    assert BulkEnrolment.objects.count() == 1


@pytest.mark.django_db
def test_the_enrolment_pages_list_show_what_it_pays_and_end_it(pension, officers, login_as):
    from django.urls import reverse
    from django.utils import translation

    pensioners(1)
    run = eligibility_run(TODAY)
    batch = bulk_enrolment_request(actor=officers[0], run=run, programme=pension)
    bulk_enrolment_confirm(actor=officers[1], batch=batch)
    enrolment = Enrolment.objects.get()
    with translation.override("en"):
        listing = reverse("applications:enrolments")
        page = reverse("applications:enrolment_detail", args=[enrolment.pk])
    officer = login_as(Role.SSA_OFFICER)
    shown = officer.get(listing).content.decode()
    assert page in shown and f"Bulk enrolment #{batch.pk}" in shown
    detail = officer.get(page).content.decode()
    # This month is before the enrolment starts; the next pays the run's decision.
    assert "Nothing due" in detail and "495.00" in detail and f"Run #{run.pk}" in detail
    assert LogEntry.objects.filter(object_pk=str(enrolment.pk), action=LogEntry.Action.ACCESS)

    # A municipal officer processes only their municipality's programmes: not this one.
    municipal = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    assert page not in municipal.get(listing).content.decode()
    assert municipal.get(page).status_code == 404
    tried = LogEntry.objects.filter(object_pk=str(enrolment.pk), actor=municipal.user)
    assert [r.additional_data["reason"] for r in tried] == ["outside scope"]

    # Ending it: a missing reason is named; a right one ends it and the form goes.
    missing = officer.post(page, {"on": TODAY.isoformat(), "reason": ""})
    assert "Choose why the enrolment ends." in missing.content.decode()
    officer.post(page, {"on": TODAY.isoformat(), "reason": "withdrawn"})
    enrolment.refresh_from_db()
    assert enrolment.end_reason == "withdrawn"
    assert "End the enrolment" not in officer.get(page).content.decode()
