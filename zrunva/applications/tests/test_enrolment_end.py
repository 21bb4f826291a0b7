"""Issue 10, item 4: enrolments that end — through one service (`enrolment_end`), from the
daily job (`manage.py end_enrolments`) on a recorded death or an overdue re-assessment, and by
an officer on the beneficiary's request."""

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Channel, EnrolmentEndReason, EventKind, Status
from zrunva.applications.models import Application, ApplicationEvent, Enrolment
from zrunva.applications.services import (
    application_submit,
    application_transition,
    enrolment_end,
    last_day_paid,
)
from zrunva.applications.tests.checks import enrolment_unchanged
from zrunva.applications.tests.factories import enrolled_application, run_loss, tsa_enrolment
from zrunva.assessment.tests.factories import assess
from zrunva.notifications.models import Message
from zrunva.programmes.models import DecisionChange, Programme
from zrunva.registry.models import Person
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


def _made_long_ago(enrolment: Enrolment, *, made: date, starts: date) -> None:
    """As if the enrolment had been made on `made`, paid from `starts`."""
    made_at = timezone.make_aware(datetime(made.year, made.month, made.day, 12))
    Enrolment.objects.filter(pk=enrolment.pk).update(created_at=made_at, starts=starts)


def _job(on: date | None = None) -> str:
    out = StringIO()
    call_command("end_enrolments", *(["--on", on.isoformat()] if on else []), stdout=out)
    return out.getvalue()


# -- The daily job: a recorded death -------------------------------------------------------


def test_the_daily_job_ends_an_enrolment_on_a_recorded_death_once(login_as):
    application = enrolled_application()
    enrolment = application.enrolment
    _made_long_ago(enrolment, made=date(2024, 12, 5), starts=date(2025, 1, 1))
    assert "Ended 0 enrolment(s)" in _job(date(2025, 6, 11))  # nobody has died
    Person.objects.filter(pk=enrolment.person_id).update(date_of_death=date(2025, 6, 10))
    assert "Ended 0 enrolment(s)" in _job(date(2025, 6, 9))  # not yet, as of the 9th
    messages = Message.objects.count()

    out = _job(date(2025, 6, 11))

    assert "Ended 1 enrolment(s) on a recorded death and 0 on an overdue" in out
    enrolment.refresh_from_db()
    # Paid to the end of the month of the death (illustrative rule).
    assert enrolment.ends == date(2025, 6, 30)
    assert (enrolment.end_reason, enrolment.ended_by) == (EnrolmentEndReason.DEATH, None)
    event = application.events.get(kind=EventKind.ENROLMENT_END)
    assert event.actor is None and event.to_status == Status.ENROLLED
    assert event.note == (
        "Death recorded in the registry, on 10 June 2025: paid until 30 June 2025."
    )
    # The household is told, through the application's contact, in its language.
    message = Message.objects.get(reference=application.number, subject__contains="ends")
    assert Message.objects.count() == messages + 1
    assert message.to == "applicant@example.org" and message.language == "en"
    assert message.body == (
        f"The payment of State old-age pension under application {application.number} ends: "
        "the last month paid ends on 30 June 2025, because the registry records the "
        "beneficiary's death. If you have questions, contact the office that processed your "
        "application."
    )
    html = (
        login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
        .get(reverse("applications:detail", args=[application.pk]))
        .content.decode()
    )
    assert "Paid until 30 June 2025: Death recorded in the registry." in html
    assert '<td data-label="Step">Enrolment ended</td>' in html
    assert "The daily job, from the registry" in html
    bulk = LogEntry.objects.filter(object_repr="end_enrolments")
    assert bulk.count() == 1
    assert bulk.get().additional_data["counts"] == {"death": 1, "reassessment_overdue": 0}

    # Running it again ends nothing more, tells nobody again, logs no second run.
    assert "Ended 0 enrolment(s) on a recorded death and 0" in _job(date(2025, 6, 12))
    enrolment.refresh_from_db()
    assert enrolment.ends == date(2025, 6, 30)
    assert Message.objects.count() == messages + 1
    assert application.events.filter(kind=EventKind.ENROLMENT_END).count() == 1
    assert LogEntry.objects.filter(object_repr="end_enrolments").count() == 1


def test_the_message_is_in_the_applications_language_not_the_jobs():
    application = enrolled_application()
    Application.objects.filter(pk=application.pk).update(language="ka")
    Person.objects.filter(pk=application.enrolment.person_id).update(
        date_of_death=timezone.localdate()
    )
    with translation.override("en"):
        _job()
    message = Message.objects.filter(reference=application.number).latest("id")
    assert message.language == "ka"
    # The sentence, the programme's name and the month in Georgian, though the job ran in English.
    assert "წყდება" in message.body and "ends" not in message.body
    programme = Programme.objects.get(code="state_pension")
    assert programme.name_ka in message.body and programme.name_en not in message.body


def test_a_death_before_the_first_month_paid_means_never_paid():
    """The enrolment was made this month, paid from the next: a death this month, or one
    recorded late and dated before the enrolment was made, ends it the day before it starts."""
    for died in (timezone.localdate(), timezone.localdate() - timedelta(days=45)):
        application = enrolled_application()
        enrolment = application.enrolment
        Person.objects.filter(pk=enrolment.person_id).update(date_of_death=died)
        _job()
        enrolment.refresh_from_db()
        assert enrolment.ends == enrolment.starts - timedelta(days=1)
        assert enrolment.end_reason == EnrolmentEndReason.DEATH
    assert last_day_paid(starts=date(2025, 1, 1), on=date(2024, 10, 3)) == date(2024, 12, 31)
    assert last_day_paid(starts=date(2025, 1, 1), on=date(2025, 2, 3)) == date(2025, 2, 28)


def test_a_household_programme_ends_when_no_member_is_alive():
    household = factories.household(head={"birth_date": date(1950, 1, 1)})
    spouse = factories.member(household, relationship="spouse", birth_date=date(1952, 1, 1))
    enrolment = tsa_enrolment(household)
    head = household.memberships.get(relationship="head").person
    Person.objects.filter(pk=head.pk).update(date_of_death=date(2025, 3, 4))
    assert "Ended 0" in _job(date(2025, 5, 1))  # the spouse is alive
    Person.objects.filter(pk=spouse.pk).update(date_of_death=date(2025, 5, 20))
    assert "Ended 0" in _job(date(2025, 5, 19))
    assert "Ended 1 enrolment(s) on a recorded death" in _job(date(2025, 6, 2))
    enrolment.refresh_from_db()
    assert (enrolment.ends, enrolment.end_reason) == (date(2025, 5, 31), "death")


# -- The daily job: a re-assessment overdue ------------------------------------------------


def test_an_overdue_reassessment_ends_tsa_after_the_grace_period_but_not_the_pension(settings):
    settings.REASSESSMENT_GRACE_DAYS = 90
    household = factories.household(head={"birth_date": date(1950, 1, 1), "sex": "M"})
    tsa = tsa_enrolment(household)
    _made_long_ago(tsa, made=date(2023, 1, 20), starts=date(2023, 2, 1))
    pension = enrolled_application().enrolment
    _made_long_ago(pension, made=date(2023, 1, 20), starts=date(2023, 2, 1))
    for enrolled in (household, pension.household):
        assess(enrolled, 57000, visit=date(2020, 1, 10))  # due again on 9 January 2024
    due = date(2024, 1, 9)

    assert "Ended 0" in _job(due + timedelta(days=90))  # the last day of grace
    out = _job(due + timedelta(days=91))

    assert "Ended 0 enrolment(s) on a recorded death and 1 on an overdue re-assessment" in out
    tsa.refresh_from_db()
    pension.refresh_from_db()
    # Paid to the end of the month the grace period ran out in; the pension does not depend on
    # the rating score and goes on.
    assert (tsa.ends, tsa.end_reason) == (date(2024, 4, 30), "reassessment_overdue")
    assert pension.ends is None
    message = Message.objects.get(reference=tsa.application.number, body__contains="overdue")
    assert message.to == "+995555000222"
    assert "Ended 0 enrolment(s) on a recorded death and 0" in _job(due + timedelta(days=92))


def test_a_reassessment_on_time_keeps_the_enrolment():
    household = factories.household(head={"birth_date": date(1950, 1, 1)})
    tsa = tsa_enrolment(household)
    _made_long_ago(tsa, made=date(2023, 1, 20), starts=date(2023, 2, 1))
    assess(household, 57000, visit=date(2020, 1, 10))
    assess(household, 56000, visit=date(2024, 2, 1))  # the household was visited again
    assert "Ended 0" in _job(date(2024, 6, 1))
    tsa.refresh_from_db()
    assert tsa.ends is None


# -- Officers: withdrawal, and what is refused --------------------------------------------


def test_an_officer_ends_an_enrolment_at_the_beneficiarys_request(make_user):
    application = enrolled_application()
    officer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    _made_long_ago(application.enrolment, made=date(2025, 1, 20), starts=date(2025, 2, 1))
    ended = enrolment_end(
        enrolment=application.enrolment,
        on=date(2025, 3, 12),
        reason=EnrolmentEndReason.WITHDRAWN,
        actor=officer,
    )
    ended.refresh_from_db()
    assert (ended.ends, ended.end_reason, ended.ended_by) == (
        date(2025, 3, 31),
        "withdrawn",
        officer,
    )
    assert application.events.get(kind=EventKind.ENROLMENT_END).actor == officer
    assert Message.objects.filter(
        reference=application.number, body__contains="withdrawn at your request"
    ).exists()


def test_ending_twice_or_before_the_enrolment_was_made_is_refused(make_user):
    application = enrolled_application()
    enrolment = application.enrolment
    officer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    _made_long_ago(enrolment, made=date(2025, 1, 20), starts=date(2025, 2, 1))
    messages = Message.objects.count()
    with pytest.raises(ValidationError) as error:
        enrolment_end(enrolment=enrolment, on=date(2025, 1, 19), reason="withdrawn", actor=officer)
    assert error.value.message_dict == {
        "on": ["This enrolment cannot end before it starts: it was made on 20 January 2025."]
    }
    enrolment_unchanged(enrolment, messages)
    enrolment_end(enrolment=enrolment, on=date(2025, 1, 20), reason="withdrawn", actor=officer)
    enrolment.refresh_from_db()
    assert enrolment.ends == date(2025, 1, 31)  # never paid: payments started in February
    events = ApplicationEvent.objects.filter(kind=EventKind.ENROLMENT_END).count()
    messages = Message.objects.count()
    with pytest.raises(ValidationError) as error:
        enrolment_end(enrolment=enrolment, on=date(2025, 5, 1), reason="other", actor=officer)
    assert error.value.message_dict == {"on": ["This enrolment already ended on 31 January 2025."]}
    enrolment.refresh_from_db()
    assert (enrolment.ends, enrolment.end_reason) == (date(2025, 1, 31), "withdrawn")
    assert ApplicationEvent.objects.filter(kind=EventKind.ENROLMENT_END).count() == events
    assert Message.objects.count() == messages


def test_only_the_programmes_office_in_its_area_ends_an_enrolment(make_user):
    application = enrolled_application()
    enrolment = application.enrolment
    messages = Message.objects.count()
    refusals = [
        (
            make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"),
            "The state's programmes are processed by the SSA.",
        ),
        (
            make_user(Role.SSA_OFFICER, office="ssa-zugdidi"),
            "This municipality is outside your area of work.",
        ),
        (make_user(Role.SOCIAL_WORKER), "Your role does not allow this action."),
        (None, "An officer ends an enrolment for this reason."),
    ]
    for actor, message in refusals:
        with pytest.raises(PermissionDenied) as error:
            enrolment_end(
                enrolment=enrolment, on=timezone.localdate(), reason="withdrawn", actor=actor
            )
        assert str(error.value) == message
        enrolment_unchanged(enrolment, messages)
    # A death is the registry's to record, and the daily job's to act on.
    with pytest.raises(ValidationError) as error:
        enrolment_end(
            enrolment=enrolment,
            on=timezone.localdate(),
            reason="death",
            actor=make_user(Role.SSA_OFFICER, office="ssa-kutaisi"),
        )
    assert error.value.message_dict["reason"] == [
        "Deaths and overdue re-assessments end enrolments through the daily job, from the "
        "registry: record the death or the visit there."
    ]
    with pytest.raises(ValidationError) as error:
        enrolment_end(enrolment=enrolment, on=timezone.localdate(), reason="moved", actor=None)
    assert error.value.message_dict["reason"] == ["Choose why the enrolment ends."]
    enrolment_unchanged(enrolment, messages)


def test_after_an_end_the_beneficiary_can_be_enrolled_again():
    application = enrolled_application()
    first = application.enrolment
    officer = (
        Application.objects.get(pk=application.pk)
        .events.filter(to_status=Status.ENROLLED)
        .get()
        .actor
    )
    enrolment_end(enrolment=first, on=timezone.localdate(), reason="withdrawn", actor=officer)
    again = application_submit(
        channel=Channel.PORTAL,
        programme=application.programme,
        municipality=application.municipality,
        applicant={
            "personal_number": application.personal_number,
            "first_name": application.first_name,
            "last_name": application.last_name,
            "birth_date": application.birth_date,
            "email": "applicant@example.org",
            "language": "en",
        },
        consent=True,
    )
    application_transition(
        actor=officer, application=again, to=Status.REGISTERED, household=application.household
    )
    application_transition(actor=officer, application=again, to=Status.DECIDED)
    application_transition(actor=officer, application=again, to=Status.ENROLLED)
    second = Enrolment.objects.get(application=again)
    first.refresh_from_db()
    assert second.person_id == first.person_id and second.ends is None
    assert first.ends == second.starts - timedelta(days=1)
    assert Enrolment.objects.filter(person_id=first.person_id, ends__isnull=True).count() == 1


def test_the_migration_gives_the_doubles_migration_0004_closed_a_reason():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("zrunva.applications.migrations.0005_enrolment_end")
    closed, open_ = enrolled_application().enrolment, enrolled_application().enrolment
    Enrolment.objects.filter(pk=closed.pk).update(ends=closed.starts - timedelta(days=1))
    migration.reason_of_closed_doubles(apps, None)
    closed.refresh_from_db()
    open_.refresh_from_db()
    assert (closed.end_reason, open_.end_reason) == ("other", "")


# -- The officer's form on the application page -------------------------------------------


def test_an_officer_ends_an_enrolment_on_the_application_page(login_as):
    application = enrolled_application()
    enrolment = application.enrolment
    _made_long_ago(enrolment, made=date(2025, 1, 20), starts=date(2025, 2, 1))
    page = reverse("applications:detail", args=[application.pk])
    url = reverse("applications:enrolment_end", args=[application.pk])
    messages = Message.objects.count()

    # Another area's officer does not reach the application; nothing is written.
    zugdidi = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    assert zugdidi.post(url, {"on": "2025-03-12", "reason": "withdrawn"}).status_code == 404
    enrolment_unchanged(enrolment, messages)

    officer = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    html = officer.get(page).content.decode()
    assert "End the enrolment" in html and url in html
    form = officer.get(page).context["end_form"]
    # No reason chosen in advance: ending an enrolment stops the payment.
    assert [value for value, _label in form.fields["reason"].choices] == [
        "",
        "lost_eligibility",
        "withdrawn",
        "other",
    ]
    answer = officer.post(url, {"on": "2025-03-12", "reason": ""})
    assert answer.context["end_form"].errors["reason"] == ["Choose why the enrolment ends."]
    # A death is not an officer's reason; a date before the enrolment was made is refused.
    answer = officer.post(url, {"on": "2025-03-12", "reason": "death"})
    assert answer.status_code == 200 and answer.context["end_form"].errors["reason"]
    answer = officer.post(url, {"on": "2025-01-02", "reason": "withdrawn"})
    assert answer.context["end_form"].errors["on"] == [
        "This enrolment cannot end before it starts: it was made on 20 January 2025."
    ]
    enrolment_unchanged(enrolment, messages)

    answer = officer.post(url, {"on": "2025-03-12", "reason": "withdrawn"})
    assert answer.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.ends, enrolment.ended_by) == (date(2025, 3, 31), officer.user)
    assert Message.objects.count() == messages + 1
    html = officer.get(page).content.decode()
    assert "Paid until 31 March 2025: Withdrawn at the beneficiary&#x27;s request." in html
    assert url not in html


# -- A run's loss, confirmed by an officer (the service the run's changes page will call) ----


def test_an_officer_confirms_a_runs_loss_and_the_enrolment_ends(make_user):
    from zrunva.applications.selectors import enrolled_losses
    from zrunva.applications.services import enrolment_end_on_loss

    enrolment = enrolled_application().enrolment
    other = enrolled_application().enrolment
    loss = run_loss(enrolment)
    officer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    messages = Message.objects.count()
    # Not enrolled: a lost line of someone else's household, in the same run.
    household = factories.household(head={"birth_date": date(1950, 1, 1), "sex": "M"})
    DecisionChange.objects.create(
        run=loss.run,
        programme=enrolment.programme,
        household=household,
        person=household.memberships.get().person,
        old_status="eligible",
        new_status="not_eligible",
    )
    listed = list(enrolled_losses(actor=officer, run=loss.run))
    assert [(c.pk, c.enrolment_id) for c in listed] == [(loss.pk, enrolment.pk)]

    refusals = [
        (
            make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"),
            "The state's programmes are processed by the SSA.",
        ),
        (
            make_user(Role.SSA_OFFICER, office="ssa-zugdidi"),
            "This municipality is outside your area of work.",
        ),
    ]
    for actor, message in refusals:
        with pytest.raises(PermissionDenied) as error:
            enrolment_end_on_loss(change=loss, actor=actor)
        assert str(error.value) == message
    for change, message in (
        (run_loss(other, new="eligible"), "This line is not a loss of the benefit."),
        (run_loss(other, status="running"), "Only a finished run's losses are confirmed."),
    ):
        with pytest.raises(ValidationError) as error:
            enrolment_end_on_loss(change=change, actor=officer)
        assert error.value.message_dict == {"change": [message]}
    enrolment_unchanged(enrolment, messages)

    ended = enrolment_end_on_loss(change=loss, actor=officer)
    assert ended.pk == enrolment.pk
    enrolment.refresh_from_db()
    assert (enrolment.end_reason, enrolment.ended_by) == ("lost_eligibility", officer)
    assert enrolment.ends == last_day_paid(starts=enrolment.starts, on=loss.run.on)
    assert Message.objects.filter(body__contains="conditions are no longer met").count() == 1
    assert list(enrolled_losses(actor=officer, run=loss.run)) == []
    with pytest.raises(ValidationError) as error:
        enrolment_end_on_loss(change=loss, actor=officer)
    assert error.value.message_dict == {
        "change": ["This beneficiary has no open enrolment in this programme."]
    }


def test_a_loss_a_later_run_changed_is_confirmed_from_that_run(make_user):
    from zrunva.applications.services import enrolment_end_on_loss

    enrolment = enrolled_application().enrolment
    loss = run_loss(enrolment)
    run_loss(enrolment, old="not_eligible", new="eligible")  # a later run: eligible again
    messages = Message.objects.count()
    with pytest.raises(ValidationError) as error:
        enrolment_end_on_loss(change=loss, actor=make_user(Role.SSA_OFFICER))
    assert error.value.message_dict == {
        "change": ["A later run changed this beneficiary's decision: confirm from that run."]
    }
    enrolment_unchanged(enrolment, messages)


def test_the_job_goes_on_past_an_enrolment_an_officer_ended_meanwhile(monkeypatch):
    """The job reads its list, then ends each: one ended by an officer in between is skipped,
    the others still end and the run's audit row is written."""
    from zrunva.applications import services

    first, second = enrolled_application().enrolment, enrolled_application().enrolment
    Enrolment.objects.filter(pk=first.pk).update(
        ends=first.starts, end_reason=EnrolmentEndReason.WITHDRAWN
    )
    due = [
        (first, EnrolmentEndReason.DEATH, timezone.localdate()),
        (second, EnrolmentEndReason.DEATH, timezone.localdate()),
    ]
    monkeypatch.setattr(services, "enrolment_end_due", lambda on: due)
    counts = services.enrolments_end_due()
    assert counts == {"death": 1, "reassessment_overdue": 0, "skipped": 1}
    second.refresh_from_db()
    assert second.end_reason == EnrolmentEndReason.DEATH
    assert LogEntry.objects.filter(object_repr="end_enrolments").exists()
