from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import polars as pl
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, TextField, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.applications.choices import FINAL, EnrolmentEndReason, EventKind, Status
from zrunva.applications.models import (
    Application,
    ApplicationEvent,
    BulkEnrolment,
    Enrolment,
    Workflow,
)
from zrunva.assessment.models import Assessment
from zrunva.assessment.selectors import latest_assessment
from zrunva.audit.subject_access import Section, Subject
from zrunva.core import casework, extensions
from zrunva.core.bulk import read_frame
from zrunva.core.casework import case_get, normalised_number
from zrunva.core.money import AMOUNT
from zrunva.core.trail import access_log, scoped_get
from zrunva.programmes.choices import DecisionStatus
from zrunva.programmes.models import Decision, Run
from zrunva.programmes.runs import run_changes
from zrunva.registry import selectors as registry_selectors
from zrunva.registry.choices import Relationship
from zrunva.registry.models import Membership


def workflow_of(programme) -> Workflow:
    """The programme's workflow; a programme without one goes straight to the decision."""
    workflow = Workflow.objects.filter(programme=programme).first()
    return workflow or Workflow(programme=programme, home_visit=False, source="")


def application_list(*, actor) -> QuerySet[Application]:
    """Applications the actor processes: in their area, and of the programmes their office
    owns (the state's for the SSA, their municipality's for a municipal officer)."""
    permissions.require(actor, permissions.APPLICATIONS_PROCESS)
    qs = Application.objects.select_related("programme", "municipality", "assigned_to")
    qs = permissions.processed(permissions.scoped(qs, actor), actor)
    # A programme whose rules read health data says something about each applicant's health.
    return permissions.health_programmes_hidden(qs, actor)


def application_queue(
    *,
    actor,
    status: str = "",
    overdue: bool = False,
    duplicates: bool = False,
    assigned: str = "",
    municipality_id: int | None = None,
) -> QuerySet[Application]:
    """The open applications to work on, the most urgent first; overdue ones are those whose
    next stage was due before today. `assigned`: "me", "none" or "" (any)."""
    qs = application_list(actor=actor).exclude(status__in=FINAL)
    if municipality_id is not None:
        qs = qs.filter(municipality_id=municipality_id)
    if assigned == "me":
        qs = qs.filter(assigned_to=actor)
    elif assigned == "none":
        qs = qs.filter(assigned_to=None)
    if status:
        qs = qs.filter(status=status)
    # The flag only where the actor processes the earlier application too (`duplicate_visible`).
    seen = application_list(actor=actor).filter(pk=OuterRef("duplicate_of_id"))
    qs = qs.annotate(duplicate_seen=Exists(seen))
    if duplicates:
        qs = qs.filter(duplicate_seen=True)
    if overdue:
        qs = applications_overdue(qs)
    return qs.order_by("due_date", "id")


def applications_overdue(
    qs: QuerySet[Application] | None = None, *, today: date | None = None
) -> QuerySet[Application]:
    """The open applications of `qs` (default: all of them) whose next stage was due before
    `today` (default: today): the queue's "overdue" and the metric's."""
    qs = Application.objects.all() if qs is None else qs
    return casework.overdue(qs.exclude(status__in=FINAL), today=today or timezone.localdate())


def application_get(*, actor, pk: int) -> Application:
    """An application the actor processes (else 404), with its events; the read is audited."""
    application = case_get(
        application_list(actor=actor)
        .select_related("household", "entered_by", "assessment")
        .prefetch_related("events__assessment"),
        actor=actor,
        pk=pk,
    )
    # What the actor is shown of the flag (`duplicate_visible`), beside the field, which stays as
    # stored: a save of this instance must never erase the flag.
    application.duplicate_of_shown_id = (
        application.duplicate_of_id
        if duplicate_visible(actor=actor, application=application)
        else None
    )
    return application


def visit_day(application: Application) -> date:
    """The day the home visit was scheduled for; for an application scheduled before the day
    was asked for, the day it was scheduled (it is still in that stage when assessed)."""
    return application.visit_date or application.stage_since


def visit_assessments(application: Application) -> QuerySet[Assessment]:
    """The assessments of the application's household that the "assessed" step may rest on:
    from the scheduled home visit's day on, latest first."""
    if application.household_id is None:
        return Assessment.objects.none()
    return latest_assessment(application.household_id).filter(
        visit_date__gte=visit_day(application)
    )


def duplicate_visible(*, actor, application: Application) -> bool:
    """Whether the actor is shown that an application is flagged as a possible duplicate: only
    if they process the earlier application too. The flag says what the registry holds about
    the person (an open application, an enrolment: with the disability package, a disability);
    shown outside the earlier application's area, it told an officer this about any personal
    number they typed into a walk-in application (issue 9, finding 1). The national back
    office, which sees both, resolves those."""
    return (
        application.duplicate_of_id is not None
        and permissions.has_perm(actor, permissions.APPLICATIONS_PROCESS)
        and application_list(actor=actor).filter(pk=application.duplicate_of_id).exists()
    )


def registration_proposals(*, actor, application: Application) -> list[Membership]:
    """The registry's households the applicant may already belong to, for the officer who
    registers the application (`registry.household_matches`: the personal number first, then
    the name and birth date; in the officer's area, the lookup audited). None once the
    application has its household."""
    if application.household_id is not None:
        return []
    return registry_selectors.household_matches(
        actor=actor,
        personal_number=application.personal_number,
        first_name=application.first_name,
        last_name=application.last_name,
        birth_date=application.birth_date,
        purpose=f"register application {application.number}",
    )


def duplicate_flag(*, actor, application: Application) -> dict | None:
    """What the back office is shown of a flagged application (`duplicate_of`): the earlier
    application's status, and its number and page when the actor processes it too. Only for an
    application read through `application_get`, whose read is audited; never for the portal."""
    if not duplicate_visible(actor=actor, application=application):
        return None
    earlier = Application.objects.get(pk=application.duplicate_of_id)
    return {
        "earlier": earlier,
        "status": Status(earlier.status).label,
        "enrolled": earlier.status == Status.ENROLLED,
    }


DELAY_SCHEMA = {
    "programme": pl.String,
    "municipality": pl.String,
    "month": pl.String,
    "decided": pl.UInt32,
    "decision_median": pl.Float64,
    "decision_p90": pl.Float64,
    "enrolled": pl.UInt32,
    "enrolment_median": pl.Float64,
    "enrolment_p90": pl.Float64,
    "paid": pl.UInt32,
    "payment_median": pl.Float64,
    "payment_p90": pl.Float64,
}
# The `first_payments` extension (registered by payments under the key "applications") gives,
# for application ids, when the money first reached the beneficiary: a frame {id, paid}.
FIRST_PAYMENT_SCHEMA = {"id": pl.Int64, "paid": pl.Datetime("us", "UTC")}


def _days_since_submission(column: str) -> pl.Expr:
    return (pl.col(column) - pl.col("at")).dt.total_seconds() / 86400


def delay_indicators(*, actor, since: date | None = None) -> pl.DataFrame:
    """Days from submission to decision (granted or refused), to enrolment and to the first
    payment the bank confirmed (from the payments app, through the `first_payments` extension),
    per programme, municipality and month of submission: how many, the median and the 90th
    percentile. Over the applications the actor processes; an analyst sees the whole country's
    (these are counts and days, not people)."""
    permissions.require(actor, permissions.DELAYS_VIEW)
    if permissions.has_perm(actor, permissions.STATISTICS_NATIONAL):
        applications = Application.objects.all()
    else:
        applications = application_list(actor=actor)
    if since is not None:
        applications = applications.filter(submitted_at__date__gte=since)
    rows = list(
        applications.values_list("id", "programme__code", "municipality__code", "submitted_at")
    )
    if not rows:
        return pl.DataFrame(schema=DELAY_SCHEMA)
    frame = pl.DataFrame(
        rows,
        schema={
            "id": pl.Int64,
            "programme": pl.String,
            "municipality": pl.String,
            "at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )
    events = pl.DataFrame(
        list(
            ApplicationEvent.objects.filter(
                application_id__in=[r[0] for r in rows],
                kind=EventKind.STATUS,
                to_status__in=[Status.DECIDED, Status.REJECTED, Status.ENROLLED],
            ).values_list("application_id", "to_status", "at")
        ),
        schema={"id": pl.Int64, "to": pl.String, "when": pl.Datetime("us", "UTC")},
        orient="row",
    )
    decided = (
        events.filter(pl.col("to") != Status.ENROLLED)
        .group_by("id")
        .agg(decided=pl.col("when").min())
    )
    enrolled = (
        events.filter(pl.col("to") == Status.ENROLLED)
        .group_by("id")
        .agg(enrolled=pl.col("when").min())
    )
    first_payments = extensions.value("first_payments", "applications")
    paid = (
        first_payments([r[0] for r in rows])
        if first_payments is not None
        else pl.DataFrame(schema=FIRST_PAYMENT_SCHEMA)
    )
    return (
        frame.join(decided, on="id", how="left")
        .join(enrolled, on="id", how="left")
        .join(paid, on="id", how="left")
        .with_columns(
            month=pl.col("at").dt.strftime("%Y-%m"),
            to_decision=_days_since_submission("decided"),
            to_enrolment=_days_since_submission("enrolled"),
            to_payment=_days_since_submission("paid"),
        )
        .group_by("programme", "municipality", "month")
        .agg(
            decided=pl.col("to_decision").count(),
            decision_median=pl.col("to_decision").median().round(1),
            decision_p90=pl.col("to_decision").quantile(0.9, interpolation="linear").round(1),
            enrolled=pl.col("to_enrolment").count(),
            enrolment_median=pl.col("to_enrolment").median().round(1),
            enrolment_p90=pl.col("to_enrolment").quantile(0.9, interpolation="linear").round(1),
            paid=pl.col("to_payment").count(),
            payment_median=pl.col("to_payment").median().round(1),
            payment_p90=pl.col("to_payment").quantile(0.9, interpolation="linear").round(1),
        )
        .sort("month", "programme", "municipality", descending=[True, False, False])
        .select(list(DELAY_SCHEMA))
        .cast(DELAY_SCHEMA)
    )


def application_of_applicant(*, number: str, personal_number: str) -> Application | None:
    """The applicant's own application, found by its number and their personal number
    together; None for any pair that does not match, so as not to say which part was wrong."""
    return (
        Application.objects.select_related("programme", "municipality")
        .prefetch_related("events", "documents")
        .filter(number=normalised_number(number, "ZR"), personal_number=personal_number.strip())
        .first()
    )


def applications_of_person(*, personal_number: str, birth_date: date, most: int) -> list:
    """The applications made with this personal number and birth date, newest first, at most
    `most`: for sending their numbers again ("I lost my number"), never for showing them."""
    return list(
        Application.objects.select_related("programme")
        .filter(personal_number=personal_number.strip(), birth_date=birth_date)
        .order_by("-submitted_at", "-id")[:most]
    )


def _declares(application: Application, personal_number: str) -> bool:
    return application.personal_number == personal_number or any(
        isinstance(m, dict) and m.get("personal_number") == personal_number
        for m in application.members or []
    )


# What the subject-access report adds to the records' own fields, named for the reader.
_ADDED = {"programme_code": _("Programme code"), "application_number": _("Application number")}


def subject_access_applications(subject: Subject) -> Section:
    """Subject access: the applications the person made or is declared a member of (matched by
    personal number, in the applicant's fields or in the declared members), with the phone,
    e-mail and members they declare, their documents (name, kind, size; not the files), events
    and decisions; and the enrolments of those applications, of the person and of their
    households. Their phones, e-mails and numbers are passed on for the outbox's section."""
    number = subject.personal_number
    candidates = (
        Application.objects.annotate(members_text=Cast("members", TextField()))
        .filter(Q(personal_number=number) | Q(members_text__contains=number))
        .select_related("programme")
        .prefetch_related("documents", "events")
        .order_by("submitted_at", "id")
    )
    applications = [a for a in candidates if _declares(a, number)]
    section = Section()
    for application in applications:
        section.add(
            application,
            exclude=("submission_key",),
            programme_code=application.programme.code,
            labels=_ADDED,
        )
        subject.contacts.update(c for c in (application.phone, application.email) if c)
        subject.references.add(application.number)
        for document in application.documents.all():
            section.add(
                document,
                exclude=("application",),
                application_number=application.number,
                labels=_ADDED,
            )
        for event in application.events.all():
            section.add(
                event,
                exclude=("application",),
                application_number=application.number,
                labels=_ADDED,
            )
    beneficiary = Q(household_id__in=sorted(subject.household_ids), person__isnull=True)
    if subject.person is not None:
        beneficiary |= Q(person=subject.person)
    enrolments = Enrolment.objects.filter(
        Q(application__in=[a.pk for a in applications]) | beneficiary
    ).select_related("programme", "application")
    for enrolment in enrolments.order_by("starts", "id"):
        section.add(
            enrolment,
            programme_code=enrolment.programme.code,
            application_number=enrolment.application.number if enrolment.application else None,
            labels=_ADDED,
        )
    return section


def enrolment_end_due(*, on: date) -> list[tuple[Enrolment, str, date]]:
    """The open enrolments the daily job ends as of `on`, each with its reason and the date of
    the event it ends on (`services.enrolment_end` turns that into the last day paid):

    - a death recorded in the registry on or before `on`: for a programme that pays a person,
      the beneficiary's, on its date; for one that pays the household, when none of the
      household's current members is alive, on the last of their deaths (a household whose
      members all moved away is not a death: the officer ends that enrolment);
    - a re-assessment overdue: the household's latest assessment was due again (the four-year
      rule, `assessment.selectors.latest_assessment`) more than `REASSESSMENT_GRACE_DAYS` days
      before `on` (illustrative), only in programmes whose workflow has a home visit (decided
      on the rating score: not the pension), ending on `on` itself, so that a first run after
      a long pause stops future payments rather than reclaiming past ones. A household never
      assessed has nothing overdue.

    Querysets over the open enrolments only; the rows returned are the few that end."""
    open_enrolments = Enrolment.objects.filter(ends__isnull=True).select_related(
        "application__programme", "programme"
    )
    due: dict[int, tuple[Enrolment, str, date]] = {}
    person_deaths = open_enrolments.filter(
        person__isnull=False, person__date_of_death__lte=on
    ).annotate(event_on=F("person__date_of_death"))
    current = Membership.objects.filter(household=OuterRef("household_id"), end_date__isnull=True)
    living = current.filter(Q(person__date_of_death__isnull=True) | Q(person__date_of_death__gt=on))
    last_death = current.order_by("-person__date_of_death").values("person__date_of_death")[:1]
    household_deaths = (
        open_enrolments.filter(person__isnull=True)
        .filter(Exists(current))
        .exclude(Exists(living))
        .annotate(event_on=Subquery(last_death))
    )
    for enrolment in (*person_deaths.order_by("id"), *household_deaths.order_by("id")):
        due[enrolment.pk] = (enrolment, EnrolmentEndReason.DEATH, enrolment.event_on)
    overdue_before = on - timedelta(days=settings.REASSESSMENT_GRACE_DAYS)
    overdue = (
        open_enrolments.filter(programme__workflow__home_visit=True, created_at__date__lte=on)
        .annotate(
            reassessment_due=Subquery(
                latest_assessment(OuterRef("household_id")).values("reassessment_due")[:1]
            )
        )
        .filter(reassessment_due__lt=overdue_before)
        .exclude(pk__in=list(due))
        .order_by("id")
    )
    for enrolment in overdue:
        due[enrolment.pk] = (enrolment, EnrolmentEndReason.REASSESSMENT_OVERDUE, on)
    return list(due.values())


def open_enrolment_of_change():
    """For a query over a run's changes: the id of the open enrolment of the line's
    beneficiary in its programme (the person's for a line about a person, else the
    household's), or None."""
    open_enrolments = Enrolment.objects.filter(
        programme_id=OuterRef("programme_id"), ends__isnull=True
    ).order_by("id")
    person = open_enrolments.filter(person_id=OuterRef("person_id")).values("pk")[:1]
    household = open_enrolments.filter(
        person__isnull=True, household_id=OuterRef("household_id")
    ).values("pk")[:1]
    return Case(
        When(person__isnull=False, then=Subquery(person)),
        default=Subquery(household),
    )


def enrolled_losses(*, actor, run: Run):
    """A run's "lost" lines (in the actor's area, as `run_changes` shows them) whose beneficiary
    is enrolled: what the run's changes page offers for confirmation, each with `enrolment_id`.
    Confirming one is `services.enrolment_end_on_loss`. Only the programmes the actor's office
    processes (`permissions.processed`), as that service requires."""
    permissions.require(actor, permissions.APPLICATIONS_PROCESS)
    changes = run_changes(actor=actor, run=run, kind="lost")
    return (
        permissions.processed(changes, actor)
        .annotate(enrolment_id=open_enrolment_of_change())
        .filter(enrolment_id__isnull=False)
    )


# -- Entitlements: who is entitled to what in a month ----------------------------------------


@dataclass(frozen=True)
class Entitlement:
    """A beneficiary's entitlement in a programme for a month: the amount of the decision in
    force then, while an enrolment covers the month, with its basis."""

    programme_id: int
    household_id: int
    person_id: int | None
    month: date
    amount: Decimal
    enrolment_id: int
    decision_id: int
    run_id: int | None  # the run that decided, or
    application_id: int | None  # the application whose decision did
    rules_id: int | None  # the rules and parameter versions it was decided under


ENTITLEMENT_SCHEMA = {
    "programme_id": pl.Int64,
    "household_id": pl.Int64,
    "person_id": pl.Int64,
    "amount": AMOUNT,
    "enrolment_id": pl.Int64,
    "decision_id": pl.Int64,
    "run_id": pl.Int64,
    "application_id": pl.Int64,
    "rules_id": pl.Int64,
}


def _entitled(month: date, where: str = "", params: tuple = ()) -> pl.DataFrame:
    """Entitlements for `month`: an enrolment that covers some of the month, and the decision
    for its beneficiary in force that month (linked to the enrolment) eligible."""
    first = month.replace(day=1)
    last = first + relativedelta(months=1) - timedelta(days=1)
    d, e = Decision._meta.db_table, Enrolment._meta.db_table
    eligible = DecisionStatus.ELIGIBLE.value  # a code of ours: COPY takes no bound text
    sql = f"""
        SELECT d.programme_id, d.household_id, d.person_id, d.amount, e.id, d.id, d.run_id,
               d.application_id, d.rules_id
        FROM {e} e JOIN {d} d ON d.enrolment_id = e.id AND d.programme_id = e.programme_id
        WHERE e.starts <= %s AND (e.ends IS NULL OR e.ends >= %s)
          AND d.period <= %s AND (d.until IS NULL OR d.until >= %s)
          AND d.status = '{eligible}' {where}
        ORDER BY d.programme_id, d.household_id, d.person_id
    """  # noqa: S608 (table names and a status code of ours; values bound)
    return read_frame(sql, [last, first, first, first, *params], ENTITLEMENT_SCHEMA)


def entitlements(*, month: date) -> pl.DataFrame:
    """Every entitlement of a month, as columns (`ENTITLEMENT_SCHEMA`): what payroll reads.
    For bulk work on the server; the caller checks who asks."""
    return _entitled(month)


MONTH_ENROLMENT_SCHEMA = {
    "enrolment_id": pl.Int64,
    "programme_id": pl.Int64,
    "household_id": pl.Int64,
    "person_id": pl.Int64,
    "payee_id": pl.Int64,
    "ends": pl.Date,
    "decision_id": pl.Int64,
    "status": pl.String,
    "amount": AMOUNT,
}


def enrolments_of_month(*, month: date, programme_ids: list[int]) -> pl.DataFrame:
    """Every enrolment of these programmes that covers some of `month`, with the decision for
    its beneficiary in force that month, eligible or not (none: no decision), and the payee:
    the person a personal programme pays, or the household's current head (`MONTH_ENROLMENT_
    SCHEMA`). What a payroll reads: an eligible decision is paid, anything else is held."""
    if not programme_ids:
        return pl.DataFrame(schema=MONTH_ENROLMENT_SCHEMA)
    first = month.replace(day=1)
    last = first + relativedelta(months=1) - timedelta(days=1)
    d, e, m = Decision._meta.db_table, Enrolment._meta.db_table, Membership._meta.db_table
    head = Relationship.HEAD.value
    ids = ", ".join(str(int(i)) for i in programme_ids)
    sql = f"""
        SELECT e.id, e.programme_id, e.household_id, e.person_id,
               COALESCE(e.person_id, h.person_id), e.ends, d.id, d.status, d.amount
        FROM {e} e
        LEFT JOIN {d} d ON d.enrolment_id = e.id AND d.programme_id = e.programme_id
             AND d.period <= %s AND (d.until IS NULL OR d.until >= %s)
        LEFT JOIN {m} h ON e.person_id IS NULL AND h.household_id = e.household_id
             AND h.relationship = '{head}' AND h.end_date IS NULL
        WHERE e.programme_id IN ({ids}) AND e.starts <= %s AND (e.ends IS NULL OR e.ends >= %s)
        ORDER BY e.id
    """  # noqa: S608 (table names, ids and a code of ours; dates bound)
    return read_frame(sql, [first, first, last, first], MONTH_ENROLMENT_SCHEMA)


ENROLMENT_SPAN_SCHEMA = {
    "enrolment_id": pl.Int64,
    "programme_id": pl.Int64,
    "starts": pl.Date,
    "ends": pl.Date,
}


def enrolment_spans(*, programme_ids: list[int], first: date, last: date) -> pl.DataFrame:
    """Every enrolment of these programmes that covers some day from `first` to `last`, with
    the days it is paid from and until (`ENROLMENT_SPAN_SCHEMA`)."""
    if not programme_ids:
        return pl.DataFrame(schema=ENROLMENT_SPAN_SCHEMA)
    ids = ", ".join(str(int(i)) for i in programme_ids)
    sql = f"""
        SELECT id, programme_id, starts, ends FROM {Enrolment._meta.db_table}
        WHERE programme_id IN ({ids}) AND starts <= %s AND (ends IS NULL OR ends >= %s)
    """  # noqa: S608 (a table name and ids of ours; dates bound)
    return read_frame(sql, [last, first], ENROLMENT_SPAN_SCHEMA)


def _listed(ids) -> str:
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def enrolments_of_months(*, pairs: pl.DataFrame) -> pl.DataFrame:
    """What `enrolments_of_month` reads, for chosen enrolments and months only: for each
    (`enrolment_id`, `month`) pair of `pairs` whose month the enrolment covers, the decision in
    force then (none: nulls) and the payee, with `month`. A payroll's few owed months, read
    without reading the whole of each month."""
    schema = MONTH_ENROLMENT_SCHEMA | {"month": pl.Date}
    pairs = pairs.select("enrolment_id", "month").unique()
    if pairs.is_empty():
        return pl.DataFrame(schema=schema)
    d, e, m = Decision._meta.db_table, Enrolment._meta.db_table, Membership._meta.db_table
    head = Relationship.HEAD.value
    ids = _listed(pairs["enrolment_id"].unique().sort())
    sql = f"""
        SELECT e.id, e.programme_id, e.household_id, e.person_id,
               COALESCE(e.person_id, h.person_id), e.starts, e.ends
        FROM {e} e
        LEFT JOIN {m} h ON e.person_id IS NULL AND h.household_id = e.household_id
             AND h.relationship = '{head}' AND h.end_date IS NULL
        WHERE e.id IN ({ids})
    """  # noqa: S608 (table names, ids and a code of ours)
    enrolments = read_frame(
        sql,
        [],
        {
            "enrolment_id": pl.Int64,
            "programme_id": pl.Int64,
            "household_id": pl.Int64,
            "person_id": pl.Int64,
            "payee_id": pl.Int64,
            "starts": pl.Date,
            "ends": pl.Date,
        },
    )
    month_end = pl.col("month").dt.offset_by("1mo").dt.offset_by("-1d")
    rows = pairs.join(enrolments, on="enrolment_id").filter(
        (pl.col("starts") <= month_end)
        & (pl.col("ends").is_null() | (pl.col("ends") >= pl.col("month")))
    )
    # Decisions found through the household index (none is kept by enrolment), then matched.
    households = _listed(enrolments["household_id"].unique().sort())
    first, last = pairs["month"].min(), pairs["month"].max()
    sql = f"""
        SELECT enrolment_id, programme_id, id, status, amount, period, until FROM {d}
        WHERE household_id IN ({households}) AND enrolment_id IN ({ids})
              AND period <= %s AND (until IS NULL OR until >= %s)
    """  # noqa: S608 (a table name and ids of ours; dates bound)
    decisions = read_frame(
        sql,
        [last, first],
        {
            "enrolment_id": pl.Int64,
            "programme_id": pl.Int64,
            "decision_id": pl.Int64,
            "status": pl.String,
            "amount": AMOUNT,
            "period": pl.Date,
            "until": pl.Date,
        },
    )
    # In force in the month as `enrolments_of_month` has it: from on or before its first day.
    found = (
        rows.join(decisions, on=["enrolment_id", "programme_id"])
        .filter(
            (pl.col("period") <= pl.col("month"))
            & (pl.col("until").is_null() | (pl.col("until") >= pl.col("month")))
        )
        .drop("period", "until")
    )
    undecided = rows.join(found, on=["enrolment_id", "month"], how="anti")
    return (
        pl.concat([found, undecided], how="diagonal_relaxed")
        .select(list(schema))
        .cast(schema)
        .sort("month", "enrolment_id")
    )


def entitlement(
    *, programme_id: int, household_id: int, person_id: int | None, month: date
) -> Entitlement | None:
    """One beneficiary's entitlement in a programme for a month (the household's, for a
    programme that pays households), or None: not enrolled then, or not eligible that month."""
    if person_id is not None:
        where, params = "AND d.programme_id = %s AND d.person_id = %s", (programme_id, person_id)
    else:
        where = "AND d.programme_id = %s AND d.household_id = %s AND d.person_id IS NULL"
        params = (programme_id, household_id)
    frame = _entitled(month, where, params)
    if frame.is_empty():
        return None
    return Entitlement(**frame.row(0, named=True), month=month.replace(day=1))


def enrolments_processed(*, actor) -> QuerySet[Enrolment]:
    """The enrolments the actor may act on: of programmes their office processes, of
    households in their area, health programmes only with HEALTH_VIEW."""
    permissions.require(actor, permissions.APPLICATIONS_PROCESS)
    qs = permissions.processed(Enrolment.objects.all(), actor)
    qs = permissions.scoped(qs, actor, "household__municipality_id")
    qs = permissions.health_programmes_hidden(qs, actor)
    return qs.select_related("programme", "application")


def bulk_enrolments(*, actor, run: Run) -> QuerySet[BulkEnrolment]:
    """A run's bulk enrolments, for those who may ask for and confirm them."""
    permissions.require(actor, permissions.ENROLMENT_BULK)
    return BulkEnrolment.objects.filter(run=run).select_related(
        "programme", "requested_by", "decided_by"
    )


def enrolment_list(
    *, actor, programme_id: int | None = None, household_id: int | None = None, state: str = ""
) -> QuerySet[Enrolment]:
    """The enrolments the actor may act on, filtered; the latest first."""
    qs = enrolments_processed(actor=actor).select_related("household", "person", "batch")
    if programme_id is not None:
        qs = qs.filter(programme_id=programme_id)
    if household_id is not None:
        qs = qs.filter(household_id=household_id)
    if state == "open":
        qs = qs.filter(ends__isnull=True)
    elif state == "ended":
        qs = qs.filter(ends__isnull=False)
    return qs.order_by("-starts", "-id")


def enrolment_get(*, actor, pk: int) -> Enrolment:
    """One enrolment the actor may act on; the read is audited (it names a beneficiary)."""
    enrolment = scoped_get(
        enrolment_list(actor=actor).select_related("ended_by", "enrolled_by"), actor=actor, pk=pk
    )
    access_log(actor=actor, instance=enrolment)
    return enrolment


def enrolment_months(enrolment: Enrolment, *, first: date, count: int = 3) -> list[tuple]:
    """The enrolment's entitlement in `count` months from `first`: (month, Entitlement or
    None), as payroll would read it."""
    months = [first.replace(day=1) + relativedelta(months=i) for i in range(count)]
    return [
        (
            month,
            entitlement(
                programme_id=enrolment.programme_id,
                household_id=enrolment.household_id,
                person_id=enrolment.person_id,
                month=month,
            ),
        )
        for month in months
    ]


# -- A person's and a household's applications and enrolments (panels on their pages) --------
# Scoped as the queue and the enrolments list are (`application_list`, `enrolments_processed`):
# the actor's area, the programmes their office processes, health programmes only with health
# access. The person or household itself was read (and audited) by the registry's selector.


def _current_household_id(person) -> int | None:
    # `registry.selectors.person_get` prefetches the memberships: no query.
    return next((m.household_id for m in person.memberships.all() if m.end_date is None), None)


def person_applications(*, actor, person) -> QuerySet[Application]:
    """The applications the person made (their personal number) or that were decided for them
    (a programme paying a person: the decision's person, whoever applied), the latest first."""
    about = Q(personal_number=person.personal_number) | Q(decision__person_id=person.pk)
    return application_list(actor=actor).filter(about).order_by("-submitted_at", "-id")


def household_applications(*, actor, household) -> QuerySet[Application]:
    """The applications registered to the household, and those its current members made that
    are not registered to any household yet (just submitted), the latest first.
    `household.current_members` is `registry.selectors.household_get`'s prefetch."""
    numbers = sorted(m.person.personal_number for m in household.current_members)
    about = Q(household_id=household.pk) | Q(household__isnull=True, personal_number__in=numbers)
    return application_list(actor=actor).filter(about).order_by("-submitted_at", "-id")


def person_enrolments(*, actor, person) -> QuerySet[Enrolment]:
    """The person's enrolments (a programme paying them), those of the applications they made,
    and their current household's own (a programme paying the household), the latest first."""
    about = Q(person_id=person.pk) | Q(application__personal_number=person.personal_number)
    household_id = _current_household_id(person)
    if household_id is not None:
        about |= Q(household_id=household_id, person__isnull=True)
    return (
        enrolments_processed(actor=actor)
        .filter(about)
        .select_related("person", "household")
        .order_by("-starts", "-id")
    )


def household_enrolments(*, actor, household) -> QuerySet[Enrolment]:
    """The household's enrolments: its own and its members' (an enrolment names the household
    of a person it pays too), the latest first."""
    return (
        enrolments_processed(actor=actor)
        .filter(household_id=household.pk)
        .select_related("person", "household")
        .order_by("-starts", "-id")
    )
