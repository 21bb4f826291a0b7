"""Synthetic applications for the demo: heads of generated households apply for programmes,
and the demo's SSA officer takes some of them part of the way, through the services."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from zrunva.applications.choices import Channel, Status
from zrunva.applications.decisions import decision_basis
from zrunva.applications.models import Application, ApplicationEvent
from zrunva.applications.services import application_submit, application_transition, next_statuses
from zrunva.assessment.models import Assessment
from zrunva.assessment.selectors import latest_assessment
from zrunva.assessment.services import assessment_record
from zrunva.programmes.choices import DecisionStatus
from zrunva.programmes.models import Programme
from zrunva.registry.models import Membership

PROGRAMMES = ("tsa", "child_benefit", "state_pension", "disability_package")


def demo_applications(*, seed: int, count: int = 40, officer: str = "ssa") -> int:
    """`count` applications from heads of households (in their own municipality), moved on by
    `officer` a random number of steps: at the decision, granted or refused as the programme's
    rules say; some granted ones enrolled. Returns how many were made."""
    rng = random.Random(seed)
    dates = random.Random(seed + 1)  # its own stream: the steps taken do not depend on it
    actor = get_user_model().objects.get(username=officer)
    heads = list(
        Membership.objects.filter(relationship="head", end_date__isnull=True)
        .select_related("person", "household__municipality")
        .order_by("id")[: count * 3]
    )
    programmes = {p.code: p for p in Programme.objects.filter(code__in=PROGRAMMES)}
    made = 0
    for membership in rng.sample(heads, min(count, len(heads))):
        person, household = membership.person, membership.household
        channel = rng.choice([Channel.PORTAL, Channel.PORTAL, Channel.WALK_IN])
        application = application_submit(
            channel=channel,
            actor=actor if channel == Channel.WALK_IN else None,
            programme=programmes[rng.choice(PROGRAMMES)],
            municipality=household.municipality,
            applicant={
                "personal_number": person.personal_number or f"{person.pk:011d}",
                "first_name": person.first_name,
                "last_name": person.last_name,
                "birth_date": person.birth_date,
                "phone": f"+995 5{rng.randrange(10**7, 10**8)}",
                "language": "ka",
            },
            consent=True,
        )
        made += 1
        for _ in range(rng.randrange(0, 6)):
            closing = (Status.WITHDRAWN, Status.DUPLICATE)
            options = [s for s in next_statuses(application) if s not in closing]
            if not options:
                break
            to, note = options[0], ""
            if to == Status.DECIDED:
                status = decision_basis(application, on=timezone.localdate())[0]["status"]
                if status != DecisionStatus.ELIGIBLE:
                    to = Status.REJECTED
                    note = "" if status == DecisionStatus.NOT_ELIGIBLE else "Documents not given"
            if to == Status.ASSESSED:
                _home_visit(actor, household, application.visit_date)
            application = application_transition(
                actor=actor,
                application=application,
                to=to,
                note=note,
                household=household if to == Status.REGISTERED else None,
                visit_date=timezone.localdate() if to == Status.HOME_VISIT_SCHEDULED else None,
            )
        _spread(application, dates)
    return made


def _home_visit(actor, household, day) -> None:
    """The social agent's visit on the scheduled day. A household assessed before is found as
    its last assessment found it: that record copied with the day (synthetic, like `_spread`;
    scoring the generated population afresh would change who is eligible). One never assessed
    is scored by the service from what the registry holds."""
    latest = latest_assessment(household).first()
    if latest is None:
        assessment_record(actor=actor, household=household, visit_date=day, declaration={})
        return
    latest.pk, latest.visit_date = None, day
    latest.save(force_insert=True)


def _spread(application, rng: random.Random) -> None:
    """Date the application back: submitted 10 to 180 days ago, each step a few days after the
    one before, so that the delay indicators and the overdue counts have months to show.
    (Synthetic: the services date everything now.)"""
    now = timezone.now()
    at = now - timedelta(days=rng.randrange(10, 180), hours=rng.randrange(0, 9))
    Application.objects.filter(pk=application.pk).update(submitted_at=at)
    events = list(ApplicationEvent.objects.filter(application=application).order_by("at", "pk"))
    decided_on = None
    for event in events:
        if event is not events[0]:
            at = min(at + timedelta(days=rng.uniform(0.5, 9)), now)
        ApplicationEvent.objects.filter(pk=event.pk).update(at=at)
        if event.to_status in (Status.DECIDED, Status.REJECTED):
            decided_on = timezone.localdate(at)
    # The home visit took place on the day the step "assessed" was taken, its record with it.
    assessed = next((e for e in events if e.to_status == Status.ASSESSED), None)
    if assessed is not None:
        assessed.refresh_from_db()
        day = timezone.localdate(assessed.at)
        ApplicationEvent.objects.filter(application=application, visit_date__isnull=False).update(
            visit_date=day
        )
        Application.objects.filter(pk=application.pk).update(visit_date=day)
        Assessment.objects.filter(pk=assessed.assessment_id).update(visit_date=day)
    # The current stage began with the last step: its deadline moves back with it.
    shift = now - at
    application.refresh_from_db()
    Application.objects.filter(pk=application.pk).update(
        stage_since=timezone.localdate(at),
        due_date=application.due_date - shift if application.due_date else None,
        decided_on=decided_on or application.decided_on,
    )


def demo_pension_in_bulk(*, requester: str = "ssa", confirmer: str = "admin") -> int:
    """The state pension enrolled in bulk from the latest national run, as the SSA does it:
    one officer asks, another confirms (four eyes); returns how many were enrolled. This gives
    the payroll, the dashboards and the budgets the bulk of a month's recipients."""
    from zrunva.applications.services import bulk_enrolment_confirm, bulk_enrolment_request
    from zrunva.programmes.choices import RunStatus
    from zrunva.programmes.models import Run

    users = get_user_model().objects
    run = Run.objects.filter(status=RunStatus.DONE, municipality__isnull=True).order_by("-pk")
    pension = Programme.objects.filter(code="state_pension").first()
    if run.first() is None or pension is None:
        return 0
    batch = bulk_enrolment_request(
        actor=users.get(username=requester), run=run.first(), programme=pension
    )
    batch = bulk_enrolment_confirm(actor=users.get(username=confirmer), batch=batch)
    return batch.enrolled
