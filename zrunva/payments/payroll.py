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

Each month of the window is read whole once, by the payroll of its month (or, where none has
been, by the next one). After that a payroll reads only the months an enrolment may still be
owed (`OwedMonth`): those it held or, as arrears, found the rules did not pay then, and those
whose payment was returned, held back or cancelled afterwards (`owe`, `untrack`, called where
a line stops counting as made); and, once, the window of an enrolment made since
(`TrackedEnrolments`). The months it reads are those reading every month would find owed (the
tests compare the two), at the cost of the few lines owed rather than of the window.

A month under a suspension in force is held. Once the suspension is lifted its months are paid
as arrears (even beyond the arrears window) or, if the officer cancelled them, not at all. An
approved recovery (overpayment) of the payee is deducted from their due lines, oldest first, at
most `PAYMENT_DEDUCTION_CAP` of each line, until it is repaid.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import polars as pl
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import ExtractYear

from zrunva.accounts import permissions
from zrunva.applications.selectors import enrolment_spans, enrolments_of_month, enrolments_of_months
from zrunva.core.bulk import (
    delete_frame,
    merge_frame,
    query_frame,
    read_frame,
    soon,
    staged,
    write_frame,
)
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
from zrunva.payments.models import (
    OwedMonth,
    Payment,
    PaymentAccount,
    Payroll,
    Recovery,
    Suspension,
    TrackedEnrolments,
    TrackedMonth,
)
from zrunva.payments.selectors import spent_in_year
from zrunva.programmes.choices import DecisionStatus
from zrunva.programmes.models import Programme
from zrunva.registry.models import Representative

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


def _accounts(on: date) -> pl.DataFrame:
    """Every account valid on `on`, by its beneficiary (the payroll joins its payees to them),
    and whether it is held by a representative whose mandate is not valid on `on` (`lapsed`):
    such an account is not paid into until an officer records where the money goes now."""
    schema = {"payee_id": pl.Int64, "account_id": pl.Int64, "lapsed": pl.Boolean}
    accounts, mandates = PaymentAccount._meta.db_table, Representative._meta.db_table
    sql = f"""
        SELECT a.person_id, a.id, CASE WHEN a.representative_id IS NULL THEN 0
                   WHEN r.valid_from <= %s AND (r.valid_until IS NULL OR r.valid_until >= %s)
                   THEN 0 ELSE 1 END
        FROM {accounts} a LEFT JOIN {mandates} r ON r.id = a.representative_id
        WHERE a.valid_from <= %s AND (a.valid_until IS NULL OR a.valid_until >= %s)
    """  # noqa: S608 (table names of ours; dates bound)
    return read_frame(sql, [on, on, on, on], schema)


def _whole(whole: dict[date, list[int]]) -> str:
    """A condition on lines `p` of the months read whole, each of its programmes: found through
    the payrolls that could hold them (a line's month is never after its payroll's), not by
    reading the lines of every month."""
    payrolls = Payroll._meta.db_table
    cancelled = PayrollStep.CANCELLED.value
    since = min(whole).isoformat()
    months = " OR ".join(
        f"(p.month = '{each.isoformat()}' AND p.programme_id IN ({_listed(ids)}))"
        for each, ids in sorted(whole.items())
    )
    return f"""({months}) AND p.payroll_id IN (
        SELECT id FROM {payrolls} WHERE month >= '{since}' AND step <> '{cancelled}')"""  # noqa: S608 (a table name, dates and codes of ours)


LINE_SCHEMA = {
    "programme_id": pl.Int64,
    "household_id": pl.Int64,
    "person_id": pl.Int64,
    "month": pl.Date,
}


def _lines_found(read: "Read", status: str, joins: list[str], extra: dict) -> pl.DataFrame:
    """Lines whose `status` (a condition on `p`) of what the payroll read: in the months read
    whole, and those of the beneficiary-months read by enrolment (`read.pairs`, staged as `s`),
    each of `joins` (a condition on `p` and `s`) followed through an index of its own."""
    table = Payment._meta.db_table
    select = ", ".join(f"p.{c}" for c in [*KEY, *extra.values()])
    schema = LINE_SCHEMA | dict.fromkeys(extra, pl.Int64)
    whole = f"SELECT {select} FROM {table} p WHERE {status} AND {_whole(read.whole)}"  # noqa: S608
    found = [read_frame(whole, [], schema)]
    if not read.pairs.is_empty():
        # On Django's connection, in a transaction: where the staged pairs are.
        with transaction.atomic(), staged(table, read.pairs, "read") as pairs:
            for join in joins:
                sql = f"SELECT {select} FROM {table} p JOIN {pairs} s ON {join} WHERE {status}"  # noqa: S608
                found.append(read_frame(sql, [], schema))
    return pl.concat(found).unique()


def _paid(read: "Read") -> pl.DataFrame:
    """Beneficiary-months of what the payroll read already due or paid in a payroll: found
    through the never-twice indexes (a person's, a household's)."""
    same = "p.programme_id = s.programme_id AND p.month = s.month"
    return _lines_found(
        read,
        "p.paying",
        [
            f"p.person_id = s.person_id AND {same}",
            f"s.person_id IS NULL AND p.household_id = s.household_id AND {same} "
            "AND p.person_id IS NULL",
        ],
        {},
    )


def _returned_to(read: "Read") -> pl.DataFrame:
    """The accounts the payments of what the payroll read were returned from: found through
    the index of the lines returned (those with a reason)."""
    returned = PaymentStatus.RETURNED.value
    return _lines_found(
        read,
        f"NOT (p.return_reason = '') AND p.status = '{returned}'",
        ["p.household_id = s.household_id AND p.month = s.month"],
        {"returned_account_id": "account_id"},
    )


def _listed(ids) -> str:
    return ", ".join(str(int(i)) for i in ids) or "NULL"


def _tracked_months(programme_ids: list[int], first: date, last: date) -> set[tuple[int, date]]:
    found = TrackedMonth.objects.filter(
        programme_id__in=programme_ids, month__range=(first, last)
    ).values_list("programme_id", "month")
    return set(found)


def _untracked(enrolments: pl.DataFrame) -> pl.DataFrame:
    """The rows of these enrolments that no tracked run covers (the runs never overlap: each
    is of ids no run covered)."""
    sql = f"SELECT first_id, last_id FROM {TrackedEnrolments._meta.db_table}"  # noqa: S608
    runs = read_frame(sql, [], {"first_id": pl.Int64, "last_id": pl.Int64})
    if runs.is_empty():
        return enrolments
    covered = (
        enrolments.select("enrolment_id")
        .unique()
        .sort("enrolment_id")
        .join_asof(runs.sort("first_id"), left_on="enrolment_id", right_on="first_id")
        .filter(pl.col("enrolment_id") <= pl.col("last_id"))
    )
    return enrolments.join(covered.select("enrolment_id"), on="enrolment_id", how="anti")


def _runs(ids: pl.Series) -> pl.DataFrame:
    """Runs of consecutive ids (`first_id`, `last_id`)."""
    ids = ids.unique().sort()
    return (
        ids.to_frame("id")
        .with_columns(run=pl.col("id") - pl.int_range(pl.len(), dtype=pl.Int64))
        .group_by("run")
        .agg(first_id=pl.col("id").min(), last_id=pl.col("id").max())
        .select("first_id", "last_id")
    )


def _owed(programme_ids: list[int], first: date, last: date) -> pl.DataFrame:
    sql = f"""
        SELECT id, enrolment_id, month FROM {OwedMonth._meta.db_table}
        WHERE programme_id IN ({_listed(programme_ids)}) AND month BETWEEN %s AND %s
    """  # noqa: S608 (a table name and ids of ours; dates bound)
    return read_frame(
        sql, [first, last], {"owed_id": pl.Int64, "enrolment_id": pl.Int64, "month": pl.Date}
    )


def _months_of(spans: pl.DataFrame, first: date, last: date) -> pl.DataFrame:
    """(enrolment_id, programme_id, month): the months from `first` to `last` each span covers."""
    starts = pl.max_horizontal(pl.col("starts").dt.truncate("1mo"), pl.lit(first))
    ends = pl.min_horizontal(pl.col("ends").dt.truncate("1mo").fill_null(last), pl.lit(last))
    return (
        spans.filter(starts <= ends)
        .with_columns(month=pl.date_ranges(starts, ends, "1mo"))
        .explode("month")
        .select("enrolment_id", "programme_id", "month")
    )


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


@dataclass
class Read:
    """What a payroll read before taking its lock: the lines it would hold now, before the
    already-paid check, and what tells it which months are owed. This month is read whole, as
    is each earlier month of the arrears window no payroll has tracked for a programme
    (`whole`). Of the tracked months, only the enrolments' `OwedMonth` rows are read, with the
    window of each enrolment no payroll has read (`untracked`). The already-paid check looks
    for the lines of the months read whole, and of the beneficiary-months read (`pairs`)."""

    month: date
    programme_ids: list[int]
    lines: pl.DataFrame = field(repr=False)
    # Every (enrolment, month) of the window read, entitled or not, with its beneficiary.
    considered: pl.DataFrame = field(repr=False)
    owed: pl.DataFrame = field(repr=False)
    untracked: pl.DataFrame = field(repr=False)
    whole: dict[date, list[int]]
    # The beneficiary-months read by enrolment (`KEY`).
    pairs: pl.DataFrame = field(repr=False)


def payroll_read(*, month: date, programme_ids: list[int]) -> Read:
    """What a payroll for `month` reads (`Read`): this month's lines (due or held) and the
    arrears of earlier months (due only, or held for a reason other than the rules): of the
    arrears window, and the months a lifted suspension released before it."""
    entitled = (pl.col("status") == DecisionStatus.ELIGIBLE.value) & (pl.col("amount") > 0)
    window = months_back(month, settings.PAYROLL_ARREARS_MONTHS)
    first, earlier = window[0], window[:-1]
    suspensions = _suspensions(programme_ids)
    # The enrolments no payroll has tracked, read before this month's: any of them covering
    # it is then among this month's too, so that all their window is read when tracked.
    last = month + relativedelta(months=1, days=-1)
    spans = enrolment_spans(programme_ids=programme_ids, first=first, last=last)
    # This month's enrolments and the accounts are read beside what follows (connections of
    # their own where there is no transaction open), this month's started after the spans.
    this_month = soon(enrolments_of_month, month=month, programme_ids=programme_ids)
    valid_accounts = soon(_accounts, month)
    untracked = _untracked(spans)
    whole = {month: programme_ids}
    owed = _owed(programme_ids, first, month)
    pairs = [owed.select("enrolment_id", "month")]
    frames = []
    if earlier:
        tracked = _tracked_months(programme_ids, first, earlier[-1])
        for each in earlier:
            ids = [p for p in programme_ids if (p, each) not in tracked]
            if ids:
                whole[each] = ids
                frame = enrolments_of_month(month=each, programme_ids=ids)
                frames.append(frame.with_columns(month=pl.lit(each, dtype=pl.Date)))
        pairs.append(_months_of(untracked, first, earlier[-1]).select("enrolment_id", "month"))
    untracked = untracked.select("enrolment_id")
    released = _released(month, suspensions)
    pairs.append(released)
    # The months read whole are not read again by enrolment.
    unread = pl.DataFrame(
        [(p, m) for m, ids in whole.items() for p in ids],
        schema={"programme_id": pl.Int64, "month": pl.Date},
        orient="row",
    )
    by_enrolment = enrolments_of_months(pairs=pl.concat(pairs).unique()).join(
        unread, on=["programme_id", "month"], how="anti"
    )
    frames = [this_month().with_columns(month=pl.lit(month, dtype=pl.Date)), *frames]
    frames.append(by_enrolment)
    read = pl.concat(frames, how="diagonal_relaxed")
    # Months a lifted suspension cancelled are not owed; those of one in force are held.
    read = read.join(_suspended(read, suspensions), on=["enrolment_id", "month"], how="left")
    read = read.filter(
        pl.col("suspension").is_null() | (pl.col("suspension") != SuspensionOutcome.CANCELLED.value)
    )
    considered = read.filter(pl.col("month") >= first).select("enrolment_id", *KEY)
    # Arrears: only what the beneficiary was entitled to then.
    lines = read.filter((pl.col("month") == month) | entitled)
    lines = lines.join(valid_accounts(), on="payee_id", how="left")
    result = Read(
        month=month,
        programme_ids=programme_ids,
        lines=lines,
        considered=considered,
        owed=owed,
        untracked=untracked,
        whole=whole,
        pairs=by_enrolment.select(KEY).unique(),
    )
    # A payment the bank returned is paid again only to another account (a corrected one).
    bounced = (
        lines.join(_returned_to(result), on=KEY, how="inner", nulls_equal=True)
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
        .when(pl.col("lapsed"))
        .then(pl.lit(HoldReason.MANDATE.value))
        .when(pl.col("bounced"))
        .then(pl.lit(HoldReason.RETURNED.value))
        .otherwise(pl.lit(""))
    )
    monthly = pl.when(eligible).then(pl.col("amount")).otherwise(pl.lit(0).cast(AMOUNT))
    result.lines = lines.with_columns(hold_reason=reason, monthly=monthly).with_columns(
        status=pl.when(pl.col("hold_reason") == "")
        .then(pl.lit(PaymentStatus.DUE.value))
        .otherwise(pl.lit(PaymentStatus.HELD.value)),
        amount=prorated(pl.col("monthly"), pl.col("month"), pl.col("ends")),
    )
    return result


def _track(read: Read, written: pl.DataFrame, paid: pl.DataFrame) -> None:
    """Keep what the payroll read tracked, in its transaction: each (enrolment, month) of the
    window it read that is neither due now, nor paid before, nor cancelled by a suspension is
    owed (its row added); the owed rows it read that no longer are, deleted; the months it read
    whole and the enrolments it read the window of, tracked from now on."""
    first = months_back(read.month, settings.PAYROLL_ARREARS_MONTHS)[0]
    pair = ["enrolment_id", "month"]
    due = written.filter(pl.col("status") == PaymentStatus.DUE.value).select(pair)
    owed = (
        read.considered.join(paid, on=KEY, how="anti", nulls_equal=True)
        .join(due, on=pair, how="anti")
        .select(*pair, "programme_id")
        .unique()
    )
    delete_frame(
        OwedMonth._meta.db_table,
        read.owed.join(owed, on=pair, how="anti").select(id=pl.col("owed_id")),
    )
    merge_frame(OwedMonth._meta.db_table, owed.join(read.owed, on=pair, how="anti"))
    OwedMonth.objects.filter(programme_id__in=read.programme_ids, month__lt=first).delete()
    months = pl.DataFrame(
        [(p, m) for m, ids in read.whole.items() for p in ids],
        schema={"programme_id": pl.Int64, "month": pl.Date},
        orient="row",
    )
    merge_frame(TrackedMonth._meta.db_table, months)
    # Tracked enrolments are written only under their programmes' locks, held here: those
    # still untracked are found again and written as runs of ids (a first payroll's million
    # in a few rows).
    untracked = _untracked(read.untracked)
    write_frame(TrackedEnrolments._meta.db_table, _runs(untracked["enrolment_id"]))


def owe(lines: QuerySet) -> int:
    """Record the months of these lines as owed (`OwedMonth`), in the caller's transaction,
    before they stop counting as made: a payment returned by the bank or held back, or an
    arrears line of a payroll cancelled. Returns the rows added."""
    columns = ("enrolment_id", "programme_id", "month")
    found = query_frame(
        lines.values_list(*columns),
        {"enrolment_id": pl.Int64, "programme_id": pl.Int64, "month": pl.Date},
    )
    return merge_frame(OwedMonth._meta.db_table, found.unique())


def untrack(payroll: Payroll) -> None:
    """A payroll cancelled, in the caller's transaction: its arrears months owed again, and its
    month read whole by the next payroll (its lines there are no longer the month's record)."""
    owe(payroll.payments.filter(status__in=PAYING, month__lt=payroll.month))
    TrackedMonth.objects.filter(month=payroll.month).delete()


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
    paid. Sorted by payee, month, programme and enrolment."""
    order = ["payee_id", "month", "programme_id", "enrolment_id"]
    # Only the lines of payees with something to recover are worked out (few): the rest are
    # paid whole. All are returned in `order`, as before: the lines are written in it.
    owing = lines.join(outstanding.select("payee_id"), on="payee_id", how="semi")
    whole = lines.join(outstanding.select("payee_id"), on="payee_id", how="anti").with_columns(
        amount=pl.col("amount").cast(AMOUNT),
        deducted=pl.lit(0).cast(AMOUNT),
        recovery_id=pl.lit(None, dtype=pl.Int64),
    )
    basis_points = int(cap * 10000)
    tetri = (pl.col("amount") * 100).cast(pl.Int64)
    owing = owing.join(outstanding, on="payee_id", how="left").with_columns(
        ceiling=pl.when(
            (pl.col("status") == PaymentStatus.DUE.value) & pl.col("recovery_id").is_not_null()
        )
        .then(tetri * basis_points // 10000)
        .otherwise(0)
    )
    owing = owing.sort(order).with_columns(
        before=pl.col("ceiling").cum_sum().over("payee_id") - pl.col("ceiling")
    )
    kept = pl.min_horizontal(
        pl.col("ceiling"), pl.max_horizontal(pl.col("left").fill_null(0) - pl.col("before"), 0)
    )
    owing = (
        owing.with_columns(kept=kept)
        .with_columns(
            amount=((tetri - pl.col("kept")).cast(pl.Decimal(38, 2)) / 100).cast(AMOUNT),
            deducted=(pl.col("kept").cast(pl.Decimal(38, 2)) / 100).cast(AMOUNT),
            recovery_id=pl.when(pl.col("kept") > 0).then(pl.col("recovery_id")),
        )
        .drop("ceiling", "before", "kept", "left")
    )
    return pl.concat([whole, owing.select(whole.columns)]).sort(order)


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
        read = payroll_read(month=payroll.month, programme_ids=programme_ids)
        job.stage("writing", 60)
        with transaction.atomic():
            # Payrolls of the same programmes take turns; each reads what the one before paid.
            list(Programme.objects.select_for_update().filter(pk__in=programme_ids))
            if job.finished_elsewhere():
                return
            paid = _paid(read)
            lines = read.lines.join(paid, on=KEY, how="anti", nulls_equal=True)
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
            _track(read, lines, paid)
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

    done = job_execute(payroll, work, progress=progress)
    if connection.vendor == "postgresql":
        # A million lines more: the planner's statistics of the table refreshed now (as after
        # any bulk load), not whenever autovacuum comes, so that the next payroll's lookups by
        # beneficiary and month go through the indexes.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Payment._meta.db_table}")
    return done
