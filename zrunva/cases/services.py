"""Writes of social work cases: opening one from an intake, moving it through its stages (each
move allowed to the roles `TRANSITIONS` names), its timeline, care plans, who works on it and
who else may read it, emergency access to a sensitive case, transfers between offices."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.applications.models import Enrolment
from zrunva.cases import selectors, worknet
from zrunva.cases.choices import (
    CATEGORY_GROUPS,
    OPEN_REFERRAL,
    OUTCOMES,
    SENSITIVE_CATEGORIES,
    ActionStatus,
    Category,
    EntryKind,
    EventKind,
    JobSeekerStatus,
    OutreachList,
    ReferralStatus,
    Risk,
    Source,
    Specialisation,
    Stage,
    TransferStatus,
    VisitOutcome,
)
from zrunva.cases.models import (
    BreakGlass,
    CarePlan,
    CaseAssessment,
    Colleague,
    Entry,
    JobSeekerReferral,
    OutreachVisit,
    PlanAction,
    Referral,
    SocialCase,
    SupervisionSession,
    Transfer,
    WorkerRecord,
)
from zrunva.core.casework import case_assign, case_event, case_lock, new_number, staff_name
from zrunva.core.trail import acting_as, bulk_run_log
from zrunva.notifications.models import Channel
from zrunva.notifications.services import message_queue
from zrunva.questionnaires import services as questionnaires
from zrunva.registry import selectors as registry

WORK, SUPERVISE = permissions.CASES_WORK, permissions.CASES_SUPERVISE

# Which moves between stages a role makes: the worker takes a case forward to its review; the
# supervisor reviews (back to the plan or its implementation), closes and reopens, and may make
# any move a worker makes.
FORWARD = {
    (Stage.INTAKE, Stage.ASSESSMENT),
    (Stage.ASSESSMENT, Stage.CARE_PLAN),
    (Stage.CARE_PLAN, Stage.IMPLEMENTATION),
    (Stage.IMPLEMENTATION, Stage.REVIEW),
}
REVIEW = {
    (Stage.REVIEW, Stage.CARE_PLAN),
    (Stage.REVIEW, Stage.IMPLEMENTATION),
}
TRANSITIONS = {
    **dict.fromkeys(FORWARD, frozenset({Role.SOCIAL_WORKER, Role.SUPERVISOR})),
    **dict.fromkeys(REVIEW, frozenset({Role.SUPERVISOR})),
}
# Contacts that count as the first contact with the person.
CONTACTS = (EntryKind.HOME_VISIT, EntryKind.OFFICE_VISIT, EntryKind.PHONE)


def _works_on(actor, case: SocialCase) -> None:
    """The assigned worker, or a supervisor of the case's area."""
    if case.assigned_to_id == actor.pk and permissions.has_perm(actor, WORK):
        return
    if permissions.has_perm(actor, SUPERVISE) and permissions.in_scope(actor, case.municipality_id):
        return
    raise PermissionDenied(_("Only the case's worker or a supervisor of its area does this."))


def _supervises(actor, case: SocialCase) -> None:
    if not (
        permissions.has_perm(actor, SUPERVISE) and permissions.in_scope(actor, case.municipality_id)
    ):
        raise PermissionDenied(_("Only a supervisor of the case's area does this."))


@transaction.atomic
def case_open(
    *,
    actor,
    person,
    category: str,
    specialisation: str,
    source: str,
    risk: str,
    intake: str,
    sensitive: bool = False,
    household=None,
) -> SocialCase:
    """A new case from an intake, for a person in the actor's area (found through the registry,
    so the read is scoped and audited): held by the actor's office, the first contact due
    within the hours its risk allows; a worker who opens it has it, a supervisor assigns it."""
    permissions.require(actor, WORK)
    if actor.office_id is None:
        raise PermissionDenied(_("Only the staff of an office open cases."))
    person = registry.person_get(actor=actor, pk=person.pk, purpose="case")
    membership = (
        person.memberships.filter(end_date__isnull=True).select_related("household").first()
    )
    household = household or (membership.household if membership else None)
    if household is None:
        raise ValidationError({"person": _("This person belongs to no household in the registry.")})
    now = timezone.now()
    case = SocialCase(
        number=new_number(SocialCase.PREFIX),
        person=person,
        household=household,
        personal_number=person.personal_number,
        first_name=person.first_name,
        last_name=person.last_name,
        category=category,
        specialisation=specialisation,
        source=source,
        risk=risk,
        intake=intake,
        sensitive=sensitive or category in SENSITIVE_CATEGORIES,
        office_id=actor.office_id,
        municipality_id=household.municipality_id,
        first_contact_due=now + timedelta(hours=settings.CASE_FIRST_CONTACT_HOURS[risk]),
        entered_by=actor,
        assigned_to=None if permissions.has_perm(actor, SUPERVISE) else actor,
    )
    case.full_clean()
    with acting_as(actor):
        case.save()
        case_event(case, actor=actor, kind=EventKind.OPENED, stage=Stage.INTAKE)
    return case


@transaction.atomic
def case_move(*, actor, case: SocialCase, to: str, note: str = "") -> SocialCase:
    """Move a case to another stage, if the actor's role makes that move."""
    case = case_lock(case)
    _works_on(actor, case)
    if to == Stage.CLOSED:
        raise ValidationError({"stage": _("Close a case with its outcome.")})
    roles = TRANSITIONS.get((case.stage, to))
    if roles is None:
        raise ValidationError(
            {
                "stage": _("A case does not go from %(from)s to %(to)s.")
                % {"from": Stage(case.stage).label, "to": Stage(to).label}
            }
        )
    if actor.role not in roles:
        raise PermissionDenied(_("Your role does not make this move."))
    if to == Stage.IMPLEMENTATION and not case.plans.exists():
        raise ValidationError({"stage": _("Write the care plan before carrying it out.")})
    case.stage = to
    with acting_as(actor):
        case.save(update_fields=["stage"])
        case_event(case, actor=actor, kind=EventKind.STAGE, stage=to, note=note)
    return case


@transaction.atomic
def case_close(*, actor, case: SocialCase, outcome: str, note: str) -> SocialCase:
    """Close a case (a supervisor, from any stage) with its outcome and why."""
    case = case_lock(case)
    _supervises(actor, case)
    if not case.is_open:
        raise ValidationError(_("This case is closed already."))
    if not note.strip():
        raise ValidationError({"closing_note": _("Say why the case closes.")})
    case.stage, case.outcome, case.closing_note = Stage.CLOSED, outcome, note.strip()
    case.closed_at = timezone.now()
    case.full_clean()
    with acting_as(actor):
        case.save(update_fields=["stage", "outcome", "closing_note", "closed_at"])
        case_event(case, actor=actor, kind=EventKind.CLOSED, stage=Stage.CLOSED, note=note)
    return case


@transaction.atomic
def case_reopen(*, actor, case: SocialCase, note: str) -> SocialCase:
    case = case_lock(case)
    _supervises(actor, case)
    if case.is_open:
        raise ValidationError(_("This case is open."))
    case.stage, case.closed_at, case.outcome = Stage.ASSESSMENT, None, ""
    with acting_as(actor):
        case.save(update_fields=["stage", "closed_at", "outcome"])
        case_event(case, actor=actor, kind=EventKind.REOPENED, stage=Stage.ASSESSMENT, note=note)
    return case


@transaction.atomic
def entry_add(
    *, actor, case: SocialCase, kind: str, happened_on, note: str = "", file=None
) -> Entry:
    """Add to the case's timeline: a visit, a call, a note, a document, on the day it happened
    (not before the case opened, not in the future). The first visit or call is the case's
    first contact."""
    case = case_lock(case)
    _works_on(actor, case)
    opened = timezone.localtime(case.opened_at).date()
    if happened_on < opened:
        raise ValidationError(
            {
                "happened_on": _("The case opened on %(day)s: nothing on it happened before.")
                % {"day": opened.isoformat()}
            }
        )
    if happened_on > timezone.localdate():
        raise ValidationError({"happened_on": _("This date is in the future.")})
    if kind == EntryKind.DOCUMENT and not file:
        raise ValidationError({"file": _("Attach the document.")})
    entry = Entry(case=case, kind=kind, happened_on=happened_on, note=note, author=actor)
    if file:
        entry.file = file
    entry.full_clean()
    with acting_as(actor):
        entry.save()
        if kind in CONTACTS and case.first_contact_at is None:
            case.first_contact_at = timezone.now()
            case.save(update_fields=["first_contact_at"])
            case_event(case, actor=actor, kind=EventKind.FIRST_CONTACT)
    return entry


@transaction.atomic
def plan_write(*, actor, case: SocialCase, goals: str, review_on, actions: list[dict]) -> CarePlan:
    """A new care plan for the case: its goals, its review date and its actions (each `text`,
    `responsible`, `due`, optionally a catalogue `service`); the case's next review is the
    plan's."""
    case = case_lock(case)
    _works_on(actor, case)
    today = timezone.localdate()
    errors = {}
    if review_on <= today:
        errors["review_on"] = _("The review is after today.")
    if not actions:
        errors["actions"] = _("A care plan has at least one action.")
    for n, action in enumerate(actions, start=1):
        if action["due"] < today:
            errors[f"actions.{n}.due"] = _("Action %(n)d: its date has passed.") % {"n": n}
    if errors:
        raise ValidationError(errors)
    plan = CarePlan(case=case, goals=goals, review_on=review_on, written_by=actor)
    plan.full_clean()
    with acting_as(actor):
        plan.save()
        for action in actions:
            row = PlanAction(plan=plan, status=ActionStatus.OPEN, **action)
            row.full_clean()
            row.save()
        case.next_review = review_on
        case.save(update_fields=["next_review"])
        case_event(case, actor=actor, kind=EventKind.PLAN)
    return plan


@transaction.atomic
def action_done(*, actor, action: PlanAction, done_on) -> PlanAction:
    case = action.plan.case
    _works_on(actor, case)
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("This date is in the future.")})
    action.status, action.done_on = ActionStatus.DONE, done_on
    with acting_as(actor):
        action.save(update_fields=["status", "done_on"])
    return action


def _colleagues_in_office(case: SocialCase, user) -> bool:
    return (
        permissions.has_perm(user, WORK)
        and user.is_active
        and user.office_id is not None
        and permissions.in_scope(user, case.municipality_id)
    )


@transaction.atomic
def case_give(*, actor, case: SocialCase, to) -> SocialCase:
    """A supervisor gives the case to a worker of its area (reassigning keeps the history)."""
    case = case_lock(case)
    _supervises(actor, case)
    if not _colleagues_in_office(case, to):
        raise ValidationError({"to": _("Give the case to a social worker of its area.")})
    return case_assign(case, actor=actor, to=to, kind=EventKind.ASSIGNED)


@transaction.atomic
def colleague_name(*, actor, case: SocialCase, user) -> Colleague:
    """Name a colleague who may read a sensitive case."""
    case = case_lock(case)
    _works_on(actor, case)
    if not permissions.has_perm(user, WORK):
        raise ValidationError({"user": _("Name a social worker or a supervisor.")})
    with acting_as(actor):
        named, _created = Colleague.objects.get_or_create(
            case=case, user=user, defaults={"named_by": actor}
        )
        case_event(case, actor=actor, kind=EventKind.COLLEAGUE, note=staff_name(user))
    return named


@transaction.atomic
def break_glass(*, actor, case: SocialCase, reason: str, now: datetime | None = None) -> BreakGlass:
    """Emergency access to one sensitive case the actor may not otherwise read: with a reason,
    for BREAK_GLASS_HOURS; the DPO and the case's area supervisors are told through the
    outbox, and the DPO reviews it."""
    permissions.require(actor, WORK)
    if not reason.strip() or len(reason.strip()) < 20:
        raise ValidationError(
            {"reason": _("Say why, in a sentence or more (20 characters at least).")}
        )
    now = now or timezone.now()
    grant = BreakGlass(
        case=case,
        user=actor,
        reason=reason.strip(),
        expires_at=now + timedelta(hours=settings.BREAK_GLASS_HOURS),
    )
    grant.full_clean()
    with acting_as(actor):
        grant.save()
        case_event(case, actor=actor, kind=EventKind.BREAK_GLASS, note=reason.strip())
    _tell_of_break_glass(grant)
    return grant


def _tell_of_break_glass(grant: BreakGlass) -> None:
    case = grant.case
    to = [
        u
        for u in get_user_model()
        .objects.filter(is_active=True, role__in=[Role.DPO, Role.SUPERVISOR])
        .exclude(email="")
        if u.role == Role.DPO or permissions.in_scope(u, case.municipality_id)
    ]
    for user in to:
        message_queue(
            channel=Channel.EMAIL,
            to=user.email,
            language="ka",
            subject=_("Emergency access to case %(number)s") % {"number": case.number},
            body=_(
                "%(who)s opened the sensitive case %(number)s by emergency access until "
                "%(until)s. Reason: %(reason)s"
            )
            % {
                "who": staff_name(grant.user),
                "number": case.number,
                "until": timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M"),
                "reason": grant.reason,
            },
            reference=case.number,
        )


@transaction.atomic
def break_glass_review(*, actor, grant: BreakGlass, note: str) -> BreakGlass:
    permissions.require(actor, permissions.BREAK_GLASS_REVIEW)
    grant.reviewed_by, grant.reviewed_at, grant.review_note = actor, timezone.now(), note
    with acting_as(actor):
        grant.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    return grant


@transaction.atomic
def transfer_ask(*, actor, case: SocialCase, to_office, reason: str) -> Transfer:
    """Ask another office to take the case (the family moved)."""
    case = case_lock(case)
    _works_on(actor, case)
    if to_office.pk == case.office_id:
        raise ValidationError({"to_office": _("The case is this office's already.")})
    transfer = Transfer(
        case=case, from_office_id=case.office_id, to_office=to_office, asked_by=actor, reason=reason
    )
    transfer.full_clean(validate_constraints=False)
    with acting_as(actor):
        transfer.save()
        case_event(case, actor=actor, kind=EventKind.TRANSFER, note=str(to_office))
    return transfer


@transaction.atomic
def transfer_decide(*, actor, transfer: Transfer, accept: bool, reason: str = "") -> Transfer:
    """The receiving office's supervisor accepts the case (it becomes theirs, unassigned) or
    returns it with a reason."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.status != TransferStatus.ASKED:
        raise ValidationError(_("This transfer is decided already."))
    if not (permissions.has_perm(actor, SUPERVISE) and actor.office_id == transfer.to_office_id):
        raise PermissionDenied(_("Only a supervisor of the receiving office decides."))
    if not accept and not reason.strip():
        raise ValidationError({"reason": _("Say why the case goes back.")})
    case = case_lock(transfer.case)
    transfer.status = TransferStatus.ACCEPTED if accept else TransferStatus.RETURNED
    transfer.decided_by, transfer.decided_at = actor, timezone.now()
    if reason:
        transfer.reason = reason
    with acting_as(actor):
        transfer.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        if accept:
            municipality = (
                transfer.to_office.municipalities.filter(pk=case.household.municipality_id).first()
                if case.household
                else None
            )
            case.office_id = transfer.to_office_id
            if municipality is not None:
                case.municipality = municipality
            else:
                case.municipality = transfer.to_office.municipalities.order_by("pk").first()
            case.assigned_to = None
            case.save(update_fields=["office", "municipality", "assigned_to"])
            case_event(case, actor=actor, kind=EventKind.TRANSFER_ACCEPTED)
        else:
            case_event(case, actor=actor, kind=EventKind.TRANSFER_RETURNED, note=reason)
    return transfer


@transaction.atomic
def referral_send(*, actor, case: SocialCase, service, note: str, waiting_list: bool = False):
    """Refer the case to a public service of the catalogue that is for the case's people: to a
    place, or to its waiting list when it has none (the worker is told, and chooses)."""
    case = case_lock(case)
    _works_on(actor, case)
    if not case.is_open:
        raise ValidationError(_("This case is closed."))
    if not service.published:
        raise ValidationError({"service": _("Choose a service of the public catalogue.")})
    groups = CATEGORY_GROUPS.get(case.category)
    if groups and not service.target_groups.filter(code__in=groups).exists():
        raise ValidationError(
            {"service": _("This service is not for the people this case is about: choose another.")}
        )
    full = service.capacity is not None and not service.has_places
    if full and not waiting_list:
        raise ValidationError(
            {
                "waiting_list": _(
                    "This service has no place now: refer to its waiting list, or choose another."
                )
            }
        )
    referral = Referral(case=case, service=service, note=note, waiting_list=full, referred_by=actor)
    referral.full_clean(validate_constraints=False)
    if Referral.objects.filter(
        case=case, service=service, status__in=[ReferralStatus.SENT, ReferralStatus.ACCEPTED]
    ).exists():
        raise ValidationError({"service": _("The case is referred to this service already.")})
    with acting_as(actor):
        referral.save()
        case_event(case, actor=actor, kind=EventKind.REFERRAL, note=str(service))
    return referral


ANSWERS = {
    "accept": (ReferralStatus.SENT, ReferralStatus.ACCEPTED),
    "decline": (ReferralStatus.SENT, ReferralStatus.DECLINED),
    "complete": (ReferralStatus.ACCEPTED, ReferralStatus.COMPLETED),
}


@transaction.atomic
def referral_answer(*, actor, referral: Referral, answer: str, text: str = "") -> Referral:
    """The provider's staff accept a referral, decline it with a reason, or complete it with
    feedback; the case's log shows each answer."""
    permissions.require(actor, permissions.REFERRALS_ANSWER)
    referral = (
        Referral.objects.select_for_update()
        .filter(permissions.referral_scope(actor))
        .get(pk=referral.pk)
    )
    if answer not in ANSWERS:
        raise ValidationError({"answer": _("Accept, decline or complete.")})
    before, after = ANSWERS[answer]
    if referral.status != before:
        raise ValidationError(
            _("This referral is %(status)s: it cannot be so answered.")
            % {"status": referral.get_status_display()}
        )
    if answer in ("decline", "complete") and not text.strip():
        raise ValidationError(
            {"text": _("Say why.") if answer == "decline" else _("Say how it went.")}
        )
    referral.status, referral.answer = after, text.strip()
    referral.answered_by, referral.answered_at = actor, timezone.now()
    with acting_as(actor):
        referral.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        case_event(
            referral.case,
            actor=actor,
            kind=EventKind.REFERRAL_ANSWERED,
            note=f"{referral.service}: {referral.get_status_display()}. {referral.answer}".strip(),
        )
    return referral


@transaction.atomic
def assessment_save(*, actor, case: SocialCase, version, given: dict, submit: bool, draft=None):
    """Assess the case's person with a published questionnaire form: the answers are checked
    by the questionnaire's own rule and kept with the person, the family and the municipality
    (a draft to finish later, or submitted), and linked to the case."""
    case = case_lock(case)
    _works_on(actor, case)
    if not case.is_open:
        raise ValidationError(_("This case is closed."))
    response = questionnaires.response_save(
        actor=actor,
        version=version,
        given=given,
        submit=submit,
        response=draft,
        person=case.person,
        household=case.household,
        municipality=case.municipality,
        find_person=questionnaires.person_finder(actor),
    )
    with acting_as(actor):
        linked, created = CaseAssessment.objects.get_or_create(case=case, response=response)
        if created:
            case_event(case, actor=actor, kind=EventKind.ASSESSED, note=str(version))
    return linked


@transaction.atomic
def session_record(
    *, actor, kind: str, held_on, workers, cases=(), notes: str = "", agreed: str = ""
) -> SupervisionSession:
    """A supervision session with workers of the supervisor's team, about cases of the area."""
    team = set(selectors.team_members(actor=actor).values_list("pk", flat=True))
    errors = {}
    if held_on > timezone.localdate():
        errors["held_on"] = _("This date is in the future.")
    if not workers:
        errors["workers"] = _("Name the workers in the session.")
    elif any(w.pk not in team for w in workers):
        errors["workers"] = _("Only workers of your team.")
    if kind == "individual" and len(workers) > 1:
        errors["workers"] = _("An individual session is with one worker.")
    readable = selectors.case_list(actor=actor).filter(pk__in=[c.pk for c in cases])
    if readable.count() != len({c.pk for c in cases}):
        errors["cases"] = _("Only cases of your area.")
    if errors:
        raise ValidationError(errors)
    session = SupervisionSession(
        supervisor=actor, kind=kind, held_on=held_on, notes=notes, agreed=agreed
    )
    session.full_clean()
    with acting_as(actor):
        session.save()
        session.workers.set(workers)
        session.cases.set(cases)
    return session


@transaction.atomic
def worker_record_add(*, actor, worker, **fields) -> WorkerRecord:
    """A qualification, training or certification of a worker of the supervisor's team."""
    if not selectors.team_members(actor=actor).filter(pk=worker.pk).exists():
        raise ValidationError({"worker": _("Only workers of your team.")})
    record = WorkerRecord(worker=worker, recorded_by=actor, **fields)
    record.full_clean()
    with acting_as(actor):
        record.save()
    return record


# The case an outreach visit opens when the person needs help, by the list they were found on.
OUTREACH_CASE = {
    OutreachList.DISABILITY: (Category.DISABILITY, Specialisation.DISABILITY),
    OutreachList.LOW_SCORE: (Category.OTHER, Specialisation.GENERAL),
    OutreachList.ALONE: (Category.ELDERLY, Specialisation.ELDERLY),
}


@transaction.atomic
def outreach_visit_record(
    *,
    actor,
    person,
    list: str,
    visited_on,
    outcome: str,
    note: str = "",
    risk: str = Risk.MEDIUM,
) -> OutreachVisit:
    """What came of a visit to someone on an outreach list, by a worker of the person's area
    (the person read through the registry: scoped and audited). The visit is dated on or
    before today; "needs help" opens a case from the visit (`case_open`, source: outreach),
    the note its intake. The person then drops off that list for `OUTREACH_VISIT_DAYS`."""
    permissions.require(actor, WORK)
    person = registry.person_get(actor=actor, pk=person.pk, purpose="outreach")
    if visited_on and visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("The visit cannot be dated in the future.")})
    if outcome == VisitOutcome.NEEDS_HELP and not note.strip():
        raise ValidationError({"note": _("Say what help is needed: it opens the case.")})
    visit = OutreachVisit(
        person=person,
        municipality_id=person.municipality_id,
        list=list,
        visited_on=visited_on,
        outcome=outcome,
        note=note,
        visited_by=actor,
    )
    visit.full_clean(exclude=["case"])
    if outcome == VisitOutcome.NEEDS_HELP:
        category, specialisation = OUTREACH_CASE[list]
        visit.case = case_open(
            actor=actor,
            person=person,
            category=category,
            specialisation=specialisation,
            source=Source.OUTREACH,
            risk=risk,
            intake=note,
        )
    with acting_as(actor):
        visit.save()
    return visit


# -- The employment link (Worknet) ---------------------------------------------------------------


def _home_municipality_id(person) -> int | None:
    membership = person.memberships.filter(end_date__isnull=True).only("household").first()
    return membership.household.municipality_id if membership else None


@transaction.atomic
def jobseeker_refer(*, actor, person, case: SocialCase | None = None) -> JobSeekerReferral:
    """Refer one person to Worknet, from their case or from the registry: a social worker or
    supervisor, for a person of their area who is of working age (18 to the pension age) and a
    benefit recipient today (`selectors.working_age_recipients`), with no open referral."""
    permissions.require(actor, WORK)
    if case is not None:
        _works_on(actor, case)
        person = case.person
    municipality_id = _home_municipality_id(person)
    if municipality_id is None:
        raise ValidationError({"person": _("This person belongs to no household in the registry.")})
    permissions.require_in_scope(actor, municipality_id)
    if JobSeekerReferral.objects.filter(person=person, status__in=OPEN_REFERRAL).exists():
        raise ValidationError(_("This person already has an open referral to Worknet."))
    today = timezone.localdate()
    if not (
        selectors.working_age_recipients(on=today, municipality_id=municipality_id)
        .filter(person_id=person.pk)
        .exists()
    ):
        raise ValidationError(
            _(
                "Only a benefit recipient of working age (18 to the pension age: 65 for men, "
                "60 for women) is referred to Worknet."
            )
        )
    programme_id = (
        Enrolment.objects.filter(starts__lte=today)
        .filter(Q(ends__isnull=True) | Q(ends__gte=today))
        .filter(
            Q(person=person)
            | Q(person__isnull=True, household__memberships__person=person)
            & Q(household__memberships__end_date__isnull=True)
        )
        .order_by("starts", "pk")
        .values_list("programme_id", flat=True)
        .first()
    )
    referral = JobSeekerReferral(
        person=person,
        municipality_id=municipality_id,
        programme_id=programme_id,
        case=case,
        referred_by=actor,
    )
    with acting_as(actor):
        referral.save()
    return referral


@transaction.atomic
def jobseeker_refer_bulk(*, actor, municipality, programme) -> int:
    """Refer to Worknet every working-age recipient of a programme in a municipality not yet
    referred (an SSA officer, in their area): one query finds them, the referrals are written
    in batches; running it again refers only those not referred since. How many were
    referred."""
    permissions.require(actor, permissions.EMPLOYMENT)
    permissions.require_in_scope(actor, municipality.pk)
    people = (
        selectors.working_age_recipients(
            on=timezone.localdate(), municipality_id=municipality.pk, programme=programme
        )
        .values_list("person_id", flat=True)
        .distinct()
    )
    now = timezone.now()
    JobSeekerReferral.objects.bulk_create(
        (
            JobSeekerReferral(
                person_id=pk,
                municipality=municipality,
                programme=programme,
                referred_by=actor,
                referred_at=now,
            )
            for pk in people.iterator(chunk_size=2000)
        ),
        batch_size=1000,
        ignore_conflicts=True,  # a referral made meanwhile by a worker stands
    )
    # Counted after: bulk_create returns the rows it skipped too.
    count = JobSeekerReferral.objects.filter(
        referred_by=actor, referred_at=now, municipality=municipality
    ).count()
    bulk_run_log(
        actor=actor,
        model=JobSeekerReferral,
        job=f"worknet_refer {municipality.code} {programme.code}",
        counts={"referred": count},
    )
    return count


@transaction.atomic
def worknet_export(*, actor, out) -> tuple[str, int]:
    """Write the referrals of the actor's area not yet sent to Worknet to `out` (the exchange
    file, docs/worknet-exchange.md) and mark them sent in this file: SSA officers, supervisors
    and administrators. The file's batch id and its number of rows."""
    permissions.require(actor, permissions.EMPLOYMENT)
    waiting = permissions.scoped(
        JobSeekerReferral.objects.filter(status=JobSeekerStatus.REFERRED), actor
    )
    ids = list(waiting.select_for_update().order_by("pk").values_list("pk", flat=True))
    if not ids:
        raise ValidationError(_("Every referral of your area was sent already."))
    now = timezone.now()
    batch = f"WN-{timezone.localtime(now):%Y%m%d-%H%M%S}-{actor.pk}"
    JobSeekerReferral.objects.filter(pk__in=ids).update(
        status=JobSeekerStatus.SENT, sent_in=batch, sent_at=now
    )
    count = worknet.write(
        JobSeekerReferral.objects.filter(pk__in=ids)
        .select_related("person", "municipality", "programme")
        .order_by("pk")
        .iterator(chunk_size=2000),
        out,
    )
    bulk_run_log(actor=actor, model=JobSeekerReferral, job=batch, counts={"sent": count})
    return batch, count


@transaction.atomic
def worknet_import(*, actor, data: bytes) -> dict[str, int]:
    """Apply Worknet's answer (the exchange file with statuses and outcome dates): each row
    gives the outcome of a referral sent, matched by its id and the person's personal number.
    Every row is checked first (a well-formed personal number, a referral sent from the
    actor's area, a known status code, an outcome date not in the future); one bad row refuses
    the whole file, with every bad row in the message, and nothing is applied. How many
    referrals took each status."""
    permissions.require(actor, permissions.EMPLOYMENT)
    rows = worknet.parse(data)
    sent = permissions.scoped(
        JobSeekerReferral.objects.exclude(status=JobSeekerStatus.REFERRED), actor
    ).select_for_update()
    ids = [int(r.referral_id) for r in rows if r.referral_id.isascii() and r.referral_id.isdigit()]
    known = {
        pk: worknet.Known(
            personal_number=number,
            status=status,
            sent_on=timezone.localtime(sent_at).date(),
            outcome_on=outcome_on,
        )
        for pk, number, status, sent_at, outcome_on in sent.filter(pk__in=ids).values_list(
            "pk", "person__personal_number", "status", "sent_at", "outcome_on"
        )
    }
    problems = worknet.check(rows, known, today=timezone.localdate())
    if problems:
        raise ValidationError(
            {
                "file": [
                    _("Row %(row)d (%(personal_number)s): %(problem)s")
                    % {**p, "personal_number": p["personal_number"] or "—"}
                    for p in problems
                ]
            }
        )
    changes: dict[tuple[str, str], list[int]] = {}
    for row in rows:
        referral = known[int(row.referral_id)]
        if row.status == JobSeekerStatus.SENT:
            continue
        day = row.outcome_date
        if referral.status == row.status and str(referral.outcome_on) == day:
            continue
        changes.setdefault((row.status, day), []).append(int(row.referral_id))
    counts = dict.fromkeys(OUTCOMES, 0)
    for (status, day), pks in changes.items():
        JobSeekerReferral.objects.filter(pk__in=pks).update(status=status, outcome_on=day)
        counts[status] += len(pks)
    counts = {str(k): v for k, v in counts.items()}
    bulk_run_log(actor=actor, model=JobSeekerReferral, job="worknet_import", counts=counts)
    return counts
