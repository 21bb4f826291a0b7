"""Social work cases: who reads which case (sensitive ones above all), who makes which move,
dates on the timeline, care plans, emergency access and transfers."""

import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.cases import selectors, services
from zrunva.cases.choices import Category, EntryKind, Outcome, Risk, Stage, TransferStatus
from zrunva.cases.models import BreakGlass, SocialCase
from zrunva.cases.tests import factories
from zrunva.notifications.models import Message
from zrunva.services.tests import factories as catalogue

IMERETI = "sca-ge-im"  # the State Care Agency's office for Imereti (Kutaisi among its places)


@pytest.fixture
def team(make_user):
    return {
        "worker": make_user(Role.SOCIAL_WORKER, office=IMERETI, email="w@example.org"),
        "colleague": make_user(Role.SOCIAL_WORKER, office=IMERETI),
        "supervisor": make_user(Role.SUPERVISOR, office=IMERETI, email="sup@example.org"),
        "elsewhere": make_user(Role.SOCIAL_WORKER, office="sca-ge-tb"),
        "far_supervisor": make_user(Role.SUPERVISOR, office="sca-ge-tb"),
        "municipal": make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"),
        "analyst": make_user(Role.ANALYST),
        "provider": make_user(Role.SERVICE_PROVIDER, organisation=catalogue.organisation("CSO")),
        "ssa": make_user(Role.SSA_OFFICER),
        "dpo": make_user(Role.DPO, email="dpo@example.org"),
        "admin": make_user(Role.ADMIN),
    }


def reads(user, case) -> bool:
    try:
        selectors.case_detail(actor=user, pk=case.pk)
    except (Http404, PermissionDenied):
        return False
    return True


def test_who_reads_an_ordinary_case_and_a_sensitive_one(team):
    ordinary = factories.case(team["worker"])
    sensitive = factories.case(team["worker"], category=Category.DOMESTIC_VIOLENCE, risk=Risk.HIGH)
    assert sensitive.sensitive and not ordinary.sensitive
    expected = {
        # role: (ordinary, sensitive)
        "worker": (True, True),  # assigned to both
        "colleague": (True, False),  # same office: ordinary only, until named
        "supervisor": (True, True),
        "elsewhere": (False, False),
        "far_supervisor": (False, False),
        "municipal": (False, False),
        "analyst": (False, False),
        "provider": (False, False),
        "ssa": (False, False),
        "dpo": (False, False),
        "admin": (False, False),
    }
    for name, (ordinary_read, sensitive_read) in expected.items():
        assert reads(team[name], ordinary) == ordinary_read, name
        assert reads(team[name], sensitive) == sensitive_read, name
    # A refused read of a case that exists is an audited attempt.
    assert LogEntry.objects.filter(
        actor=team["colleague"], object_pk=str(sensitive.pk), additional_data__attempt=True
    ).exists()
    services.colleague_name(actor=team["worker"], case=sensitive, user=team["colleague"])
    assert reads(team["colleague"], sensitive)
    # Every read is audited.
    assert LogEntry.objects.filter(
        actor=team["colleague"],
        object_pk=str(sensitive.pk),
        action=LogEntry.Action.ACCESS,
        additional_data__purpose="view",
    ).exists()


def test_emergency_access_is_for_one_case_for_a_time_and_told(team):
    sensitive = factories.case(team["worker"], category=Category.TRAFFICKING, risk=Risk.HIGH)
    other = factories.case(team["worker"], category=Category.TRAFFICKING, risk=Risk.HIGH)
    with pytest.raises(ValidationError):
        services.break_glass(actor=team["colleague"], case=sensitive, reason="urgent")
    assert not reads(team["colleague"], sensitive)
    now = timezone.now()
    services.break_glass(
        actor=team["colleague"],
        case=sensitive,
        reason="The police call at night: the worker cannot be reached.",
        now=now,
    )
    assert reads(team["colleague"], sensitive) and not reads(team["colleague"], other)
    later = now + datetime.timedelta(hours=8, minutes=1)
    assert not selectors.case_list(actor=team["colleague"], now=later).filter(pk=sensitive.pk)
    told = set(Message.objects.filter(reference=sensitive.number).values_list("to", flat=True))
    assert told == {"dpo@example.org", "sup@example.org"}
    assert [g.case for g in selectors.break_glass_list(actor=team["dpo"], unreviewed=True)] == [
        sensitive
    ]
    with pytest.raises(PermissionDenied):
        selectors.break_glass_list(actor=team["supervisor"])
    for role in ("dpo", "ssa", "admin"):
        if role != "dpo":
            with pytest.raises(PermissionDenied):
                services.break_glass(actor=team[role], case=other, reason="x" * 30)
    assert BreakGlass.objects.count() == 1


def test_each_role_makes_its_own_moves(team):
    case = factories.case(team["worker"])
    services.case_move(actor=team["worker"], case=case, to=Stage.ASSESSMENT)
    with pytest.raises(ValidationError, match="does not go from"):
        services.case_move(actor=team["worker"], case=case, to=Stage.REVIEW)
    services.case_move(actor=team["worker"], case=case, to=Stage.CARE_PLAN)
    with pytest.raises(ValidationError, match="Write the care plan"):
        services.case_move(actor=team["worker"], case=case, to=Stage.IMPLEMENTATION)
    today = timezone.localdate()
    services.plan_write(
        actor=team["worker"],
        case=case,
        goals="Daily meals and a weekly visit.",
        review_on=today + datetime.timedelta(days=90),
        actions=[{"text": "Home care twice a week", "responsible": "Day centre", "due": today}],
    )
    for stage in (Stage.IMPLEMENTATION, Stage.REVIEW):
        services.case_move(actor=team["worker"], case=case, to=stage)
    # The review's outcome is the supervisor's.
    with pytest.raises(PermissionDenied):
        services.case_move(actor=team["worker"], case=case, to=Stage.IMPLEMENTATION)
    with pytest.raises(PermissionDenied):
        services.case_close(actor=team["worker"], case=case, outcome=Outcome.GOALS_MET, note="ok")
    with pytest.raises(PermissionDenied):
        services.case_move(actor=team["colleague"], case=case, to=Stage.CARE_PLAN)
    with pytest.raises(PermissionDenied):
        services.case_close(
            actor=team["far_supervisor"], case=case, outcome=Outcome.GOALS_MET, note="ok"
        )
    services.case_close(
        actor=team["supervisor"], case=case, outcome=Outcome.GOALS_MET, note="Goals met."
    )
    case.refresh_from_db()
    assert case.stage == Stage.CLOSED and case.closed_at is not None
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds[0] == "opened" and kinds[-1] == "closed"


def test_the_timeline_takes_no_date_before_the_case_or_in_the_future(team):
    case = factories.case(team["worker"])
    today = timezone.localdate()
    for day, message in (
        (today - datetime.timedelta(days=3), "nothing on it happened before"),
        (today + datetime.timedelta(days=1), "in the future"),
    ):
        with pytest.raises(ValidationError, match=message):
            services.entry_add(
                actor=team["worker"], case=case, kind=EntryKind.HOME_VISIT, happened_on=day
            )
    assert not case.entries.exists()
    services.entry_add(actor=team["worker"], case=case, kind=EntryKind.NOTE, happened_on=today)
    case.refresh_from_db()
    assert case.first_contact_at is None  # a note is not a contact
    services.entry_add(actor=team["worker"], case=case, kind=EntryKind.PHONE, happened_on=today)
    case.refresh_from_db()
    assert case.first_contact_at is not None
    with pytest.raises(PermissionDenied):
        services.entry_add(
            actor=team["colleague"], case=case, kind=EntryKind.NOTE, happened_on=today
        )


def test_first_contact_due_by_risk_and_overdue_surfaces(team):
    high = factories.case(team["worker"], risk=Risk.HIGH, category=Category.CHILD_PROTECTION)
    low = factories.case(team["worker"], risk=Risk.LOW)
    assert (high.first_contact_due - high.opened_at).total_seconds() == pytest.approx(
        24 * 3600, abs=5
    )
    later = timezone.now() + datetime.timedelta(hours=25)
    overdue = selectors.first_contact_overdue(selectors.mine(actor=team["worker"]), now=later)
    assert list(overdue) == [high]
    assert low not in overdue


def test_a_supervisor_assigns_within_the_area_and_weighs_caseloads(team, settings):
    settings.CASELOAD_NORM = 4
    opened = factories.case(team["supervisor"], risk=Risk.HIGH)
    assert opened.assigned_to is None
    assert list(selectors.unassigned(actor=team["supervisor"])) == [opened]
    with pytest.raises(ValidationError):
        services.case_give(actor=team["supervisor"], case=opened, to=team["elsewhere"])
    services.case_give(actor=team["supervisor"], case=opened, to=team["worker"])
    factories.case(team["worker"], risk=Risk.MEDIUM)
    load = {row["worker"]: row for row in selectors.caseload(actor=team["supervisor"])}
    assert load[team["worker"]]["weighted"] == 5 and load[team["worker"]]["over"]
    assert load[team["colleague"]]["open"] == 0
    with pytest.raises(PermissionDenied):
        selectors.caseload(actor=team["worker"])


def test_a_transfer_is_accepted_or_returned_by_the_other_office(team):
    case = factories.case(team["worker"])
    tbilisi = team["far_supervisor"].office
    transfer = services.transfer_ask(
        actor=team["worker"], case=case, to_office=tbilisi, reason="Moved"
    )
    with pytest.raises(PermissionDenied):
        services.transfer_decide(actor=team["supervisor"], transfer=transfer, accept=True)
    with pytest.raises(ValidationError, match="Say why"):
        services.transfer_decide(actor=team["far_supervisor"], transfer=transfer, accept=False)
    services.transfer_decide(actor=team["far_supervisor"], transfer=transfer, accept=True)
    case.refresh_from_db()
    assert case.office == tbilisi and case.assigned_to is None
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.ACCEPTED
    assert reads(team["far_supervisor"], case) and not reads(team["worker"], case)


def test_a_violence_case_cannot_be_made_ordinary_below_the_application(team):
    from django.db import IntegrityError, transaction

    case = factories.case(team["worker"], category=Category.DOMESTIC_VIOLENCE, risk=Risk.HIGH)
    with pytest.raises(IntegrityError), transaction.atomic():
        SocialCase.objects.filter(pk=case.pk).update(sensitive=False)
    case.refresh_from_db()
    assert case.sensitive


def test_the_subject_access_report_holds_the_persons_cases(team):
    from zrunva.audit import subject_access

    case = factories.case(team["worker"], category=Category.DOMESTIC_VIOLENCE, risk=Risk.HIGH)
    services.entry_add(
        actor=team["worker"], case=case, kind=EntryKind.PHONE, happened_on=timezone.localdate()
    )
    report = subject_access.report(actor=team["dpo"], person=case.person)
    section = next(s for s in report["sections"] if s["key"] == "cases")
    records = {i["record"] for i in section["items"]}
    assert {"cases.socialcase", "cases.entry", "cases.caseevent"} <= records


def test_a_case_being_carried_out_unvisited_is_due_for_a_visit(team, settings):
    settings.CASE_VISIT_DAYS = 30
    case = factories.case(team["worker"])
    today = timezone.localdate()
    services.case_move(actor=team["worker"], case=case, to=Stage.ASSESSMENT)
    services.case_move(actor=team["worker"], case=case, to=Stage.CARE_PLAN)
    services.plan_write(
        actor=team["worker"],
        case=case,
        goals="g",
        review_on=today + datetime.timedelta(days=30),
        actions=[{"text": "t", "responsible": "r", "due": today}],
    )
    services.case_move(actor=team["worker"], case=case, to=Stage.IMPLEMENTATION)
    mine = selectors.mine(actor=team["worker"])
    assert list(selectors.visit_overdue(mine)) == [case]
    services.entry_add(actor=team["worker"], case=case, kind=EntryKind.PHONE, happened_on=today)
    assert list(selectors.visit_overdue(mine)) == [case]  # a call is not a visit
    services.entry_add(
        actor=team["worker"], case=case, kind=EntryKind.HOME_VISIT, happened_on=today
    )
    assert not selectors.visit_overdue(mine).exists()
    later = today + datetime.timedelta(days=31)
    assert list(selectors.visit_overdue(mine, today=later)) == [case]


def planned(actor, case, *dues: int) -> None:
    """The case taken to its care plan, with an action due in each of `dues` days."""
    today = timezone.localdate()
    services.case_move(actor=actor, case=case, to=Stage.ASSESSMENT)
    services.case_move(actor=actor, case=case, to=Stage.CARE_PLAN)
    services.plan_write(
        actor=actor,
        case=case,
        goals="g",
        review_on=today + datetime.timedelta(days=60),
        actions=[
            {"text": f"by {d}", "responsible": "r", "due": today + datetime.timedelta(days=d)}
            for d in dues
        ],
    )


def test_overdue_plan_actions_come_longest_overdue_first(team):
    cases = []
    for due in (2, 9):  # the case opened first has the action overdue longest
        cases.append(factories.case(team["worker"]))
        planned(team["worker"], cases[-1], due, 40)
    far = factories.case(team["elsewhere"], factories.person("tbilisi"))  # another area's
    planned(team["elsewhere"], far, 1)
    scope = selectors.case_list(actor=team["supervisor"])
    later = timezone.localdate() + datetime.timedelta(days=20)
    overdue = selectors.actions_overdue(scope, today=later)
    assert [(a.text, a.plan.case) for a in overdue] == [("by 2", cases[0]), ("by 9", cases[1])]
