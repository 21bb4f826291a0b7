"""Refreshing the dashboards' tables (`models.aggregates`): every figure the dashboards, the
public pages, the monthly report and the indicators API show, counted once, set-based.

Each table is rebuilt as a whole in one transaction (deleted and written again), so a refresh
is idempotent: running it twice, or after a failed one, gives the same rows. It reads with SQL
GROUP BY where the database can count, and with Polars over one column read where a row must
be spread over months (an enrolment in force from March to June counts in four months); no
loop over records. It runs after each eligibility run and payroll (`apps.AnalyticsConfig`
listens to `core.jobs.job_done`) and from cron (`manage.py refresh_analytics`).

What is counted, and in which month (months are calendar months; HISTORY_MONTHS back from the
refresh's month):

- **Benefits** (`BenefitMonth`): per month, municipality (of the beneficiary's household, as it
  is now) and programme, the recipients (beneficiaries: a person for a programme that pays a
  person, a household for one that pays the household), their households, and the amount.
  From the payments due or paid (not held, returned or cancelled) of the payrolls approved, sent
  or reconciled (not one merely prepared or checked) when the programme has any
  for the month; otherwise from the enrolments in force in the month (begun by its last day, not
  ended before its first), with their monthly amounts: what is owed, before pro-rating.
- **Registry coverage** (`RegistryCoverage`): on the refresh's day, people (current members of
  active households, alive, not merged), active households, households ever assessed and those
  with a current rating score (an assessment whose re-assessment is not yet due), open social
  work cases.
- **Grievances** (`GrievanceMonth`): per month of filing (Georgia's time), municipality,
  category and status now.
- **Caseload** (`CaseloadMonth`): social work cases per municipality and month: opened, closed,
  and open at the month's end (opened by then and not closed by then).
- **Social work's monthly indicators** of the months before the refresh's
  (`cases.indicators.refresh`: `cases.IndicatorMonth`, `cases.OutcomeMonth`), which the
  social work quality page reads for those months instead of counting every case again.
"""

import logging
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import Trunc
from django.utils import timezone

from zrunva.analytics.models import (
    AggregateRefresh,
    BenefitMonth,
    CaseloadMonth,
    GrievanceMonth,
    RegistryCoverage,
)
from zrunva.analytics.models.aggregates import BenefitSource
from zrunva.applications.models import Enrolment
from zrunva.assessment.models import Assessment
from zrunva.cases import indicators as case_indicators
from zrunva.cases.choices import OPEN_STAGES
from zrunva.cases.models import SocialCase
from zrunva.core.bulk import replace_frame
from zrunva.core.money import AMOUNT
from zrunva.grievances.models import Grievance
from zrunva.payments.choices import PAYING, PayrollStep
from zrunva.payments.models import Payment
from zrunva.registry.models import Household, Membership

logger = logging.getLogger(__name__)

HISTORY_MONTHS = 36
# The payrolls whose payments count: approved (by someone other than who prepared them), sent
# to the banks, or reconciled. A payroll prepared or checked may still be cancelled or
# prepared again: its lines are nobody's benefit yet.
COUNTED_STEPS = (PayrollStep.APPROVED, PayrollStep.EXPORTED, PayrollStep.RECONCILED)
LOCK = 720_518  # pg_advisory_xact_lock key: one refresh at a time

BENEFIT_SCHEMA = {
    "month": pl.Date,
    "municipality_id": pl.Int64,
    "programme_id": pl.Int64,
    "source": pl.String,
    "recipients": pl.Int64,
    "households": pl.Int64,
    "amount": AMOUNT,
}


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def months_before(month: date, count: int) -> date:
    """The first day of the month `count` months before `month`'s."""
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _counted_payments():
    """The payments that count: due or paid, in an approved (or later) payroll."""
    return Payment.objects.filter(status__in=PAYING, payroll__step__in=COUNTED_STEPS)


def _window(today: date) -> tuple[date, date]:
    """The months counted: HISTORY_MONTHS up to this one, and the next one when an approved
    payroll for it already pays (payrolls are prepared ahead of their month; one merely
    prepared does not move the month)."""
    last = month_start(today)
    if _counted_payments().filter(month=next_month(last)).exists():
        last = next_month(last)
    return months_before(last, HISTORY_MONTHS - 1), last


def paid_benefits(first: date, last: date) -> pl.DataFrame:
    """BENEFIT_SCHEMA from the payments due or paid in the months, of the approved payrolls
    (`COUNTED_STEPS`; one GROUP BY)."""
    rows = (
        _counted_payments()
        .filter(month__gte=first, month__lte=last)
        .order_by()
        .values("month", "programme_id", municipality_id=F("household__municipality_id"))
        .annotate(
            recipients=Count("id"),
            households=Count("household_id", distinct=True),
            amount=Sum("amount"),
        )
        .values_list(
            "month", "municipality_id", "programme_id", "recipients", "households", "amount"
        )
    )
    frame = pl.DataFrame(
        list(rows),
        schema={k: v for k, v in BENEFIT_SCHEMA.items() if k != "source"},
        orient="row",
        strict=False,
    )
    return frame.with_columns(source=pl.lit(BenefitSource.PAYMENTS.value)).select(
        list(BENEFIT_SCHEMA)
    )


def enrolled_benefits(
    enrolments: pl.DataFrame, first: date, last: date, paid: pl.DataFrame
) -> pl.DataFrame:
    """BENEFIT_SCHEMA from `enrolments` (programme_id, municipality_id, household_id,
    person_id, amount, starts, ends): each spread over the months it is in force within
    [first, last], counted for the (month, programme) pairs `paid` does not hold."""
    if enrolments.is_empty():
        return pl.DataFrame(schema=BENEFIT_SCHEMA)
    spread = (
        enrolments.with_columns(
            since=pl.max_horizontal(pl.col("starts").dt.month_start(), pl.lit(first)),
            until=pl.min_horizontal(
                pl.col("ends").dt.month_start().fill_null(pl.lit(last)), pl.lit(last)
            ),
        )
        .filter(pl.col("since") <= pl.col("until"))
        .with_columns(month=pl.date_ranges("since", "until", interval="1mo"))
        .explode("month")
        # A beneficiary: the person a programme pays, or the household (a negative key).
        .with_columns(beneficiary=pl.coalesce("person_id", -pl.col("household_id")))
    )
    counted = (
        spread.join(
            paid.select("month", "programme_id").unique(), on=["month", "programme_id"], how="anti"
        )
        .group_by("month", "municipality_id", "programme_id")
        .agg(
            recipients=pl.col("beneficiary").n_unique(),
            households=pl.col("household_id").n_unique(),
            amount=pl.col("amount").sum(),
        )
        .with_columns(source=pl.lit(BenefitSource.ENROLMENTS.value))
    )
    return counted.select(list(BENEFIT_SCHEMA)).cast(BENEFIT_SCHEMA)


def _enrolments(first: date) -> pl.DataFrame:
    rows = (
        Enrolment.objects.filter(Q(ends__isnull=True) | Q(ends__gte=first))
        .order_by()
        .values_list(
            "programme_id",
            "household__municipality_id",
            "household_id",
            "person_id",
            "amount",
            "starts",
            "ends",
        )
    )
    return pl.DataFrame(
        list(rows),
        schema={
            "programme_id": pl.Int64,
            "municipality_id": pl.Int64,
            "household_id": pl.Int64,
            "person_id": pl.Int64,
            "amount": AMOUNT,
            "starts": pl.Date,
            "ends": pl.Date,
        },
        orient="row",
        strict=False,
    )


def _count(qs, municipality: str, what: str, name: str, distinct: bool) -> pl.DataFrame:
    """How many `what` (distinct or not) of `qs` per municipality, as (municipality_id, name)."""
    rows = (
        qs.order_by()
        .values(place=F(municipality))
        .annotate(n=Count(what, distinct=distinct))
        .values_list("place", "n")
    )
    return pl.DataFrame(
        list(rows), schema={"municipality_id": pl.Int64, name: pl.Int64}, orient="row"
    )


def registry_coverage(today: date) -> pl.DataFrame:
    """Per municipality: people, households, assessed, scored, open_cases (see the module)."""
    from zrunva.geo.models import Municipality

    members = Membership.objects.filter(
        household__is_active=True,
        start_date__lte=today,
        person__merged_into__isnull=True,
    ).filter(Q(end_date__isnull=True) | Q(end_date__gt=today))
    members = members.filter(
        Q(person__date_of_death__isnull=True) | Q(person__date_of_death__gt=today)
    )
    parts = [
        _count(members, "household__municipality_id", "person_id", "people", True),
        _count(
            Household.objects.filter(is_active=True), "municipality_id", "id", "households", False
        ),
        _count(
            Assessment.objects.filter(household__is_active=True),
            "household__municipality_id",
            "household_id",
            "assessed",
            True,
        ),
        _count(
            Assessment.objects.filter(household__is_active=True, reassessment_due__gte=today),
            "household__municipality_id",
            "household_id",
            "scored",
            True,
        ),
        _count(
            SocialCase.objects.filter(stage__in=OPEN_STAGES),
            "municipality_id",
            "id",
            "open_cases",
            False,
        ),
    ]
    frame = pl.DataFrame(
        {"municipality_id": list(Municipality.objects.values_list("id", flat=True))},
        schema={"municipality_id": pl.Int64},
    )
    for part in parts:
        frame = frame.join(part, on="municipality_id", how="left")
    return frame.fill_null(0)


def grievance_months(first: date) -> pl.DataFrame:
    zone = ZoneInfo(settings.TIME_ZONE)
    since = datetime.combine(first, datetime.min.time(), zone)
    rows = (
        Grievance.objects.filter(filed_at__gte=since)
        .order_by()
        .annotate(month=Trunc("filed_at", "month", output_field=DateField(), tzinfo=zone))
        .values("month", "municipality_id", "category", "status")
        .annotate(grievances=Count("id"))
        .values_list("month", "municipality_id", "category", "status", "grievances")
    )
    return pl.DataFrame(
        list(rows),
        schema={
            "month": pl.Date,
            "municipality_id": pl.Int64,
            "category": pl.String,
            "status": pl.String,
            "grievances": pl.Int64,
        },
        orient="row",
    )


def caseload_months(cases: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    """(month, municipality_id, opened, closed, open_at_end) from `cases` (municipality_id,
    opened, closed: the months, first days, of opening and closure; closed null if open), for
    the months from `first` to `last` in which a municipality had any case open or moving."""
    schema = {
        "month": pl.Date,
        "municipality_id": pl.Int64,
        "opened": pl.Int64,
        "closed": pl.Int64,
        "open_at_end": pl.Int64,
    }
    if cases.is_empty():
        return pl.DataFrame(schema=schema)
    months = pl.DataFrame({"month": pl.date_range(first, last, interval="1mo", eager=True)})
    # Cases opened before the window count as opened in its first month for the running total,
    # but not in its "opened" column.
    moves = pl.concat(
        [
            cases.select(
                "municipality_id",
                month=pl.max_horizontal("opened", pl.lit(first)),
                inside=pl.col("opened") >= first,
                change=pl.lit(1),
            ),
            cases.filter(pl.col("closed").is_not_null()).select(
                "municipality_id",
                month=pl.max_horizontal("closed", pl.lit(first)),
                inside=pl.col("closed") >= first,
                change=pl.lit(-1),
            ),
        ]
    ).filter(pl.col("month") <= last)
    per_month = moves.group_by("municipality_id", "month").agg(
        opened=((pl.col("change") == 1) & pl.col("inside")).sum().cast(pl.Int64),
        closed=((pl.col("change") == -1) & pl.col("inside")).sum().cast(pl.Int64),
        net=pl.col("change").sum().cast(pl.Int64),
    )
    grid = (
        moves.select("municipality_id")
        .unique()
        .join(months, how="cross")
        .join(per_month, on=["municipality_id", "month"], how="left")
        .fill_null(0)
        .sort("municipality_id", "month")
        .with_columns(open_at_end=pl.col("net").cum_sum().over("municipality_id"))
    )
    return (
        grid.filter((pl.col("opened") > 0) | (pl.col("closed") > 0) | (pl.col("open_at_end") > 0))
        .select(list(schema))
        .cast(schema)
    )


def _cases() -> pl.DataFrame:
    zone = ZoneInfo(settings.TIME_ZONE)
    rows = SocialCase.objects.order_by().values_list("municipality_id", "opened_at", "closed_at")
    frame = pl.DataFrame(
        list(rows),
        schema={
            "municipality_id": pl.Int64,
            "opened_at": pl.Datetime("us", "UTC"),
            "closed_at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )
    local = {
        name: pl.col(column).dt.convert_time_zone(str(zone)).dt.date().dt.month_start()
        for name, column in (("opened", "opened_at"), ("closed", "closed_at"))
    }
    return frame.select("municipality_id", **local)


def refresh_aggregates(*, reason: str = "command", today: date | None = None) -> AggregateRefresh:
    """Rebuild every dashboard table from the records (see the module for what each counts),
    in one transaction, one refresh at a time; returns the refresh's row (its counts)."""
    started = time.monotonic()
    today = today or timezone.localdate()
    with transaction.atomic():
        # The lock first, then the reads: of two overlapping refreshes the second reads after
        # the first has written, so stale figures are never written last.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        first, last = _window(today)
        paid = paid_benefits(first, last)
        benefits = pl.concat([paid, enrolled_benefits(_enrolments(first), first, last, paid)])
        coverage = registry_coverage(today)
        grievances = grievance_months(first)
        caseload = caseload_months(_cases(), first, last)
        rows = {
            "benefits": replace_frame(BenefitMonth, benefits),
            "coverage": replace_frame(RegistryCoverage, coverage),
            "grievances": replace_frame(GrievanceMonth, grievances),
            "caseload": replace_frame(CaseloadMonth, caseload),
            "social_work_months": case_indicators.refresh(today=today).cells,
        }
        done = AggregateRefresh.objects.create(
            seconds=round(time.monotonic() - started, 3), rows=rows, reason=reason[:60]
        )
    return done


def latest_refresh() -> AggregateRefresh | None:
    return AggregateRefresh.objects.first()


def _refresh_on_commit(reason: str) -> None:
    """Queue a refresh for the background worker once the current transaction commits (at a
    million households it takes seconds, which the run or the payroll's step should not wait
    for). A refresh that cannot be queued is logged, not raised: what triggered it is done and
    stays done; the tables are as fresh as the last refresh until the next one (cron)."""
    from zrunva.analytics.tasks_dashboards import aggregates_refresh

    def refresh():
        try:
            aggregates_refresh.enqueue(reason)
        except Exception:
            logger.exception("The dashboards' tables were not refreshed after %s", reason)

    transaction.on_commit(refresh)


def refresh_after_job(sender, *, job, **kwargs) -> None:
    """`core.jobs.job_done`'s receiver for eligibility runs (their decisions and the
    enrolments they end change what is counted)."""
    _refresh_on_commit(f"{type(job).__name__.lower()} {job.pk}")


# The payroll steps that change what the dashboards count: only approved, sent or reconciled
# payrolls' payments are counted, and a cancelled one no longer is.
COUNTED_STEPS = {"approved", "exported", "reconciled", "cancelled"}


def refresh_after_payroll_step(sender, *, instance, update_fields=None, **kwargs) -> None:
    """`post_save` receiver for payrolls: a refresh when a payroll reaches a step that changes
    what is counted (its preparation does not: a prepared payroll is not counted)."""
    if update_fields and "step" in update_fields and instance.step in COUNTED_STEPS:
        _refresh_on_commit(f"payroll {instance.pk} {instance.step}")
