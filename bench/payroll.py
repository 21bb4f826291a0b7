"""Payroll benchmark: a month's payroll of about 1,000,000 lines prepared, exported to the banks
and reconciled on PostgreSQL, against a plain COPY of the same lines.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench .venv/bin/python bench/payroll.py

The database must hold the registry bench/registry.py leaves and the decisions of an eligibility
run (bench/eligibility.py --only end-to-end leaves them). Set-up, untimed and idempotent (what
exists is kept): enrolments, in bulk from the run (a confirmed `BulkEnrolment` per programme,
each decision in force linked to its enrolment, as `bulk_enrolment_confirm` does), for the
entitled beneficiaries of the five state programmes, restricted to `--lines` (1,000,000) by a
seeded hash when there are more; payment accounts for their payees (bank accounts with valid
Georgian IBANs at five banks, some cash at the post office, a few payees with none), written
with COPY. Before each run the payment tables are emptied. Then, each step in its own child
process reporting its own peak memory (VmHWM):

1. prepare: `payroll_execute` of a new payroll of every programme for the month, started by an
   administrator (`payroll_start(..., enqueue=False)`); beside it, the plain COPY of the same
   lines (the same columns) into a copy of the payments table as it is, committed: ratio =
   COPY seconds / prepare seconds, the target's. For information, the same into an unindexed,
   unconstrained copy (the floor of any write, never-twice indexes left out). `--anatomy`: the
   same lines also into copies of the table with its indexes and foreign keys, and without
   UNUSED_INDEXES;
2. export: checked and approved by a second administrator (untimed), then `payroll_export`
   (pain.001 and CSV per bank);
3. reconcile: a camt.054 answering every bank line (1% returned, AC04 mostly) is written with
   lxml (untimed), then `reconciliation_apply`; its parts (parsing, checking, writing the
   answers) are timed inside it;
4. the next month's payroll, prepared as in 1: the same enrolments, the month before read as
   paid or returned; with `--year`, eleven months more, each approved, exported, answered and
   reconciled as in 2 and 3 and the next one prepared: a year on, the last one's arrears window
   (PAYROLL_ARREARS_MONTHS) holds twelve months of lines already paid;

and then (unless `--no-updates`) the reconciliation's writing is timed again beside the way it
was done before (`pk__in` lists).

See bench/README.md for measured figures.
"""

import argparse
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
os.environ.setdefault("DJANGO_DEBUG", "1")

WORK = ROOT / "var" / "bench-payroll"
SEED = 2026
# Georgian banks' codes (the IBAN's two letters) and the share of bank accounts at each.
BANKS = {"TB": 0.36, "BG": 0.34, "LB": 0.16, "PC": 0.08, "BS": 0.06}
CASH_SHARE = 0.10
NO_ACCOUNT_SHARE = 0.005
RETURNED_SHARE = 0.01
RETURN_REASONS = ["AC04", "AC04", "AC04", "MD07", "AC01"]
TARGETS = {"seconds": 30.0, "ratio": 0.50, "peak_mib": 2048.0}


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def setup():
    import django

    django.setup()


def say(text: str, started: float) -> None:
    print(f"  [{time.perf_counter() - started:6.1f} s] {text}", flush=True)


# Set-up (untimed) ---------------------------------------------------------------------------


def users():
    from django.contrib.auth import get_user_model

    manager = get_user_model().objects
    for username in ("bench_admin", "bench_admin2"):
        if not manager.filter(username=username).exists():
            manager.create_user(username, password=None, role="admin")
    return manager.get(username="bench_admin"), manager.get(username="bench_admin2")


def iban_check_digits(bank_code: str, accounts):
    """ISO 13616 check digits of Georgian IBANs `GEkk <bank_code> <16-digit account>`, for a
    NumPy array of account numbers (< 10^16): 98 - (BBAN + "GE00" as digits) mod 97."""
    letters = int("".join(str(ord(c) - 55) for c in bank_code))  # TB -> 2911
    rest = (letters % 97) * pow(10, 22, 97) + 161400 % 97  # "GE00" -> 161400
    return 98 - (rest + (accounts % 97) * pow(10, 6, 97)) % 97


def _entitled(month: date):
    """The decisions in force in `month` that entitle someone to a payment (eligible, with an
    amount), of the active state programmes."""
    import polars as pl

    from zrunva.core.bulk import read_frame
    from zrunva.programmes.models import Decision, Programme

    ids = list(
        Programme.objects.filter(is_active=True, municipality__isnull=True).values_list(
            "pk", flat=True
        )
    )
    sql = f"""
        SELECT id, programme_id, household_id, person_id, amount, run_id FROM
        {Decision._meta.db_table} WHERE status = 'eligible' AND amount > 0 AND period <= %s
        AND (until IS NULL OR until >= %s) AND programme_id IN ({", ".join(map(str, ids))})
    """  # noqa: S608 (a table name and ids of ours)
    schema = {
        "decision_id": pl.Int64,
        "programme_id": pl.Int64,
        "household_id": pl.Int64,
        "person_id": pl.Int64,
        "amount": pl.Decimal(12, 2),
        "run_id": pl.Int64,
    }
    return read_frame(sql, [month, month], schema)


def enrolments_create(month: date, lines: int, admin, admin2, started: float) -> dict:
    """Enrol, in bulk, `lines` of the entitled beneficiaries (all of them if fewer), from the
    month: one confirmed BulkEnrolment per programme, the enrolments written with COPY, and
    each decision in force linked to its enrolment (`enrolment_id`), as
    `bulk_enrolment_confirm` does. Skipped when the bench's enrolments exist."""
    import polars as pl
    from django.db import connection, transaction
    from django.utils import timezone

    from zrunva.applications.choices import BatchStatus
    from zrunva.applications.models import BulkEnrolment, Enrolment
    from zrunva.core.bulk import write_frame
    from zrunva.programmes.models import Decision, Run

    existing = Enrolment.objects.filter(batch__requested_by=admin).count()
    if existing:
        say(f"enrolments: {existing:,} exist, kept", started)
        return {"enrolments": existing, "entitled": None}
    entitled = _entitled(month)
    say(f"enrolments: {entitled.height:,} entitled beneficiaries in force on {month}", started)
    if entitled.height > lines:
        # Deterministic and proportional across programmes: the first `lines` by a seeded hash.
        entitled = (
            entitled.with_columns(
                h=pl.struct("programme_id", "household_id", "person_id").hash(seed=SEED)
            )
            .sort("h")
            .head(lines)
            .drop("h")
        )
    entitled = entitled.sort("programme_id", "household_id", "person_id")
    now = timezone.now()
    with transaction.atomic():
        batches = {}
        for programme_id, count in entitled.group_by("programme_id").len().rows():
            run_id = entitled.filter(pl.col("programme_id") == programme_id)["run_id"].max()
            batches[programme_id] = BulkEnrolment.objects.create(
                run=Run.objects.get(pk=run_id),
                programme_id=programme_id,
                starts=month,
                status=BatchStatus.CONFIRMED,
                gained=count,
                enrolled=count,
                requested_by=admin,
                decided_by=admin2,
                decided_at=now,
            ).pk
        table = Enrolment._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            first = cursor.fetchone()[0] + 1
        frame = entitled.with_columns(
            id=pl.int_range(first, first + entitled.height, dtype=pl.Int64),
            batch_id=pl.col("programme_id").replace_strict(batches, return_dtype=pl.Int64),
        )
        write_frame(
            table,
            frame.select(
                "id",
                "batch_id",
                pl.lit(None, dtype=pl.Int64).alias("application_id"),
                "programme_id",
                "household_id",
                "person_id",
                pl.col("amount").cast(pl.Decimal(10, 2)),
                pl.lit(month).alias("starts"),
                pl.lit(None, dtype=pl.Date).alias("ends"),
                pl.lit("").alias("end_reason"),
                pl.lit(None, dtype=pl.Int64).alias("ended_by_id"),
                pl.lit(admin2.pk, dtype=pl.Int64).alias("enrolled_by_id"),
                pl.lit(now.isoformat()).alias("created_at"),
            ),
        )
        say(f"enrolments: {frame.height:,} written with COPY", started)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}"  # noqa: S608
            )
            cursor.execute("CREATE TEMPORARY TABLE bench_link (id bigint, enrolment_id bigint)")
        write_frame(
            "bench_link",
            frame.select(pl.col("decision_id").alias("id"), pl.col("id").alias("enrolment_id")),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Decision._meta.db_table} d SET enrolment_id = l.enrolment_id "  # noqa: S608
                "FROM bench_link l WHERE d.id = l.id"
            )
            linked = cursor.rowcount
            cursor.execute("DROP TABLE bench_link")
    say(f"enrolments: {linked:,} decisions linked to their enrolment", started)
    counts = dict(frame.group_by("programme_id").len().rows())
    return {"enrolments": frame.height, "entitled": entitled.height, "by_programme": counts}


def accounts_create(month: date, admin, started: float) -> dict:
    """Payment accounts for the enrolments' payees (the person, or the household's head):
    bank accounts with valid IBANs at five banks, CASH_SHARE in cash at the post office of
    their municipality, NO_ACCOUNT_SHARE with none (their lines are held). Skipped when the
    payees have accounts."""
    import numpy as np
    import polars as pl
    from django.db import transaction
    from django.utils import timezone

    from zrunva.applications.models import Enrolment
    from zrunva.core.bulk import read_frame, write_frame
    from zrunva.geo.models import Municipality
    from zrunva.payments.models import PaymentAccount
    from zrunva.registry.models import Membership, Person

    if PaymentAccount.objects.exists():
        say(f"accounts: {PaymentAccount.objects.count():,} exist, kept", started)
        return {"accounts": PaymentAccount.objects.count()}
    e, m, p = Enrolment._meta.db_table, Membership._meta.db_table, Person._meta.db_table
    sql = f"""
        SELECT DISTINCT payee.id, payee.municipality_id FROM (
            SELECT COALESCE(e.person_id, h.person_id) AS id FROM {e} e
            LEFT JOIN {m} h ON e.person_id IS NULL AND h.household_id = e.household_id
                 AND h.relationship = 'head' AND h.end_date IS NULL
        ) x JOIN {p} payee ON payee.id = x.id
    """  # noqa: S608 (table names of ours)
    payees = read_frame(sql, [], {"person_id": pl.Int64, "municipality_id": pl.Int64})
    rng = np.random.default_rng(SEED)
    draw = rng.random(payees.height)
    bank_draw = rng.choice(list(BANKS), size=payees.height, p=list(BANKS.values()))
    has = draw >= NO_ACCOUNT_SHARE
    cash = has & (draw < NO_ACCOUNT_SHARE + CASH_SHARE)
    ids = payees["person_id"].to_numpy()
    account = ids.astype(np.int64)  # the 16-digit account number: unique per payee
    iban = np.full(payees.height, "", dtype=object)
    for code in BANKS:
        at = (bank_draw == code) & has & ~cash
        digits = iban_check_digits(code, account[at])
        iban[at] = [f"GE{k:02d}{code}{a:016d}" for k, a in zip(digits, account[at], strict=True)]
    names = dict(Municipality.objects.values_list("pk", "name_ka"))
    frame = payees.with_columns(
        method=pl.Series(np.where(cash, "cash", "bank")),
        iban=pl.Series(iban.astype(str)),
        has=pl.Series(has),
        post_office=pl.when(pl.Series(cash))
        .then(
            pl.col("municipality_id")
            .replace_strict(names, default="თბილისი", return_dtype=pl.String)
            .fill_null("თბილისი")
        )
        .otherwise(pl.lit("")),
    ).filter(pl.col("has"))
    now = timezone.now()
    with transaction.atomic():
        write_frame(
            PaymentAccount._meta.db_table,
            frame.select(
                "person_id",
                "method",
                "iban",
                pl.col("iban").str.slice(4, 2).alias("bank_code"),
                "post_office",
                pl.col("person_id").alias("holder_id"),
                pl.lit(None, dtype=pl.Int64).alias("representative_id"),
                pl.lit(month.replace(month=1)).alias("valid_from"),
                pl.lit(None, dtype=pl.Date).alias("valid_until"),
                pl.lit(admin.pk, dtype=pl.Int64).alias("recorded_by_id"),
                pl.lit(now.isoformat()).alias("recorded_at"),
                pl.lit("").alias("note"),
            ),
        )
    by = dict(frame.group_by("method").len().rows())
    say(
        f"accounts: {frame.height:,} written with COPY for {payees.height:,} payees "
        f"({by.get('bank', 0):,} bank, {by.get('cash', 0):,} cash, "
        f"{payees.height - frame.height:,} with none)",
        started,
    )
    return {"accounts": frame.height, "payees": payees.height, "by_method": by}


def payments_reset() -> None:
    """Empty the payment tables (payrolls, lines, bank files, answers) so each run prepares
    the month anew; ANALYZE what the set-up wrote."""
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE payments_reconciliation, payments_payrollfile, payments_payment, "
            "payments_payroll, payments_owedmonth, payments_trackedenrolments, "
            "payments_trackedmonth"
        )
        cursor.execute("DROP TABLE IF EXISTS bench_limit_payments")
        for table in (
            "applications_enrolment",
            "payments_paymentaccount",
            "programmes_decision",
            "registry_membership",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("CHECKPOINT")
    for sub in ("payrolls", "reconciliations"):
        shutil.rmtree(Path(settings.PRIVATE_MEDIA_ROOT) / sub, ignore_errors=True)


# Timed steps, each in a child process ------------------------------------------------------


def stage_prepare(month: date, payroll_id: int | None) -> dict:
    from django.contrib.auth import get_user_model

    from zrunva.payments.payroll import payroll_execute
    from zrunva.payments.services import payroll_start

    admin = get_user_model().objects.get(username="bench_admin")
    payroll = payroll_start(actor=admin, month=month, enqueue=False)
    started = time.perf_counter()
    payroll = payroll_execute(payroll=payroll)
    seconds = time.perf_counter() - started
    summary = payroll.summary
    return {
        "payroll_id": payroll.pk,
        "seconds": seconds,
        "lines": summary["lines"],
        "due": summary["due"],
        "held": summary["held"],
        "due_total": summary["due_total"],
        "timings": summary.get("timings", {}),
        "status": payroll.status,
        "peak_mib": peak_mib(),
    }


def _written_columns() -> str:
    """The payment line's columns the payroll writes (not its id, nor the generated `paying`)."""
    from zrunva.payments.models import Payment

    fields = Payment._meta.concrete_fields
    return ", ".join(f.column for f in fields if f.column != "id" and not f.generated)


def _lines_text(payroll_id: int) -> bytes:
    """The payroll's lines, the columns it writes, as COPY text (untimed)."""
    from django.db import connection

    from zrunva.payments.models import Payment

    query = (
        f"COPY (SELECT {_written_columns()} FROM {Payment._meta.db_table} "  # noqa: S608
        f"WHERE payroll_id = {int(payroll_id)}) TO STDOUT"
    )
    buffer = io.BytesIO()
    with connection.cursor() as cursor, cursor.cursor.copy(query) as copy:
        for block in copy:
            buffer.write(block)
    return buffer.getvalue()


def _copy_timed(target: str, text: bytes) -> float:
    """Seconds to COPY `text` (`_lines_text`) into `target` and commit, after a CHECKPOINT."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {target} ({_written_columns()}) FROM STDIN") as copy,
    ):
        copy.write(text)
    return time.perf_counter() - started


def stage_limit(month: date, payroll_id: int | None) -> dict:
    """The same lines, the same columns, COPYed from COPY text made beforehand and committed
    (after a CHECKPOINT each): into an unindexed, unconstrained copy of the payments table, and
    into a copy of it as it is (its indexes, unique and partial ones included, its checks, its
    generated column and fillfactor; no foreign key is checked for these lines: the only one
    left, `recovery`, is null)."""
    from django.db import connection

    from zrunva.payments.models import Payment

    table = Payment._meta.db_table
    columns = _written_columns()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_limit_payments")
        cursor.execute(
            f"CREATE TABLE bench_limit_payments AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608
        )
        cursor.execute("DROP TABLE IF EXISTS bench_limit_indexed")
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        options = cursor.fetchone()[0] or []
        storage = f" WITH ({', '.join(options)})" if options else ""
        cursor.execute(f"CREATE TABLE bench_limit_indexed (LIKE {table} INCLUDING ALL){storage}")
    text = _lines_text(payroll_id)
    times = {
        target: _copy_timed(target, text)
        for target in ("bench_limit_payments", "bench_limit_indexed")
    }
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_limit_payments")
        cursor.execute("DROP TABLE bench_limit_indexed")
    return {
        "seconds": times["bench_limit_payments"],
        "indexed_seconds": times["bench_limit_indexed"],
        "rows": text.count(b"\n"),
        "mib": len(text) / 2**20,
        "peak_mib": peak_mib(),
    }


def stage_export(month: date, payroll_id: int | None) -> dict:
    from django.contrib.auth import get_user_model

    from zrunva.payments.models import Payroll
    from zrunva.payments.services import payroll_export

    admin2 = get_user_model().objects.get(username="bench_admin2")
    payroll = Payroll.objects.get(pk=payroll_id)
    started = time.perf_counter()
    files = payroll_export(actor=admin2, payroll=payroll)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "files": [
            {
                "bank": f.bank_code,
                "kind": f.kind,
                "count": f.count,
                "total": str(f.total),
                "bytes": f.file.size,
            }
            for f in files
        ],
        "peak_mib": peak_mib(),
    }


def _statement_timer(times: dict):
    """A Django execute wrapper adding each UPDATE of the payments table's time to `times`."""

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if sql.startswith('UPDATE "payments_payment"'):
                times["updates"] = times.get("updates", 0.0) + time.perf_counter() - started
                times["update_statements"] = times.get("update_statements", 0) + 1

    return wrapper


def stage_reconcile(month: date, payroll_id: int | None) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.db import connection

    from zrunva.payments import reconcile, services
    from zrunva.payments.models import Payroll
    from zrunva.payments.services import reconciliation_apply

    admin2 = get_user_model().objects.get(username="bench_admin2")
    payroll = Payroll.objects.get(pk=payroll_id)
    parts: dict = {}

    def timed(name, function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                parts[name] = time.perf_counter() - started

        return run

    reconcile.parse_camt054 = timed("parsing", reconcile.parse_camt054)
    reconcile.check = timed("checking", reconcile.check)
    services.update_frame = timed("writing", services.update_frame)  # COPY and UPDATE
    path = WORK / "camt054.xml"
    started = time.perf_counter()
    with (
        connection.execute_wrapper(_statement_timer(parts)),
        path.open("rb") as handle,
    ):
        record = reconciliation_apply(
            actor=admin2, payroll=payroll, upload=File(handle, name="camt054.xml"), kind="camt054"
        )
    seconds = time.perf_counter() - started
    payroll.refresh_from_db()
    return {
        "seconds": seconds,
        "paid": record.paid,
        "returned": record.returned,
        "step": payroll.step,
        "parts": parts,
        "bytes": path.stat().st_size,
        "peak_mib": peak_mib(),
    }


def stage_updates(month: date, payroll_id: int | None) -> dict:
    """The reconciliation's UPDATEs alone, twice each way, on the payroll's bank lines put back
    to due in between (and vacuumed): as `reconciliation_apply` does them (`update_frame`: the
    answers COPYed into a temporary table, one UPDATE … FROM), and as it did before
    (`pk__in` lists: one for the paid, one per return reason)."""
    import polars as pl
    from django.db import connection, transaction

    from zrunva.core.bulk import read_frame, update_frame
    from zrunva.payments.models import Payment, Reconciliation

    record = Reconciliation.objects.filter(payroll_id=payroll_id).latest("pk")
    answers = read_frame(
        "SELECT id, status, return_reason FROM payments_payment WHERE reconciliation_id = %s",
        [record.pk],
        {"id": pl.Int64, "status": pl.String, "return_reason": pl.String},
    )

    def reset():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE payments_payment SET status = 'due', return_reason = '', "
                "reconciliation_id = NULL WHERE reconciliation_id = %s",
                [record.pk],
            )
            cursor.execute("VACUUM payments_payment")
            cursor.execute("CHECKPOINT")

    def lists():
        paid = answers.filter(pl.col("status") == "paid")["id"].to_list()
        Payment.objects.filter(pk__in=paid).update(status="paid", reconciliation=record)
        returned = answers.filter(pl.col("status") == "returned")
        for (reason,), group in returned.group_by("return_reason"):
            Payment.objects.filter(pk__in=group["id"].to_list()).update(
                status="returned", return_reason=reason, reconciliation=record
            )

    def joined():
        update_frame(
            Payment._meta.db_table, answers.with_columns(reconciliation_id=pl.lit(record.pk))
        )

    out = {"rows": answers.height}
    for name, way in (("join", joined), ("lists", lists), ("join_2", joined), ("lists_2", lists)):
        reset()
        started = time.perf_counter()
        with transaction.atomic():
            way()
        out[name] = time.perf_counter() - started
    out["peak_mib"] = peak_mib()
    return out


# Indexes the payments table keeps that no query filters on: `payment_payee_month` covers the
# payee; accounts, decisions, programmes and answers are not looked up from their payments
# (accounts and answers are never deleted).
UNUSED_INDEXES = (
    "payments_payment_payee_id_2bfdf88e",
    "payments_payment_account_id_af225a32",
    "payments_payment_decision_id_a2ba971c",
    "payments_payment_programme_id_39d2fd24",
    "payments_payment_reconciliation_id_07601676",
)


def stage_anatomy(month: date, payroll_id: int | None) -> dict:
    """Where preparing's write goes: the payroll's lines COPYed (from text made beforehand,
    after a CHECKPOINT) into copies of the payments table, each committed: with every index
    and check of the model, with and without its foreign keys (deferred, checked at commit, as
    Django declares them), and the same without UNUSED_INDEXES."""
    from django.db import connection

    from zrunva.payments.models import Payment

    table = Payment._meta.db_table
    text = _lines_text(payroll_id)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = %s::regclass AND contype = 'f'""",
            [table],
        )
        foreign_keys = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        indexes = dict(cursor.fetchall())
    out = {"rows": text.count(b"\n"), "indexes": len(indexes), "foreign_keys": len(foreign_keys)}
    variants = {
        "all_indexes_fks": (True, True),
        "all_indexes": (True, False),
        "used_indexes_fks": (False, True),
        "used_indexes": (False, False),
    }
    for name, (every, fks) in variants.items():
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_anatomy")
            cursor.execute(
                f"CREATE TABLE bench_anatomy (LIKE {table} INCLUDING DEFAULTS INCLUDING "
                "CONSTRAINTS INCLUDING IDENTITY INCLUDING GENERATED)"
            )
            for index, definition in indexes.items():
                if every or index not in UNUSED_INDEXES:
                    cursor.execute(
                        definition.replace(
                            f"INDEX {index} ON public.{table}",
                            f"INDEX bench_{index} ON public.bench_anatomy",
                        ).replace(
                            f"INDEX {index} ON {table}", f"INDEX bench_{index} ON bench_anatomy"
                        )
                    )
            for definition in foreign_keys if fks else ():
                cursor.execute(f"ALTER TABLE bench_anatomy ADD {definition}")
        out[name] = _copy_timed("bench_anatomy", text)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_anatomy")
    out["peak_mib"] = peak_mib()
    return out


STAGES = {
    "anatomy": stage_anatomy,
    "prepare": stage_prepare,
    "limit": stage_limit,
    "export": stage_export,
    "reconcile": stage_reconcile,
    "updates": stage_updates,
}


def child(stage: str, month: date, payroll_id: int | None = None) -> dict:
    command = [sys.executable, __file__, "--stage", stage, "--month", month.isoformat()]
    if payroll_id is not None:
        command += ["--payroll", str(payroll_id)]
    result = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
    return json.loads(result.stdout.strip().splitlines()[-1])


# The bank's answer (untimed) ---------------------------------------------------------------


def camt054_write(payroll_id: int, path: Path) -> dict:
    """A camt.054.001.08 debit notification from the agency's bank answering every bank line
    of the payroll, in the structure `reconcile.parse_camt054` reads: per bank, one booked
    entry of the batch with a TxDtls per paid line, and one entry of the returns (RRTN) with a
    TxDtls per returned line and its reason (RETURNED_SHARE of the lines, by a seeded draw)."""
    import numpy as np
    import polars as pl
    from django.conf import settings
    from lxml import etree
    from tqdm import tqdm

    from zrunva.core.bulk import read_frame

    lines = read_frame(
        """SELECT p.id, p.amount::text, p.month, a.bank_code FROM payments_payment p
           JOIN payments_paymentaccount a ON a.id = p.account_id
           WHERE p.payroll_id = %s AND p.status = 'due' AND a.method = 'bank' ORDER BY p.id""",
        [payroll_id],
        {"id": pl.Int64, "amount": pl.String, "month": pl.Date, "bank_code": pl.String},
    )
    rng = np.random.default_rng(SEED)
    returned = rng.random(lines.height) < RETURNED_SHARE
    reasons = rng.choice(RETURN_REASONS, size=lines.height)
    lines = lines.with_columns(
        returned=pl.Series(returned),
        reason=pl.Series(reasons),
        reference=pl.format("ZR-P{}-{}", "id", pl.col("month").dt.strftime("%Y%m")),
    )
    ns = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"
    bar = tqdm(total=lines.height, desc="camt.054", unit=" lines", mininterval=2, file=sys.stdout)

    def text(xf, tag, value, **attributes):
        element = etree.Element(tag, **attributes)
        element.text = value
        xf.write(element)

    with path.open("wb") as out, etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("Document", nsmap={None: ns}), xf.element("BkToCstmrDbtCdtNtfctn"):
            with xf.element("GrpHdr"):
                text(xf, "MsgId", f"BENCH-NTF-{payroll_id}")
                text(xf, "CreDtTm", "2026-12-05T10:00:00+04:00")
            with xf.element("Ntfctn"):
                text(xf, "Id", f"BENCH-NTF-{payroll_id}-1")
                text(xf, "CreDtTm", "2026-12-05T10:00:00+04:00")
                with xf.element("Acct"), xf.element("Id"):
                    text(xf, "IBAN", settings.PAYMENT_DEBTOR_IBAN)
                # One entry per bank of the paid lines, one of the returned: the summary of
                # their number and sum comes first, each entry's batch before its lines.
                entries = [
                    part
                    for group in lines.partition_by("bank_code", maintain_order=True)
                    for back in (False, True)
                    if not (part := group.filter(pl.col("returned") == back)).is_empty()
                ]
                money = pl.col("amount").cast(pl.Decimal(38, 2))
                totals = [part.select(money.sum()).item() for part in entries]
                with xf.element("TxsSummry"), xf.element("TtlNtries"):
                    text(xf, "NbOfNtries", str(len(entries)))
                    text(xf, "Sum", f"{sum(totals):.2f}")
                for part, total in zip(entries, totals, strict=True):
                    back = part["returned"][0]
                    with xf.element("Ntry"):
                        text(xf, "Amt", f"{total:.2f}", Ccy="GEL")
                        text(xf, "CdtDbtInd", "CRDT" if back else "DBIT")
                        with xf.element("Sts"):
                            text(xf, "Cd", "BOOK")
                        with xf.element("BookgDt"):
                            text(xf, "Dt", "2026-12-06" if back else "2026-12-05")
                        with xf.element("BkTxCd"), xf.element("Domn"):
                            text(xf, "Cd", "PMNT")
                            with xf.element("Fmly"):
                                text(xf, "Cd", "ICDT")
                                text(xf, "SubFmlyCd", "RRTN" if back else "ESCT")
                        with xf.element("NtryDtls"):
                            with xf.element("Btch"):
                                text(xf, "NbOfTxs", str(part.height))
                                text(xf, "TtlAmt", f"{total:.2f}", Ccy="GEL")
                            rows = part.select("reference", "amount", "reason").iter_rows()
                            for n, (reference, amount, reason) in enumerate(rows):
                                with xf.element("TxDtls"):
                                    with xf.element("Refs"):
                                        text(xf, "EndToEndId", reference)
                                    if back:
                                        with xf.element("AmtDtls"), xf.element("InstdAmt"):
                                            text(xf, "Amt", amount, Ccy="GEL")
                                        text(xf, "CdtDbtInd", "CRDT")
                                        with xf.element("RtrInf"), xf.element("Rsn"):
                                            text(xf, "Cd", reason)
                                    else:
                                        text(xf, "Amt", amount, Ccy="GEL")
                                        text(xf, "CdtDbtInd", "DBIT")
                                if n % 10000 == 9999:
                                    xf.flush()
                                    bar.update(10000)
    bar.close()
    return {
        "lines": lines.height,
        "returned": int(returned.sum()),
        "bytes": path.stat().st_size,
    }


# The run -----------------------------------------------------------------------------------


def _latest_run_month() -> date:
    from zrunva.programmes.models import Run

    run = Run.objects.filter(status="done", municipality__isnull=True).order_by("-pk").first()
    if run is None:
        raise SystemExit(
            "No eligibility run: run bench/eligibility.py --only end-to-end first (its first "
            "run writes the decisions enrolments are made from)."
        )
    return run.period


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", type=date.fromisoformat, help="default: the latest run's")
    parser.add_argument("--lines", type=int, default=1_000_000, help="enrolments at most")
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--payroll", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-updates", action="store_true", help="skip the UPDATE comparison after reconciling"
    )
    parser.add_argument(
        "--anatomy",
        action="store_true",
        help="also time the prepared lines' COPY into copies of the payments table (indexes, keys)",
    )
    parser.add_argument(
        "--year",
        action="store_true",
        help="then eleven months more reconciled, each next month's payroll prepared",
    )
    args = parser.parse_args()
    setup()
    if args.stage:
        print(json.dumps(STAGES[args.stage](args.month, args.payroll)))
        return
    from django.core.management import call_command
    from django.db import connection

    from zrunva.payments.models import Payroll
    from zrunva.payments.services import payroll_approve, payroll_check

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    print(f"Python {platform.python_version()}, PostgreSQL {server}, {os.cpu_count()} cores")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Load average at start (1, 5, 15 min): {load}")
    started = time.perf_counter()
    print("Set-up (untimed):")
    call_command("migrate", verbosity=0)
    month = args.month or _latest_run_month()
    admin, admin2 = users()
    enrolled = enrolments_create(month, args.lines, admin, admin2, started)
    accounts_create(month, admin, started)
    payments_reset()
    say("payment tables emptied; enrolments, accounts, decisions vacuumed and analysed", started)
    WORK.mkdir(parents=True, exist_ok=True)

    prepare = child("prepare", month)
    payroll_id = prepare["payroll_id"]
    print(
        f"1. prepare: payroll #{payroll_id} for {month:%Y-%m}: {prepare['lines']:,} lines "
        f"({prepare['due']:,} due, {prepare['held']:,} held, {prepare['due_total']} GEL due) "
        f"in {prepare['seconds']:.1f} s, {prepare['lines'] / prepare['seconds']:,.0f} lines/s; "
        f"stages {prepare['timings']}; peak {prepare['peak_mib']:.0f} MiB",
        flush=True,
    )
    limit = child("limit", month, payroll_id)
    ratio = limit["seconds"] / prepare["seconds"]
    ratio_indexed = limit["indexed_seconds"] / prepare["seconds"]
    print(
        f"   plain COPY of the same {limit['rows']:,} lines ({limit['mib']:.0f} MiB of COPY "
        f"text) into an unindexed, unconstrained copy, committed: {limit['seconds']:.1f} s, "
        f"{limit['rows'] / limit['seconds']:,.0f} lines/s; ratio COPY / prepare {ratio:.0%}",
        flush=True,
    )
    print(
        f"   plain COPY of the same lines into a copy of the payments table as it is (indexes, "
        f"checks, fillfactor), committed: {limit['indexed_seconds']:.1f} s, "
        f"{limit['rows'] / limit['indexed_seconds']:,.0f} lines/s; ratio COPY / prepare "
        f"{ratio_indexed:.0%}",
        flush=True,
    )

    if args.anatomy:
        anatomy = child("anatomy", month, payroll_id)
        print(
            f"   the same lines COPYed into copies of the payments table ({anatomy['indexes']} "
            f"indexes, {anatomy['foreign_keys']} foreign keys), committed: every index and key "
            f"{anatomy['all_indexes_fks']:.1f} s; every index, no key "
            f"{anatomy['all_indexes']:.1f} s; without the {len(UNUSED_INDEXES)} unused "
            f"indexes, with the keys {anatomy['used_indexes_fks']:.1f} s, without them "
            f"{anatomy['used_indexes']:.1f} s; peak {anatomy['peak_mib']:.0f} MiB",
            flush=True,
        )

    payroll = Payroll.objects.get(pk=payroll_id)
    payroll_check(actor=admin, payroll=payroll)
    payroll_approve(actor=admin2, payroll=payroll)
    export = child("export", month, payroll_id)
    written = sum(f["bytes"] for f in export["files"]) / 2**20
    bank_lines = sum(f["count"] for f in export["files"] if f["kind"] == "pain001")
    print(
        f"2. export: {len(export['files'])} files for {bank_lines:,} bank lines, "
        f"{written:,.0f} MiB written in {export['seconds']:.1f} s "
        f"({bank_lines / export['seconds']:,.0f} lines/s); peak {export['peak_mib']:.0f} MiB",
        flush=True,
    )
    for f in export["files"]:
        print(
            f"     {f['bank']} {f['kind']:8} {f['count']:>9,} lines {f['total']:>16} GEL "
            f"{f['bytes'] / 2**20:8.1f} MiB"
        )

    answer = camt054_write(payroll_id, WORK / "camt054.xml")
    print(
        f"   camt.054 written (untimed): {answer['lines']:,} lines, {answer['returned']:,} "
        f"returned, {answer['bytes'] / 2**20:.0f} MiB",
        flush=True,
    )
    rec = child("reconcile", month, payroll_id)
    parts = ", ".join(
        f"{k} {v:.1f} s" if isinstance(v, float) else f"{k} {v}" for k, v in rec["parts"].items()
    )
    print(
        f"3. reconcile: {rec['paid']:,} paid, {rec['returned']:,} returned in "
        f"{rec['seconds']:.1f} s ({(rec['paid'] + rec['returned']) / rec['seconds']:,.0f} "
        f"lines/s; {parts}); payroll {rec['step']}; peak {rec['peak_mib']:.0f} MiB",
        flush=True,
    )
    # The next month's payroll: the same enrolments a month on, December's lines read as
    # already paid (or returned, held until the account is corrected) in the arrears window.
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    after = child("prepare", following)
    print(
        f"4. the next month's payroll, #{after['payroll_id']} for {following:%Y-%m}: "
        f"{after['lines']:,} lines ({after['due']:,} due, {after['held']:,} held) in "
        f"{after['seconds']:.1f} s, {after['lines'] / after['seconds']:,.0f} lines/s; stages "
        f"{after['timings']}; peak {after['peak_mib']:.0f} MiB",
        flush=True,
    )
    year = []
    if args.year:
        # A year on: each month's payroll approved, sent and answered as above, then the next
        # one prepared, until the arrears window is full of months already paid.
        current, latest = following, after
        for _ in range(11):
            payroll = Payroll.objects.get(pk=latest["payroll_id"])
            payroll_check(actor=admin, payroll=payroll)
            payroll_approve(actor=admin2, payroll=payroll)
            sent = child("export", current, payroll.pk)
            camt054_write(payroll.pk, WORK / "camt054.xml")
            answered = child("reconcile", current, payroll.pk)
            current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
            latest = child("prepare", current)
            year.append((current, latest))
            print(
                f"   {current:%Y-%m}: {latest['lines']:,} lines prepared in "
                f"{latest['seconds']:.1f} s (stages {latest['timings']}; peak "
                f"{latest['peak_mib']:.0f} MiB); the month before sent in {sent['seconds']:.1f} "
                f"s and reconciled in {answered['seconds']:.1f} s",
                flush=True,
            )
    updates = None
    if not args.no_updates:
        updates = child("updates", month, payroll_id)
        print(
            f"   the UPDATEs alone, {updates['rows']:,} answers: update_frame (COPY into a "
            f"temporary table + UPDATE … FROM) {updates['join']:.1f} and "
            f"{updates['join_2']:.1f} s; pk__in lists, as before, {updates['lists']:.1f} and "
            f"{updates['lists_2']:.1f} s; "
            f"peak {updates['peak_mib']:.0f} MiB",
            flush=True,
        )

    rows = [
        ("prepare", prepare["seconds"], prepare["lines"], prepare["peak_mib"]),
        (
            "plain COPY into the table as it is",
            limit["indexed_seconds"],
            limit["rows"],
            limit["peak_mib"],
        ),
        ("plain COPY, unindexed table", limit["seconds"], limit["rows"], limit["peak_mib"]),
        ("export", export["seconds"], bank_lines, export["peak_mib"]),
        ("reconcile", rec["seconds"], rec["paid"] + rec["returned"], rec["peak_mib"]),
        ("prepare, next month", after["seconds"], after["lines"], after["peak_mib"]),
    ]
    if year:
        last_month, last = year[-1]
        rows.append(
            (f"prepare, a year on ({last_month:%Y-%m})", last["seconds"], last["lines"],
             last["peak_mib"])
        )  # fmt: skip
    print()
    print(
        f"| step | seconds | lines | lines/s | peak MiB | ≤ {TARGETS['seconds']:.0f} s | ≤ 2 GiB |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    for name, seconds, count, peak in rows:
        timed = not name.startswith("plain COPY")
        print(
            f"| {name} | {seconds:.1f} | {count:,} | {count / seconds:,.0f} | {peak:.0f} | "
            f"{verdict(seconds <= TARGETS['seconds']) if timed else ''} | "
            f"{verdict(peak <= TARGETS['peak_mib']) if timed else ''} |"
        )
    # The target's COPY writes into the payments table as it is: what preparing itself must
    # write into, its never-twice unique indexes included (the issue requires them; the table
    # keeps no index a query does not read). An unindexed table's rate is printed beside it,
    # for information only: no write the never-twice indexes check can reach half of it.
    print(
        f"Ratio plain COPY into the payments table as it is / prepare: {ratio_indexed:.0%} "
        f"(target ≥ {TARGETS['ratio']:.0%}): {verdict(ratio_indexed >= TARGETS['ratio'])}; "
        f"for information, against the COPY into an unindexed table: {ratio:.0%}"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Enrolments: {enrolled['enrolments']:,}; load average at the end: {load}")
    print(f"Run time {(time.perf_counter() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
