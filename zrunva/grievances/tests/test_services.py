from datetime import date, timedelta
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.dates import MONTHS_ALT

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Status as ApplicationStatus
from zrunva.applications.models import Application
from zrunva.applications.services import application_transition
from zrunva.core.casework import ALPHABET
from zrunva.core.workdays import working_days_after
from zrunva.geo.models import Municipality
from zrunva.grievances import selectors
from zrunva.grievances.choices import Category, Channel, EventKind, Status
from zrunva.grievances.models import Grievance
from zrunva.grievances.services import (
    can_handle,
    grievance_assign,
    grievance_due,
    grievance_file,
    grievance_resolve,
    grievances_escalate,
)
from zrunva.grievances.tasks import grievances_escalate as escalate_task
from zrunva.grievances.tests.factories import (
    COMPLAINANT,
    appeal,
    application,
    grievance,
    refused_application,
)
from zrunva.notifications.models import Message

pytestmark = pytest.mark.django_db


def _overdue(g: Grievance, days: int = 1) -> Grievance:
    Grievance.objects.filter(pk=g.pk).update(due_date=timezone.localdate() - timedelta(days=days))
    g.refresh_from_db()
    return g


# -- Filing ---------------------------------------------------------------------------------


def test_every_field_is_checked_with_a_message_naming_it():
    with pytest.raises(ValidationError) as err:
        grievance_file(
            channel=Channel.PORTAL,
            complainant={},
            category="",
            text="  ",
            municipality=None,
        )
    assert err.value.message_dict == {
        "personal_number": ["Enter the personal number: 11 digits."],
        "first_name": ["Enter the first name."],
        "last_name": ["Enter the last name."],
        "phone": ["Give a phone number or an e-mail address, or both: the answers go there."],
        "category": ["Choose what the grievance is about."],
        "text": ["Describe what happened and what you ask for."],
        "municipality": ["Choose the municipality."],
    }
    with pytest.raises(ValidationError) as err:
        grievance(
            personal_number="0100101234",
            phone="call me",
            email="nino@",
            language="fr",
            category="bribe",
            text="x" * 4001,
        )
    assert err.value.message_dict == {
        "personal_number": ["A personal number has exactly 11 digits."],
        "phone": ["Enter a phone number, e.g. 555 12 34 56 or +995 555 12 34 56."],
        "email": ["Enter a valid email address."],
        "language": ["Choose Georgian or English."],
        "category": ["Choose what the grievance is about."],
        "text": ["Ensure this value has at most 4000 characters (it has 4001)."],
    }
    assert not Grievance.objects.exists() and not Message.objects.exists()


def test_a_grievance_gets_an_unguessable_number_a_deadline_and_a_receipt():
    filed = grievance(email="nino@example.ge")
    assert filed.number.startswith("GR-") and len(filed.number) == 14
    assert set(filed.number[3:].replace("-", "")) <= set(ALPHABET)
    assert (filed.status, filed.channel, filed.entered_by) == (Status.OPEN, Channel.PORTAL, None)
    assert filed.due_date == working_days_after(timezone.localdate(), 10)
    assert [e.kind for e in filed.events.all()] == [EventKind.FILED]
    messages = Message.objects.filter(reference=filed.number).order_by("channel")
    assert [(m.channel, m.to, m.language) for m in messages] == [
        ("email", "nino@example.ge", "en"),
        # Stored, and texted, in E.164 whichever way it was typed.
        ("sms", "+995555123456", "en"),
    ]
    due = filed.due_date.strftime("%B")  # the month, in English for an English speaker
    assert f"We received your grievance {filed.number}." in messages[0].body
    assert due in messages[0].body
    assert len({grievance().number for _ in range(30)}) == 30


def test_the_receipt_is_in_the_complainants_language_whatever_the_requests():
    with translation.override("en"):
        filed = grievance(language="ka")
    message = Message.objects.get(reference=filed.number)
    with translation.override("ka"):
        month = str(MONTHS_ALT[filed.due_date.month])
    assert message.language == "ka"
    assert f"{filed.due_date.day} {month} {filed.due_date.year}" in message.body


@pytest.mark.parametrize(
    "category,filed,due",
    [
        # 10 working days; Mon 23 Nov 2026 is St George's Day.
        (Category.SERVICE_QUALITY, date(2026, 11, 20), date(2026, 12, 7)),
        (Category.STAFF_CONDUCT, date(2026, 11, 20), date(2026, 12, 14)),
        # One month; 7 January is Orthodox Christmas, so the next working day.
        (Category.DECISION_APPEAL, date(2026, 12, 7), date(2027, 1, 8)),
        (Category.DECISION_APPEAL, date(2026, 3, 2), date(2026, 4, 2)),
    ],
)
def test_deadlines_count_working_days_and_an_appeal_one_month(category, filed, due):
    assert grievance_due(category, filed) == due


def test_an_application_named_must_be_the_complainants_own(make_user):
    other = application(personal_number="01001099999")
    with pytest.raises(ValidationError) as err:
        grievance(application_number=other.number)
    assert err.value.message_dict == {
        "application": ["No application has this number and personal number."]
    }
    mine = application(municipality="zugdidi")
    linked = grievance(application_number=mine.number.lower().replace("-", ""))
    # The application's office answers, whatever municipality was chosen.
    assert (linked.application, linked.municipality.code) == (mine, "zugdidi")


def test_staff_enter_grievances_only_in_their_area(make_user):
    with pytest.raises(PermissionDenied):
        grievance(actor=None, channel=Channel.WALK_IN)
    with pytest.raises(PermissionDenied):
        grievance(actor=make_user(Role.ANALYST), channel=Channel.WALK_IN)
    zugdidi = make_user(Role.SSA_OFFICER, office="ssa-zugdidi")
    with pytest.raises(PermissionDenied):
        grievance(actor=zugdidi, channel=Channel.WALK_IN)
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    # At the office the answer may go by letter: no phone or e-mail needed.
    entered = grievance(actor=officer, channel=Channel.WALK_IN, phone="")
    assert (entered.entered_by, entered.channel) == (officer, Channel.WALK_IN)
    assert not Message.objects.filter(reference=entered.number).exists()


# -- Assigning and resolving ---------------------------------------------------------------


def test_a_grievance_is_assigned_in_its_area_and_answered_by_its_officer(make_user):
    filed = grievance(language="en")
    officer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    colleague = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    elsewhere = make_user(Role.MUNICIPAL_OFFICER, municipality="zugdidi")
    with pytest.raises(PermissionDenied):
        grievance_assign(actor=elsewhere, grievance=filed, to=elsewhere)
    with pytest.raises(PermissionDenied):
        grievance_assign(actor=make_user(Role.SOCIAL_WORKER), grievance=filed, to=officer)
    with pytest.raises(ValidationError) as err:
        grievance_assign(actor=officer, grievance=filed, to=elsewhere)
    assert err.value.message_dict == {
        "assigned_to": ["This person does not handle grievances in this municipality."]
    }
    assigned = grievance_assign(actor=officer, grievance=filed, to=officer)
    assert (assigned.status, assigned.assigned_to) == (Status.IN_REVIEW, officer)
    with pytest.raises(PermissionDenied):
        grievance_resolve(actor=colleague, grievance=filed, resolution="Sorry.")
    with pytest.raises(ValidationError) as err:
        grievance_resolve(actor=officer, grievance=filed, resolution="  ")
    assert err.value.message_dict == {"resolution": ["Write the answer to the complainant."]}
    Message.objects.all().delete()
    with translation.override("ka"):  # the officer works in Georgian; the complainant reads English
        resolved = grievance_resolve(
            actor=officer, grievance=filed, resolution="The office hours are now longer."
        )
    assert (resolved.status, resolved.resolved_by) == (Status.RESOLVED, officer)
    message = Message.objects.get(reference=filed.number)
    today = timezone.localdate()
    assert message.language == "en"
    assert message.body == (
        f"Your grievance {filed.number} was answered on {today.day} {today:%B %Y}: "
        "The office hours are now longer."
    )
    assert [e.kind for e in resolved.events.all()] == [
        EventKind.FILED,
        EventKind.ASSIGNED,
        EventKind.RESOLVED,
    ]
    with pytest.raises(ValidationError) as err:
        grievance_resolve(actor=officer, grievance=filed, resolution="Again.")
    assert err.value.message_dict == {"resolution": ["This grievance is already resolved."]}
    with pytest.raises(ValidationError):
        grievance_assign(actor=officer, grievance=filed, to=colleague)


def test_the_officers_offered_are_exactly_those_who_may_handle_it(make_user):
    filed = grievance()
    users = [
        make_user(Role.ADMIN),
        make_user(Role.SSA_OFFICER),
        make_user(Role.SSA_OFFICER, office="ssa-kutaisi"),
        make_user(Role.SSA_OFFICER, office="ssa-zugdidi"),
        make_user(Role.SUPERVISOR, office="ssa-kutaisi"),
        make_user(Role.SUPERVISOR, office="ssa-zugdidi"),
        make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"),
        make_user(Role.MUNICIPAL_OFFICER, municipality="zugdidi"),
        make_user(Role.SOCIAL_WORKER, office="ssa-kutaisi"),
        make_user(Role.ANALYST),
        make_user(Role.DPO),
        make_user(Role.SSA_OFFICER, office="ssa-kutaisi", is_active=False),
    ]
    offered = set(selectors.grievance_assignees(grievance=filed))
    assert offered == {u for u in users if u.is_active and can_handle(u, filed)}
    assert len(offered) == 5


# -- Escalation ----------------------------------------------------------------------------


def test_overdue_grievances_are_escalated_once_and_the_complainant_told(make_user):
    late = _overdue(grievance(language="en"))
    due_today = grievance(personal_number="01001000002")
    Grievance.objects.filter(pk=due_today.pk).update(due_date=timezone.localdate())
    not_due = grievance(personal_number="01001000003")
    answered = grievance(personal_number="01001000004")
    officer = make_user(Role.SSA_OFFICER)
    grievance_assign(actor=officer, grievance=answered, to=officer)
    grievance_resolve(actor=officer, grievance=answered, resolution="Done.")
    _overdue(answered)
    Message.objects.all().delete()

    assert grievances_escalate() == {"escalated": 1, "messages": 1}
    late.refresh_from_db()
    assert late.is_escalated and late.status == Status.OPEN
    assert [e.kind for e in late.events.all()] == [EventKind.FILED, EventKind.ESCALATED]
    message = Message.objects.get()
    assert (message.reference, message.language) == (late.number, "en")
    assert "A supervisor now deals with it" in message.body
    for other in (due_today, not_due, answered):
        other.refresh_from_db()
        assert not other.is_escalated
    assert LogEntry.objects.filter(object_repr="grievances_escalate").count() == 1

    # Again, today or later: nothing is escalated twice.
    assert grievances_escalate() == {"escalated": 0, "messages": 0}
    assert escalate_task.enqueue().return_value == {"escalated": 0, "messages": 0}
    assert late.events.filter(kind=EventKind.ESCALATED).count() == 1
    assert Message.objects.count() == 1
    # Tomorrow, what was due today is late.
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert grievances_escalate(today=tomorrow)["escalated"] == 1


def test_the_command_escalates_and_prints_its_counts():
    _overdue(grievance(email="nino@example.ge"), days=5)
    grievance(personal_number="01001000002")
    out = StringIO()
    call_command("escalate_grievances", stdout=out)
    assert out.getvalue().strip() == "Escalated 1 grievance(s); queued 2 message(s)."
    out = StringIO()
    call_command("escalate_grievances", "--on", "2100-01-01", stdout=out)
    assert out.getvalue().strip() == "Escalated 1 grievance(s); queued 1 message(s)."


def test_an_escalated_grievance_is_the_supervisors_to_assign(make_user):
    late = _overdue(grievance())
    officer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    grievance_assign(actor=officer, grievance=late, to=officer)
    grievances_escalate()
    with pytest.raises(PermissionDenied) as err:
        grievance_assign(actor=officer, grievance=late, to=officer)
    assert str(err.value) == "An escalated grievance is assigned by a supervisor."
    supervisor = make_user(Role.SUPERVISOR, office="ssa-kutaisi")
    with pytest.raises(PermissionDenied):
        grievance_assign(
            actor=make_user(Role.SUPERVISOR, office="ssa-zugdidi"), grievance=late, to=officer
        )
    grievance_assign(actor=supervisor, grievance=late, to=supervisor)
    # The supervisor answers it; the officer it was taken from no longer can.
    with pytest.raises(PermissionDenied):
        grievance_resolve(actor=officer, grievance=late, resolution="Done.")
    assert grievance_resolve(actor=supervisor, grievance=late, resolution="Done.").is_escalated
    queue = selectors.grievance_queue(actor=supervisor, status=Status.RESOLVED, escalated=True)
    assert list(queue) == [late]


# -- Appeals -------------------------------------------------------------------------------


def test_an_appeal_reopens_the_review_and_keeps_the_decider_away(make_user):
    decider = make_user(Role.ADMIN)
    refused = refused_application(decider)
    assert refused.status == ApplicationStatus.REJECTED
    filed = appeal(refused)
    refused.refresh_from_db()
    # Back before the decision (it was refused before it was registered), in one transaction.
    assert refused.status == ApplicationStatus.SUBMITTED
    assert refused.events.last().note == f"Appeal {filed.number} against the decision."
    assert (filed.application, filed.municipality.code) == (refused, "kutaisi")
    assert filed.due_date == grievance_due(Category.DECISION_APPEAL, timezone.localdate())
    assert [e.kind for e in filed.events.all()] == [EventKind.FILED, EventKind.REOPENED]
    receipt = Message.objects.get(reference=filed.number)
    assert f"against the decision on application {refused.number}" in receipt.body

    assert decider not in selectors.grievance_assignees(grievance=filed)
    assert not can_handle(decider, filed)
    with pytest.raises(ValidationError) as err:
        grievance_assign(actor=decider, grievance=filed, to=decider)
    assert err.value.message_dict == {
        "assigned_to": [
            "This officer made the decision the appeal contests; another officer reviews it."
        ]
    }
    with pytest.raises(PermissionDenied) as denied:
        grievance_resolve(actor=decider, grievance=filed, resolution="Refused again.")
    assert str(denied.value) == (
        "You made the decision this appeal contests; another officer answers it."
    )

    reviewer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    grievance_assign(actor=decider, grievance=filed, to=reviewer)
    with pytest.raises(ValidationError) as err:
        grievance_resolve(actor=reviewer, grievance=filed, resolution="Granted.")
    assert err.value.message_dict == {
        "resolution": ["Decide the application again before answering the appeal."]
    }
    application_transition(
        actor=reviewer,
        application=refused,
        to=ApplicationStatus.REJECTED,
        note="Reviewed: the applicant lives in another municipality.",
    )
    resolved = grievance_resolve(
        actor=reviewer, grievance=filed, resolution="Reviewed: the refusal stands."
    )
    assert resolved.status == Status.RESOLVED


def test_an_appeal_needs_a_decision_of_the_complainants_still_open_to_appeal(make_user):
    decider = make_user(Role.SSA_OFFICER)
    with pytest.raises(ValidationError) as err:
        grievance(category=Category.DECISION_APPEAL)
    assert err.value.message_dict == {
        "application": [
            "An appeal names the application whose decision it contests: give its number."
        ]
    }
    undecided = application()
    with pytest.raises(ValidationError) as err:
        appeal(undecided)
    assert err.value.message_dict == {
        "application": ["This application has no decision to appeal: it is Submitted."]
    }
    theirs = refused_application(decider, personal_number="01001099999")
    with pytest.raises(ValidationError) as err:
        appeal(theirs)
    assert err.value.message_dict == {
        "application": ["No application has this number and personal number."]
    }
    late = refused_application(decider, personal_number="01001088888")
    Application.objects.filter(pk=late.pk).update(appeal_until=date(2026, 1, 31))
    with pytest.raises(ValidationError) as err:
        appeal(late, personal_number="01001088888")
    assert err.value.message_dict == {
        "application": ["The time to appeal this decision ended on 31 January 2026."]
    }
    late.refresh_from_db()
    assert late.status == ApplicationStatus.REJECTED  # nothing reopened
    Application.objects.filter(pk=undecided.pk).update(status=ApplicationStatus.WITHDRAWN)
    refused = refused_application(decider, municipality="zugdidi")
    appeal(refused)
    with pytest.raises(ValidationError) as err:
        appeal(refused)
    assert err.value.message_dict == {
        "application": ["An appeal against this decision is already being reviewed."]
    }
    assert Grievance.objects.count() == 1


def test_an_appeal_entered_at_an_office_is_reopened_by_its_officer(make_user):
    decider = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    refused = refused_application(decider)
    with pytest.raises(PermissionDenied):
        appeal(refused, actor=make_user(Role.SSA_OFFICER, office="ssa-zugdidi"), channel="walk_in")
    refused.refresh_from_db()
    assert refused.status == ApplicationStatus.REJECTED
    clerk = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    filed = appeal(refused, actor=clerk, channel=Channel.WALK_IN)
    assert refused.events.last().actor == clerk
    assert filed.events.get(kind=EventKind.REOPENED).actor == clerk
    assert Municipality.objects.get(code="kutaisi") == filed.municipality
    assert COMPLAINANT["personal_number"] == filed.personal_number
