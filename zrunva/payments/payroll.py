"""Preparing a payroll: a month's payment lines, computed over columns, written with COPY.

For each enrolment of the payroll's programmes that covers the month, the line is the
beneficiary's entitlement for the month (the decision in force, `applications.selectors.
enrolments_of_month`), so a parameter change or a new decision reaches the payroll with no
edit. It is **due** when the decision is eligible with an amount and the payee has an account
valid on the month's first day; otherwise it is **held**, with the reason, never dropped.
Months of the last `PAYROLL_ARREARS_MONTHS` the beneficiary was entitled to and was not paid
(decided late) are paid as arrears, a line each. A last part month (the enrolment ends within
it: a death, an end) is pro-rated by calendar days. Beneficiaries already paid for a month (a
line due in another payroll) are left out, read under the programmes' row locks, and the
database's unique indexes refuse a second due line whatever happens.

A month under a suspension in force is held. Once the suspension is lifted its months are paid
as arrears (even beyond the arrears window) or, if the officer cancelled them, not at all. An
approved recovery (overpayment) of the payee is deducted from their due lines, oldest first, at
most `PAYMENT_DEDUCTION_CAP` of each line, until it is repaid.
"""

from datetime import date
from decimal import Decimal

import polars as pl
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models.functions import ExtractYear

from zrunva.accounts import permissions
from zrunva.applications.selectors import enrolments_of_month
from zrunva.core.bulk import read_frame, write_frame
from zrunva.core.jobs import JobContext, job_execute
from zrunva.core.money import AMOUNT
from zrunva.core.trail import bulk_run_log
from zrunva.payments.choices import (
    PAYING,
    HoldReason,
    PaymentStatus,
    PayrollStep,
    RecoveryStatus,
    SuspensionOutcome,
)
from zrunva.payments.models import Payment, PaymentAccount, Payroll, Recovery, Suspension
from zrunva.payments.selectors import spent_in_year
from zrunva.programmes.choices import DecisionStatus
from zrunva.programmes.models import Programme

KEY = ["programme_id", "household_id", "person_id", "month"]


def months_back(month: date, count: int) -> list[date]:
    """`month` and the `count` - 1 months before it, the earliest first."""
    return [month - relativedelta(months=n) for n in range(count - 1, -1, -1)]


def prorated(monthly: pl.Expr, month: pl.Expr, ends: pl.Expr) -> pl.Expr:
    """The amount for a last part month: monthly × days paid ÷ days in the month, half-up to
    the tetri, in whole tetri (no float). Days paid run from the 1st to `ends` inclusive; a
    month the enrolment does not end in is paid whole. (Illustrative: the rule for a part
    month is not published per programme; it is calendar days here for all.)"""
    month_end = month.dt.offset_by("1mo").dt.offset_by("-1d")
    days_in_month = month_end.dt.day().cast(pl.Int64)
    ends_within = ends.is_not_null() & (ends < month_end)
    days = pl.when(ends_within).then(ends.dt.day().cast(pl.Int64)).otherwise(days_in_month)
    tetri = (monthly * 100).cast(pl.Int64)
    # Half-up for non-negative amounts: (2·t·d + D) // (2·D).
    whole = (tetri * days * 2 + days_in_month) // (days_in_month * 2)
    return (whole.cast(pl.Decimal(38, 2)) / 100).cast(AMOUNT)


def _accounts(on: date, payee_ids: list[int]) -> pl.DataFrame:
    schema = {"payee_id": pl.Int64, "account_id": pl.Int64}
    if not payee_ids:
        return pl.DataFrame(schema=schema)
    table = PaymentAccount._meta.db_table
    sql = f"""
        SELECT person_id, id FROM {table}
        WHERE valid_from <= %s AND (valid_until IS NULL OR valid_until >= %s)
    """  # noqa: S608 (a table name of ours; dates bound)
    found = read_frame(sql, [on, on], schema)
    return found.filter(pl.col("payee_id").is_in(payee_ids))


def _paid(first: date, last: date, programme_ids: list[int]) -> pl.DataFrame:
    """Beneficiary-months already due or paid in a payroll, in these months."""
    schema = {
        "programme_id": pl.Int64,
        "household_id": pl.Int64,
        "person_id": pl.Int64,
        "month": pl.Date,
    }
    table = Payment._meta.db_table
    ids = ", ".join(str(int(i)) for i in programme_ids) or "NULL"
    paying = ", ".join(f"'{s.value}'" for s in PAYING)
    sql = f"""
        SELECT programme_id, household_id, person_id, month FROM {table}
        WHERE status IN ({paying}) AND month BETWEEN %s AND %s AND programme_id IN ({ids})
    """  # noqa: S608 (a table name, ids and status codes of ours; dates bound)
    return read_frame(sql, [first, last], schema)


def _returned_to(first: date, last: date, programme_ids: list[int]) -> pl.DataFrame:
    """The accounts a beneficiary-month's payments were returned from, in these months."""
    schema = {
        "programme_id": pl.Int64,
        "household_id": pl.Int64,
        "person_id": pl.Int64,
        "month": pl.Date,
        "returned_account_id": pl.Int64,
    }
    table = Payment._meta.db_table
    ids = ", ".join(str(int(i)) for i in programme_ids) or "NULL"
    returned = PaymentStatus.RETURNED.value
    sql = f"""
        SELECT DISTINCT programme_id, household_id, person_id, month, account_id FROM {table}
        WHERE status = '{returned}' AND month BETWEEN %s AND %s AND programme_id IN ({ids})
    """  # noqa: S608 (a table name, ids and a status code of ours; dates bound)
    return read_frame(sql, [first, last], schema)


def _suspensions(programme_ids: list[int]) -> pl.DataFrame:
    """The suspensions of these programmes' enrolments: in force, or lifted (few rows)."""
    schema = {
        "enrolment_id": pl.Int64,
        "starts": pl.Date,
        "resumes": pl.Date,
        "outcome": pl.String,
        "resolved_at": pl.Date,
    }
    rows = Suspension.objects.filter(enrolment__programme_id__in=programme_ids).values_list(
        "enrolment_id", "starts", "resumes", "outcome", "resolved_at__date"
    )
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def _released(month: date, suspensions: pl.DataFrame) -> pl.DataFrame:
    """(enrolment, month) pairs before the arrears window that a suspension lifted with its
    arrears released since the window began still owes (paid or not: the anti-join decides)."""
    first = months_back(month, settings.PAYROLL_ARREARS_MONTHS)[0]
    lifted = suspensions.filter(
        (pl.col("outcome") == SuspensionOutcome.RESUMED.value)
        & (pl.col("starts") < first)
        & (pl.col("resolved_at") >= first)
    )
    if lifted.is_empty():
        return pl.DataFrame(schema={"enrolment_id": pl.Int64, "month": pl.Date})
    return (
        lifted.with_columns(
            month=pl.date_ranges(
                "starts", pl.min_horizontal(pl.col("resumes"), pl.lit(first)), "1mo", closed="left"
            )
        )
        .explode("month")
        .drop_nulls("month")
        .select("enrolment_id", "month")
        .unique()
    )


def _suspended(lines: pl.DataFrame, suspensions: pl.DataFrame) -> pl.DataFrame:
    """Per line (enrolment, month) under a suspension: its outcome ('' while in force)."""
    return (
        lines.select("enrolment_id", "month")
        .unique()
        .join(suspensions, on="enrolment_id", how="inner")
        .filter(
            (pl.col("starts") <= pl.col("month"))
            & (pl.col("resumes").is_null() | (pl.col("month") < pl.col("resumes")))
        )
        .group_by("enrolment_id", "month")
        .agg(suspension=pl.col("outcome").sort().first())
    )


def payroll_lines(*, month: date, programme_ids: list[int]) -> pl.DataFrame:
    """The payment lines a payroll for `month` would hold now, before the already-paid check:
    this month's (due or held) and the arrears of earlier months (due only): of the arrears
    window, and the months a lifted suspension released before it."""
    entitled = (pl.col("status") == DecisionStatus.ELIGIBLE.value) & (pl.col("amount") > 0)
    suspensions = _suspensions(programme_ids)
    frames = []
    for each in months_back(month, settings.PAYROLL_ARREARS_MONTHS):
        frame = enrolments_of_month(month=each, programme_ids=programme_ids).with_columns(
            month=pl.lit(each, dtype=pl.Date)
        )
        if each < month:  # arrears: only what the beneficiary was entitled to then
            frame = frame.filter(entitled)
        frames.append(frame)
    released = _released(month, suspensions)
    for each in released["month"].unique().sort().to_list():
        owed = released.filter(pl.col("month") == each).select("enrolment_id")
        frame = enrolments_of_month(month=each, programme_ids=programme_ids)
        frames.append(
            frame.join(owed, on="enrolment_id", how="semi")
            .filter(entitled)
            .with_columns(month=pl.lit(each, dtype=pl.Date))
        )
    lines = pl.concat(frames)
    # Months a lifted suspension cancelled are not owed; those of one in force are held.
    under = _suspended(lines, suspensions)
    lines = lines.join(under, on=["enrolment_id", "month"], how="left").filter(
        pl.col("suspension").is_null() | (pl.col("suspension") != SuspensionOutcome.CANCELLED.value)
    )
    accounts = _accounts(month, lines["payee_id"].drop_nulls().unique().to_list())
    lines = lines.join(accounts, on="payee_id", how="left")
    # A payment the bank returned is paid again only to another account (a corrected one).
    first = lines["month"].min() or month
    returned = _returned_to(first, month, programme_ids)
    bounced = (
        lines.join(returned, on=KEY, how="inner", nulls_equal=True)
        .filter(pl.col("account_id") == pl.col("returned_account_id"))
        .select("enrolment_id", "month")
        .unique()
        .with_columns(bounced=pl.lit(True))
    )
    lines = lines.join(bounced, on=["enrolment_id", "month"], how="left").with_columns(
        pl.col("bounced").fill_null(False)
    )
    eligible = (pl.col("status") == DecisionStatus.ELIGIBLE.value) & (pl.col("amount") > 0)
    reason = (
        pl.when(pl.col("status").is_null())
        .then(pl.lit(HoldReason.NO_DECISION.value))
        .when(pl.col("status") == DecisionStatus.NEEDS_DATA.value)
        .then(pl.lit(HoldReason.NEEDS_DATA.value))
        .when(~eligible)
        .then(pl.lit(HoldReason.NOT_ELIGIBLE.value))
        .when(pl.col("suspension") == SuspensionOutcome.OPEN.value)
        .then(pl.lit(HoldReason.SUSPENDED.value))
        .when(pl.col("account_id").is_null())
        .then(pl.lit(HoldReason.NO_ACCOUNT.value))
        .when(pl.col("bounced"))
        .then(pl.lit(HoldReason.RETURNED.value))
        .otherwise(pl.lit(""))
    )
    monthly = pl.when(eligible).then(pl.col("amount")).otherwise(pl.lit(0).cast(AMOUNT))
    return lines.with_columns(hold_reason=reason, monthly=monthly).with_columns(
        status=pl.when(pl.col("hold_reason") == "")
        .then(pl.lit(PaymentStatus.DUE.value))
        .otherwise(pl.lit(PaymentStatus.HELD.value)),
        amount=prorated(pl.col("monthly"), pl.col("month"), pl.col("ends")),
    )


def _outstanding() -> pl.DataFrame:
    """Per payee, the oldest approved recovery not yet repaid and what is left of it, in
    tetri; its row locked, so that two payrolls never both deduct the same money."""
    schema = {"payee_id": pl.Int64, "recovery_id": pl.Int64, "left": pl.Int64}
    approved = Recovery.objects.select_for_update().filter(status=RecoveryStatus.APPROVED)
    ids = list(approved.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return pl.DataFrame(schema=schema)
    table, payments = Recovery._meta.db_table, Payment._meta.db_table
    paying = ", ".join(f"'{s.value}'" for s in PAYING)
    sql = f"""
        SELECT r.payee_id, r.id,
               CAST(ROUND((r.amount - COALESCE(SUM(p.deducted), 0)) * 100) AS BIGINT)
        FROM {table} r LEFT JOIN {payments} p ON p.recovery_id = r.id AND p.status IN ({paying})
        WHERE r.id IN ({", ".join(str(int(i)) for i in ids)})
        GROUP BY r.payee_id, r.id, r.amount
    """  # noqa: S608 (table names, ids and status codes of ours)
    left = read_frame(sql, [], schema)
    return left.filter(pl.col("left") > 0).sort("recovery_id").unique("payee_id", keep="first")


def deducted(lines: pl.DataFrame, outstanding: pl.DataFrame, cap: Decimal) -> pl.DataFrame:
    """`lines` with each payee's recovery deducted from their due lines, the earliest month
    first: from each line at most `cap` of its amount (rounded down to the tetri), in all no
    more than is left to recover. Adds `deducted` and `recovery_id`; `amount` becomes what is
    paid."""
    basis_points = int(cap * 10000)
    tetri = (pl.col("amount") * 100).cast(pl.Int64)
    owing = lines.join(outstanding, on="payee_id", how="left").with_columns(
        ceiling=pl.when(
            (pl.col("status") == PaymentStatus.DUE.value) & pl.col("recovery_id").is_not_null()
        )
        .then(tetri * basis_points // 10000)
        .otherwise(0)
    )
    owing = owing.sort("payee_id", "month", "programme_id", "enrolment_id").with_columns(
        before=pl.col("ceiling").cum_sum().over("payee_id") - pl.col("ceiling")
    )
    kept = pl.min_horizontal(
        pl.col("ceiling"), pl.max_horizontal(pl.col("left").fill_null(0) - pl.col("before"), 0)
    )
    return (
        owing.with_columns(kept=kept)
        .with_columns(
            amount=((tetri - pl.col("kept")).cast(pl.Decimal(38, 2)) / 100).cast(AMOUNT),
            deducted=(pl.col("kept").cast(pl.Decimal(38, 2)) / 100).cast(AMOUNT),
            recovery_id=pl.when(pl.col("kept") > 0).then(pl.col("recovery_id")),
        )
        .drop("ceiling", "before", "kept", "left")
    )


def budget_overruns(payroll_id: int) -> list[dict]:
    """The municipal programmes whose payments of a year, in every payroll not cancelled, this
    one included, exceed the budget the council adopted: by how much. A payroll with any is
    not checked nor approved."""
    years = (
        Payment.objects.filter(
            payroll_id=payroll_id, status=PaymentStatus.DUE, programme__budget__isnull=False
        )
        .annotate(year=ExtractYear("month"))
        .values_list("programme_id", "year")
        .distinct()
    )
    found = []
    pairs = sorted(set(years))
    programmes = Programme.objects.in_bulk({programme_id for programme_id, _ in pairs})
    for programme_id, year in pairs:
        programme = programmes[programme_id]
        spent = spent_in_year(programme_id, year)
        if spent > programme.budget:
            found.append(
                {
                    "programme": programme,
                    "year": year,
                    "budget": programme.budget,
                    "committed": spent,
                    "over": spent - programme.budget,
                }
            )
    return found


def programmes_of(payroll: Payroll) -> list[int]:
    """The payroll's programme, or every active programme its preparer's office pays."""
    if payroll.programme_id is not None:
        return [payroll.programme_id]
    active = Programme.objects.filter(is_active=True)
    paid = permissions.processed(active, payroll.prepared_by, "municipality_id")
    return list(paid.order_by("pk").values_list("pk", flat=True))


def _summary(lines: pl.DataFrame, month: date) -> dict:
    by = (
        lines.with_columns(arrears=pl.col("month") < month)
        .group_by("programme_id", "status", "hold_reason", "arrears")
        .agg(count=pl.len(), total=pl.col("amount").sum())
        .sort("programme_id", "status", "hold_reason", "arrears")
    )
    codes = dict(Programme.objects.values_list("pk", "code"))
    due = lines.filter(pl.col("status") == PaymentStatus.DUE.value)
    return {
        "lines": lines.height,
        "due": due.height,
        "due_total": str(due["amount"].sum() if due.height else 0),
        "held": lines.height - due.height,
        "deducted_total": str(due["deducted"].sum() if due.height else 0),
        "groups": [
            row | {"programme": codes.get(row.pop("programme_id")), "total": str(row["total"])}
            for row in by.to_dicts()
        ],
    }


def payroll_execute(*, payroll: Payroll, progress=None) -> Payroll:
    """Prepare a payroll (the batch job): its lines written in one transaction with the
    payroll marked prepared; executing it again, or after a failure, writes once."""

    def work(job: JobContext) -> None:
        programme_ids = programmes_of(payroll)
        job.stage("reading", 10)
        lines = payroll_lines(month=payroll.month, programme_ids=programme_ids)
        job.stage("writing", 60)
        with transaction.atomic():
            # Payrolls of the same programmes take turns; each reads what the one before paid.
            list(Programme.objects.select_for_update().filter(pk__in=programme_ids))
            if job.finished_elsewhere():
                return
            first = lines["month"].min() or payroll.month
            paid = _paid(first, payroll.month, programme_ids)
            lines = lines.join(paid, on=KEY, how="anti", nulls_equal=True)
            lines = deducted(lines, _outstanding(), settings.PAYMENT_DEDUCTION_CAP)
            rows = lines.select(
                pl.lit(payroll.pk, dtype=pl.Int64).alias("payroll_id"),
                "enrolment_id",
                "programme_id",
                "household_id",
                "person_id",
                "payee_id",
                "month",
                "amount",
                "monthly",
                "deducted",
                "recovery_id",
                "decision_id",
                pl.col("account_id"),
                "status",
                "hold_reason",
                pl.lit("").alias("return_reason"),
            )
            write_frame(Payment._meta.db_table, rows)
            summary = _summary(lines, payroll.month)
            Payroll.objects.filter(pk=payroll.pk).update(step=PayrollStep.PREPARED)
            payroll.step = PayrollStep.PREPARED
            job.done(summary)
            bulk_run_log(
                actor=payroll.prepared_by,
                model=Payroll,
                job=f"payroll #{payroll.pk}",
                counts={
                    k: summary[k] for k in ("lines", "due", "due_total", "held", "deducted_total")
                },
            )

    return job_execute(payroll, work, progress=progress)
