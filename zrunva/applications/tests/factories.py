"""Builders for the applications' tests: applications submitted, taken to a stage or enrolled,
enrolments, a run's losses, and the staff intake form's data."""

from datetime import date

from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.accounts.models import User
from zrunva.applications.choices import Channel, Status
from zrunva.applications.models import Application, Enrolment
from zrunva.applications.selectors import visit_assessments
from zrunva.applications.services import application_submit, application_transition, next_statuses
from zrunva.assessment.tests.factories import assess
from zrunva.geo.models import Municipality
from zrunva.programmes.models import DecisionChange, Programme, Run
from zrunva.registry.tests import factories

APPLICANT = {
    "personal_number": "01001012345",
    "first_name": "ნინო",
    "last_name": "ბერიძე",
    "birth_date": date(1985, 3, 1),
    "phone": "+995 555 12 34 56",
}


def submit(programme="tsa", municipality="kutaisi", **overrides) -> Application:
    """An application submitted on the portal by APPLICANT (changed by `overrides`)."""
    return application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code=programme),
        municipality=Municipality.objects.get(code=municipality),
        applicant={**APPLICANT, **overrides},
        consent=True,
    )


def pension_application(birth_date=date(1950, 2, 1), language="en", officer=None):
    """A state pension application for the head of a registered household in Kutaisi, taken
    to the decision stage by `officer`: (the application, the officer)."""
    household = factories.household("kutaisi", head={"birth_date": birth_date, "sex": "M"})
    head = household.memberships.get().person
    officer = officer or User.objects.create_user(
        f"ssa-officer-{User.objects.count()}", role=Role.SSA_OFFICER
    )
    application = application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code="state_pension"),
        municipality=Municipality.objects.get(code="kutaisi"),
        applicant={
            "personal_number": head.personal_number,
            "first_name": head.first_name,
            "last_name": head.last_name,
            "birth_date": head.birth_date,
            "email": "applicant@example.org",
            "language": language,
        },
        consent=True,
    )
    application_transition(
        actor=officer, application=application, to=Status.REGISTERED, household=household
    )
    return application, officer


def enrolled_application() -> Application:
    """A state pension application granted and enrolled (`pension_application`'s defaults)."""
    application, officer = pension_application()
    application_transition(actor=officer, application=application, to=Status.DECIDED)
    application_transition(actor=officer, application=application, to=Status.ENROLLED)
    application.refresh_from_db()
    return application


def family_applications() -> tuple[list[Application], User]:
    """Two parents of one household each apply for the child benefit; both are registered to
    the household and decided (granted): the situation of the review. (The two applications, the officer.)"""
    household = factories.household("kutaisi", head={"birth_date": date(1985, 3, 1)})
    mother = factories.member(
        household, relationship="spouse", birth_date=date(1987, 1, 1), sex="F"
    )
    factories.member(household, birth_date=date(2015, 6, 1))
    assess(household, 57000)
    father = household.memberships.get(relationship="head").person
    officer = User.objects.create_user(f"ssa-{User.objects.count()}", role=Role.SSA_OFFICER)
    applications = []
    for parent in (father, mother):
        application = application_submit(
            channel=Channel.PORTAL,
            programme=Programme.objects.get(code="child_benefit"),
            municipality=household.municipality,
            applicant={
                "personal_number": parent.personal_number,
                "first_name": parent.first_name,
                "last_name": parent.last_name,
                "birth_date": parent.birth_date,
                "phone": "555 12 34 56",
            },
            consent=True,
        )
        while application.status != Status.DECIDED:
            to = next_statuses(application)[0]
            if to == Status.ASSESSED:
                home_visit(application)
            application = application_transition(
                actor=officer,
                application=application,
                to=to,
                household=household if to == Status.REGISTERED else None,
                **visit_day(to),
            )
        applications.append(application)
    return applications, officer


def pensioners(n: int) -> list:
    """`n` men born in February 1950, each the head of his own household in Kutaisi: the
    people (over the pension age, not yet enrolled)."""
    return [
        factories.household("kutaisi", head={"birth_date": date(1950, 2, 1 + i), "sex": "M"})
        .memberships.get()
        .person
        for i in range(n)
    ]


def tsa_enrolment(household, *, language: str = "en") -> Enrolment:
    """A TSA enrolment of `household` (a programme decided on a home visit, paying the
    household), as the workflow leaves it: the steps before are other tests' business."""
    head = household.memberships.get(relationship="head").person
    application = application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code="tsa"),
        municipality=Municipality.objects.get(code="kutaisi"),
        applicant={
            "personal_number": head.personal_number,
            "first_name": head.first_name,
            "last_name": head.last_name,
            "birth_date": head.birth_date,
            "phone": "+995555000222",
            "language": language,
        },
        consent=True,
    )
    Application.objects.filter(pk=application.pk).update(
        status=Status.ENROLLED, household=household
    )
    return Enrolment.objects.create(
        application=application,
        programme=application.programme,
        household=household,
        amount="60.00",
        starts=date(2023, 2, 1),
        enrolled_by=factories.system_actor(),
    )


def run_loss(
    enrolment: Enrolment, *, status: str = "done", old: str = "eligible", new: str = ""
) -> DecisionChange:
    """A run of today (in `status`) whose change takes the enrolment's programme from `old` to
    `new` (not eligible unless told) for the enrolled person: a loss an officer confirms."""
    run = Run.objects.create(
        on=timezone.localdate(), started_by=factories.system_actor(), status=status
    )
    return DecisionChange.objects.create(
        run=run,
        programme=enrolment.programme,
        household=enrolment.household,
        person=enrolment.person,
        old_status=old,
        old_amount="495.00",
        new_status=new or "not_eligible",
    )


def intake_form(**overrides) -> dict:
    """The staff intake form's data for a state pension application in Kutaisi, changed by
    `overrides`."""
    data = {
        "programme": Programme.objects.get(code="state_pension").pk,
        "municipality": Municipality.objects.get(code="kutaisi").pk,
        "personal_number": "01001012345",
        "first_name": "ნინო",
        "last_name": "ბერიძე",
        "birth_date": "1960-03-01",
        "phone": "",
        "email": "",
        "language": "ka",
        "consent": "on",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-0-first_name": "",
    }
    return data | overrides


def visit_day(status: str) -> dict:
    """The step's arguments for scheduling a home visit: today."""
    if status == Status.HOME_VISIT_SCHEDULED:
        return {"visit_date": timezone.localdate()}
    return {}


def home_visit(application: Application, score: int | None = None):
    """The social agent's visit on the scheduled day: an assessment of the application's
    household dated then, with the household's latest score unless `score` is given. None when
    the household already has one since (another member's application was visited)."""
    if score is None and visit_assessments(application).exists():
        return None
    latest = application.household.assessments.order_by("-visit_date", "-id").first()
    return assess(
        application.household,
        score if score is not None else latest.score,
        visit=application.visit_date or timezone.localdate(),
    )
