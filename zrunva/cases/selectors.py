"""Reads of social work cases: those a user may read (`permissions.case_scope`: sensitive ones
only by their worker, the area's supervisors, named colleagues and emergency access), one case
(audited, and a refused read audited as an attempt), caseloads weighted by risk, and what is
overdue."""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Case as When_
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.applications.models import Enrolment
from zrunva.audit.subject_access import Section, Subject
from zrunva.cases.choices import (
    CARRIED_OUT,
    CATEGORY_GROUPS,
    OPEN_REFERRAL,
    OPEN_STAGES,
    ActionStatus,
    EntryKind,
    JobSeekerStatus,
)
from zrunva.cases.models import (
    BreakGlass,
    Colleague,
    Entry,
    JobSeekerReferral,
    OutreachVisit,
    PlanAction,
    Referral,
    SocialCase,
    SupervisionSession,
)
from zrunva.core.casework import case_get
from zrunva.core.models import in_language
from zrunva.core.trail import access_log, scoped_get
from zrunva.registry.choices import Sex
from zrunva.registry.columns import years_before
from zrunva.registry.models import Membership
from zrunva.registry.population import PENSION_AGE
from zrunva.services.selectors import public_services


def scope(actor, now=None) -> Q:
    """`permissions.case_scope` with this app's named colleagues and emergency accesses."""
    return permissions.case_scope(
        actor, now or timezone.now(), colleagues=Colleague.objects, glass=BreakGlass.objects
    )


def case_list(*, actor, now=None) -> QuerySet[SocialCase]:
    """The cases the actor may read."""
    permissions.require(actor, permissions.CASES_WORK)
    return SocialCase.objects.filter(scope(actor, now)).select_related(
        "assigned_to", "office", "municipality"
    )


def case_detail(*, actor, pk: int, purpose: str = "view") -> SocialCase:
    """One case the actor may read, its read audited; any other is a 404 (and an audited
    attempt when it exists)."""
    return case_get(case_list(actor=actor), actor=actor, purpose=purpose, pk=pk)


def mine(*, actor) -> QuerySet[SocialCase]:
    return case_list(actor=actor).filter(assigned_to=actor, stage__in=OPEN_STAGES)


def unassigned(*, actor) -> QuerySet[SocialCase]:
    """A supervisor's queue: the area's open cases nobody has."""
    permissions.require(actor, permissions.CASES_SUPERVISE)
    return case_list(actor=actor).filter(assigned_to__isnull=True, stage__in=OPEN_STAGES)


def first_contact_overdue(qs: QuerySet[SocialCase], *, now=None) -> QuerySet[SocialCase]:
    now = now or timezone.now()
    return qs.filter(
        stage__in=OPEN_STAGES, first_contact_at__isnull=True, first_contact_due__lt=now
    )


def review_overdue(qs: QuerySet[SocialCase], *, today=None) -> QuerySet[SocialCase]:
    today = today or timezone.localdate()
    return qs.filter(stage__in=OPEN_STAGES, next_review__lt=today)


def visit_overdue(qs: QuerySet[SocialCase], *, today=None) -> QuerySet[SocialCase]:
    """Cases being carried out (or reviewed) with no home or office visit in the last
    CASE_VISIT_DAYS days: due for a visit."""
    today = today or timezone.localdate()
    since = today - timedelta(days=settings.CASE_VISIT_DAYS)
    visited = Entry.objects.filter(
        case_id=OuterRef("pk"),
        kind__in=[EntryKind.HOME_VISIT, EntryKind.OFFICE_VISIT],
        happened_on__gte=since,
    )
    return qs.filter(stage__in=CARRIED_OUT).exclude(Exists(visited))


def actions_overdue(cases: QuerySet[SocialCase], *, today=None) -> QuerySet[PlanAction]:
    """Open plan actions past their date, the longest overdue first (`action_overdue` finds
    them without reading every plan's actions)."""
    today = today or timezone.localdate()
    return (
        PlanAction.objects.filter(plan__case__in=cases, status=ActionStatus.OPEN, due__lt=today)
        .select_related("plan__case")
        .order_by("due", "id")
    )


def _weight():
    weights = settings.CASE_RISK_WEIGHTS
    return When_(
        *(When(risk=risk, then=Value(w)) for risk, w in weights.items()),
        default=Value(1),
        output_field=IntegerField(),
    )


def caseload(*, actor) -> list[dict]:
    """Each worker of the supervisor's area: open cases, weighted by risk, against the norm."""
    permissions.require(actor, permissions.CASES_SUPERVISE)
    cases = case_list(actor=actor).filter(stage__in=OPEN_STAGES, assigned_to__isnull=False)
    loads = {
        row["assigned_to"]: row
        for row in cases.values("assigned_to").annotate(weighted=Sum(_weight()), open=Sum(Value(1)))
    }
    workers = team_members(actor=actor).filter(office__isnull=False)
    norm = settings.CASELOAD_NORM
    rows = []
    for worker in workers.order_by("last_name", "first_name", "username"):
        load = loads.get(worker.pk, {"weighted": 0, "open": 0})
        rows.append(
            {
                "worker": worker,
                "open": load["open"] or 0,
                "weighted": load["weighted"] or 0,
                "norm": norm,
                "over": (load["weighted"] or 0) > norm,
            }
        )
    return rows


def break_glass_list(*, actor, unreviewed: bool = False) -> QuerySet[BreakGlass]:
    """Every emergency access, for the DPO's review."""
    permissions.require(actor, permissions.BREAK_GLASS_REVIEW)
    qs = BreakGlass.objects.select_related("case", "user", "reviewed_by")
    return qs.filter(reviewed_at__isnull=True) if unreviewed else qs


def referral_inbox(*, actor) -> QuerySet[Referral]:
    """The referrals to the provider user's organisation's services, newest first."""
    permissions.require(actor, permissions.REFERRALS_ANSWER)
    return (
        Referral.objects.filter(permissions.referral_scope(actor))
        .select_related("service", "case", "referred_by", "case__office")
        .order_by("-referred_at", "-id")
    )


def referral_for_provider(*, actor, pk: int) -> Referral:
    """One referral to the organisation, its read audited (it names a person)."""
    referral = scoped_get(referral_inbox(actor=actor), actor=actor, pk=pk)
    access_log(actor=actor, instance=referral, purpose="referral")
    return referral


def services_to_refer(case: SocialCase) -> QuerySet:
    """Public services for the people the case is about, in the case's municipality."""
    qs = public_services().filter(municipality_id=case.municipality_id)
    groups = CATEGORY_GROUPS.get(case.category)
    if groups:
        qs = qs.filter(target_groups__code__in=groups).distinct()
    return qs.order_by("name_ka", "pk")


def team_members(*, actor):
    """The supervisor's team: the active social workers of their area."""
    permissions.require(actor, permissions.CASES_SUPERVISE)
    area = permissions.municipality_scope(actor)
    workers = get_user_model().objects.filter(role=Role.SOCIAL_WORKER, is_active=True)
    if area is not None:
        workers = workers.filter(office__municipalities__in=area).distinct()
    return workers


def team(*, actor) -> list[dict]:
    """The supervisor's team with each worker's qualifications, trainings and certifications
    (those expired or expiring within 60 days marked); a worker sees their own."""
    if permissions.has_perm(actor, permissions.CASES_SUPERVISE):
        workers = team_members(actor=actor)
    else:
        permissions.require(actor, permissions.CASES_WORK)
        workers = get_user_model().objects.filter(pk=actor.pk)
    today = timezone.localdate()
    soon = today + timedelta(days=60)
    rows = []
    for worker in workers.prefetch_related("worker_records").order_by("last_name", "username"):
        records = list(worker.worker_records.all())
        for record in records:
            record.expired = record.expires_on is not None and record.expires_on < today
            record.expiring = (
                not record.expired and record.expires_on is not None and record.expires_on <= soon
            )
        rows.append({"worker": worker, "records": records})
    return rows


def sessions(*, actor) -> QuerySet[SupervisionSession]:
    """The supervisor's sessions, or those a worker took part in."""
    qs = SupervisionSession.objects.prefetch_related("workers", "cases").select_related(
        "supervisor"
    )
    if permissions.has_perm(actor, permissions.CASES_SUPERVISE):
        return qs.filter(supervisor=actor)
    permissions.require(actor, permissions.CASES_WORK)
    return qs.filter(workers=actor)


def subject_access_cases(subject: Subject) -> Section:
    """Subject access: the social work cases about the person (or their households), with
    their timelines, plans, referrals and emergency accesses, and the outreach visits to them."""
    section = Section()
    if subject.person is None:
        return section
    cases = SocialCase.objects.filter(person=subject.person).prefetch_related(
        "entries", "plans__actions", "referrals", "break_glass", "events"
    )
    for case in cases.order_by("opened_at", "id"):
        section.add(case, title=case.number)
        for entry in case.entries.all():
            section.add(entry, exclude=["file"], title=f"{case.number}: {entry.get_kind_display()}")
        for plan in case.plans.all():
            section.add(plan, title=f"{case.number}: {plan._meta.verbose_name}")
            for action in plan.actions.all():
                section.add(action)
        for referral in case.referrals.all():
            section.add(referral, title=f"{case.number}: {referral._meta.verbose_name}")
        for grant in case.break_glass.all():
            section.add(grant, title=f"{case.number}: {grant._meta.verbose_name}")
        for event in case.events.all():
            section.add(event, title=f"{case.number}: {event.what()}")
    for visit in OutreachVisit.objects.filter(person=subject.person).order_by("visited_on", "id"):
        section.add(visit)
    return section


# -- The employment link (Worknet) ---------------------------------------------------------------

# Working age: from 18 to the state old-age pension age, the registry's PENSION_AGE (men 65,
# women 60), so the two never disagree.
ADULT_AGE = 18


def working_age_recipients(*, on: date, municipality_id=None, programme=None) -> QuerySet:
    """The current memberships of living people of working age (`ADULT_AGE` to `PENSION_AGE`
    on `on`) enrolled on `on` in a benefit programme (`programme`, or any): enrolled themselves,
    or members of a household enrolled in a programme that pays the household; and with no open
    job-seeker referral. One query, for one person or a whole municipality."""
    enrolled = Q(starts__lte=on) & (Q(ends__isnull=True) | Q(ends__gte=on))
    if programme is not None:
        enrolled &= Q(programme=programme)
    own = Enrolment.objects.filter(enrolled, person_id=OuterRef("person_id"))
    household = Enrolment.objects.filter(
        enrolled, person__isnull=True, household_id=OuterRef("household_id")
    )
    working_age = Q(person__birth_date__lte=years_before(on, ADULT_AGE)) & (
        Q(
            person__sex=Sex.MALE,
            person__birth_date__gt=years_before(on, PENSION_AGE[Sex.MALE.value]),
        )
        | Q(
            person__sex=Sex.FEMALE,
            person__birth_date__gt=years_before(on, PENSION_AGE[Sex.FEMALE.value]),
        )
    )
    qs = Membership.objects.filter(
        working_age, end_date__isnull=True, person__date_of_death__isnull=True
    )
    if municipality_id is not None:
        qs = qs.filter(household__municipality_id=municipality_id)
    open_referral = JobSeekerReferral.objects.filter(
        person_id=OuterRef("person_id"), status__in=OPEN_REFERRAL
    )
    return qs.filter(Exists(own) | Exists(household)).exclude(Exists(open_referral))


def _employment_scope(actor):
    if not (
        permissions.has_perm(actor, permissions.CASES_WORK)
        or permissions.has_perm(actor, permissions.EMPLOYMENT)
    ):
        raise PermissionDenied(_("Your role does not allow this action."))
    return permissions.scoped(JobSeekerReferral.objects.all(), actor)


def referral_list(*, actor, status: str = "") -> QuerySet[JobSeekerReferral]:
    """The job-seeker referrals of the actor's area: social workers, supervisors, SSA officers
    and administrators."""
    qs = _employment_scope(actor).select_related(
        "person", "municipality", "programme", "referred_by", "case"
    )
    return qs.filter(status=status) if status else qs


def employment_counts(*, actor) -> list[dict]:
    """Per municipality of the actor's area: people referred to Worknet (ever), referrals not
    yet sent, and people placed in a job."""
    rows = (
        _employment_scope(actor)
        .values("municipality_id", "municipality__name_ka", "municipality__name_en")
        .annotate(
            referred=Count("person", distinct=True),
            waiting=Count("pk", filter=Q(status=JobSeekerStatus.REFERRED)),
            placed=Count("person", filter=Q(status=JobSeekerStatus.PLACED), distinct=True),
        )
        .order_by("municipality__name_ka")
    )
    return [
        {
            "municipality_id": row["municipality_id"],
            "municipality": in_language(row["municipality__name_ka"], row["municipality__name_en"]),
            "referred": row["referred"],
            "waiting": row["waiting"],
            "placed": row["placed"],
        }
        for row in rows
    ]
