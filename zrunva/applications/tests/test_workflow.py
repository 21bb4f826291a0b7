from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Channel, Status
from zrunva.applications.models import Application, Workflow
from zrunva.applications.services import (
    application_submit,
    application_transition,
    application_withdraw,
    next_statuses,
)
from zrunva.applications.tests.factories import (
    APPLICANT,
    enrolled_application,
    home_visit,
    pension_application,
    submit,
    visit_day,
)
from zrunva.assessment.tests.factories import assess
from zrunva.core.casework import ALPHABET
from zrunva.core.workdays import working_days_after, working_days_between
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


# -- Working days ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start,days,due",
    [
        (date(2026, 11, 20), 1, date(2026, 11, 24)),  # Fri → Tue: Mon 23 Nov is St George's Day
        (date(2026, 4, 8), 2, date(2026, 4, 15)),  # Unity Day, Good Friday, Easter Monday
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # New Year (1, 2 January), then a weekend
        (date(2026, 11, 25), 0, date(2026, 11, 25)),
    ],
)
def test_deadlines_count_working_days_without_georgian_holidays(start, days, due):
    assert working_days_after(start, days) == due
    assert working_days_between(start, due) == days


# -- Submitting ----------------------------------------------------------------------------


def test_a_portal_application_gets_an_unguessable_number_and_a_deadline():
    application = submit(language="en")
    assert application.number.startswith("ZR-") and len(application.number) == 14
    assert set(application.number[3:].replace("-", "")) <= set(ALPHABET)
    assert application.status == Status.SUBMITTED and application.household is None
    assert application.due_date == working_days_after(timezone.localdate(), 2)
    assert "Personal Data Protection" in application.consent_purpose
    assert [e.to_status for e in application.events.all()] == [Status.SUBMITTED]
    assert len({submit(personal_number=f"0100101{i:04d}").number for i in range(50)}) == 50


def test_a_second_open_application_is_stored_flagged_as_a_duplicate():
    first = submit()
    second = submit(phone="+995 599 00 00 00")
    assert (first.duplicate_of, second.duplicate_of) == (None, first)
    assert second.status == first.status == Status.SUBMITTED
    assert second.due_date == first.due_date
    assert submit(programme="child_benefit").duplicate_of is None  # another programme
    # The database holds one unflagged open application per person and programme.
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=second.pk).update(duplicate_of=None)


def test_consent_is_required_and_an_enrolled_person_is_flagged_not_told():
    with pytest.raises(ValidationError) as err:
        application_submit(
            channel=Channel.PORTAL,
            programme=Programme.objects.get(code="tsa"),
            municipality=Municipality.objects.get(code="kutaisi"),
            applicant=APPLICANT,
            consent=False,
        )
    assert err.value.message_dict == {
        "consent": ["The application needs your consent to process it."]
    }
    enrolled = enrolled_application()
    again = submit(programme="state_pension", personal_number=enrolled.personal_number)
    assert again.status == Status.SUBMITTED and again.duplicate_of == enrolled


def test_walk_in_applications_are_entered_by_staff_of_the_area(make_user):
    officer = make_user(Role.SSA_OFFICER, office="ssa-zugdidi")
    with pytest.raises(PermissionDenied):
        application_submit(
            actor=officer,
            channel=Channel.WALK_IN,
            programme=Programme.objects.get(code="tsa"),
            municipality=Municipality.objects.get(code="kutaisi"),
            applicant=APPLICANT,
            consent=True,
        )
    with pytest.raises(PermissionDenied):
        application_submit(
            actor=make_user(Role.SOCIAL_WORKER),
            channel=Channel.WALK_IN,
            programme=Programme.objects.get(code="tsa"),
            municipality=Municipality.objects.get(code="zugdidi"),
            applicant=APPLICANT,
            consent=True,
        )


# -- Moving through the stages -------------------------------------------------------------


def walk(application, actor, *statuses, household=None):
    for status in statuses:
        if status == Status.ASSESSED:
            home_visit(application)
        application = application_transition(
            actor=actor,
            application=application,
            to=status,
            household=household if status == Status.REGISTERED else None,
            note="reasons" if status == Status.REJECTED else "",
            **visit_day(status),
        )
    return application


def test_tsa_goes_through_a_home_visit_and_a_pension_does_not(make_user):
    officer = make_user(Role.SSA_OFFICER)
    household = factories.household("kutaisi")
    assess(household, 30_000)
    tsa = submit()
    assert Workflow.objects.get(programme__code="tsa").stages == (
        "submitted",
        "registered",
        "home_visit_scheduled",
        "assessed",
        "decided",
        "enrolled",
    )
    tsa = walk(
        tsa,
        officer,
        Status.REGISTERED,
        Status.HOME_VISIT_SCHEDULED,
        Status.ASSESSED,
        Status.DECIDED,
        Status.ENROLLED,
        household=household,
    )
    assert tsa.status == Status.ENROLLED and tsa.household == household and tsa.due_date is None
    assert [(e.from_status, e.to_status, e.actor) for e in tsa.events.all()][1:3] == [
        (Status.SUBMITTED, Status.REGISTERED, officer),
        (Status.REGISTERED, Status.HOME_VISIT_SCHEDULED, officer),
    ]
    pension = submit(programme="state_pension")
    pension = walk(pension, officer, Status.REGISTERED, household=household)
    assert next_statuses(pension) == [Status.DECIDED, Status.REJECTED, Status.WITHDRAWN]
    with pytest.raises(ValidationError) as err:
        application_transition(actor=officer, application=pension, to=Status.HOME_VISIT_SCHEDULED)
    assert err.value.message_dict == {
        "status": ["An application that is Registered cannot become Home visit scheduled."]
    }
    # Each stage's deadline counts from the day it was reached.
    assert pension.due_date == working_days_after(timezone.localdate(), 5)


STEPS = [
    Status.REGISTERED,
    Status.HOME_VISIT_SCHEDULED,
    Status.ASSESSED,
    Status.DECIDED,
    Status.ENROLLED,
]
# Which roles may move a state programme's (TSA's) application into each status.
ALLOWED = {
    Status.REGISTERED: {Role.ADMIN, Role.SSA_OFFICER},
    Status.HOME_VISIT_SCHEDULED: {Role.ADMIN, Role.SSA_OFFICER},
    Status.ASSESSED: {Role.ADMIN, Role.SSA_OFFICER},
    Status.DECIDED: {Role.ADMIN, Role.SSA_OFFICER},
    Status.ENROLLED: {Role.ADMIN, Role.SSA_OFFICER},
    Status.REJECTED: {Role.ADMIN, Role.SSA_OFFICER},
    Status.WITHDRAWN: {Role.ADMIN, Role.SSA_OFFICER},
}
ROLES = [
    (Role.ADMIN, {}),
    (Role.SSA_OFFICER, {}),
    (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}),
    (Role.SOCIAL_WORKER, {}),
    (Role.SUPERVISOR, {}),
    (Role.ANALYST, {}),
    (Role.SERVICE_PROVIDER, {}),
    (Role.CITIZEN, {}),
    (Role.DPO, {}),
]


@pytest.mark.parametrize("target", list(ALLOWED))
@pytest.mark.parametrize("role,scope", ROLES)
def test_every_transition_is_allowed_to_its_roles_and_refused_to_the_others(
    make_user, role, scope, target
):
    admin = make_user(Role.ADMIN)
    household = factories.household("kutaisi")
    assess(household, 30_000)
    application = submit()
    # Bring the application to the stage just before the target, as an administrator.
    if target in STEPS:
        application = walk(application, admin, *STEPS[: STEPS.index(target)], household=household)
    actor = make_user(role, **scope)
    kwargs = {"household": household} if target == Status.REGISTERED else visit_day(target)
    if target == Status.ASSESSED:
        home_visit(application)
    note = "reasons" if target == Status.REJECTED else ""
    if role in ALLOWED[target]:
        moved = application_transition(
            actor=actor, application=application, to=target, note=note, **kwargs
        )
        assert moved.status == target
    else:
        with pytest.raises(PermissionDenied):
            application_transition(
                actor=actor, application=application, to=target, note=note, **kwargs
            )
        application.refresh_from_db()
        assert application.status != target


def test_a_municipal_programme_is_processed_by_its_municipality_not_the_ssa(make_user):
    from zrunva.programmes.services import programme_save

    kutaisi = Municipality.objects.get(code="kutaisi")
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    programme_save(
        actor=officer,
        programme=None,
        data={
            "code": "kutaisi_help",
            "name_ka": "დახმარება",
            "name_en": "Help",
            "level": "household",
            "criteria": "household.size > 0",
            "formula": "100",
            "legal_basis": "Kutaisi council (illustrative)",
            "municipality": kutaisi,
            "valid_from": date(2026, 1, 1),
        },
    )
    application = submit(programme="kutaisi_help")
    household = factories.household("kutaisi")
    with pytest.raises(PermissionDenied, match="processed by its officers"):
        walk(application, make_user(Role.SSA_OFFICER), Status.REGISTERED, household=household)
    with pytest.raises(PermissionDenied):
        walk(
            application,
            make_user(Role.MUNICIPAL_OFFICER, municipality="tbilisi"),
            Status.REGISTERED,
            household=household,
        )
    application = walk(application, officer, Status.REGISTERED, household=household)
    assert application.status == Status.REGISTERED
    with pytest.raises(ValidationError):
        submit(programme="kutaisi_help", municipality="tbilisi", personal_number="01001099999")


def test_refusals_need_reasons_and_registering_needs_the_household(make_user):
    officer = make_user(Role.SSA_OFFICER)
    application = submit()
    with pytest.raises(ValidationError) as err:
        application_transition(actor=officer, application=application, to=Status.REGISTERED)
    assert list(err.value.message_dict) == ["household"]
    with pytest.raises(ValidationError) as err:
        application_transition(actor=officer, application=application, to=Status.REJECTED)
    assert err.value.message_dict == {"note": ["Give the reasons for the refusal."]}
    rejected = application_transition(
        actor=officer, application=application, to=Status.REJECTED, note="Income above the limit"
    )
    assert next_statuses(rejected) == []
    # Decided applications are not rejected any more; only enrolled or withdrawn.
    other, officer = pension_application(officer=officer)
    other = walk(other, officer, Status.DECIDED)
    assert next_statuses(other) == [Status.ENROLLED, Status.WITHDRAWN]


def test_the_applicant_withdraws_with_number_and_personal_number():
    application = submit()
    with pytest.raises(ValidationError):
        application_withdraw(number=application.number, personal_number="01001099999")
    withdrawn = application_withdraw(
        number=application.number.lower(), personal_number=APPLICANT["personal_number"]
    )
    assert withdrawn.status == Status.WITHDRAWN
    assert withdrawn.events.last().actor is None
    with pytest.raises(ValidationError, match="closed"):
        application_withdraw(
            number=application.number, personal_number=APPLICANT["personal_number"]
        )
    submit()  # withdrawn is closed: a new application may be made
