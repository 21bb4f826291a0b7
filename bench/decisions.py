"""The eligibility decisions partitioned by month, against one plain table (issue 19, item 4):
the national run at 1M households on both layouts, with years of monthly decisions stored.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench_decisions \\
        .venv/bin/python bench/decisions.py --households 1000000 --years 3

The database named in DATABASE_URL (its name must contain "bench") is dropped, created and
migrated, unless `--keep` (then the registry it holds is used; one is generated if it holds
fewer households). Untimed set-up: the registry (`population_generate`), assessments and the
snapshot, as bench/scaling.py does. Then `--rounds` times each layout, in turns (plain first in
odd rounds, partitioned first in even ones), on the same registry:

1. the decisions emptied and the history written: for each month of `--years` years before
   this one, `--share` of the households (chosen by a hash of the id, the month and `--seed`:
   the same on both layouts) get a closed decision of that month (period = until) for one of
   the national programmes, as months of runs' changes leave behind;
2. the table rebuilt over the history, timed (`DECISIONS.rebuild`): for the partitioned layout
   what migration programmes 0015 does on an upgrade; for both, indexes built once, as a
   migration leaves them;
3. four national runs (`run_execute`), each timed with its stages after `VACUUM ANALYZE` and a
   checkpoint: the first for this month (no decision in force: every eligible beneficiary
   written), the same month again (nothing changed), next month after `--share` of the
   decisions in force had their amount nudged (hashed as above: the run closes those rows in
   this month's partition and writes next month's: `runs._close`), and next month again after
   the same nudge of next month's rows (the run replaces them: `runs._delete`);
4. reads: one household's decisions, all months (the household page, `decision_household_idx`
   on every partition), for `--lookups` random households on one connection, and a twentieth
   of them each as the first query of a new connection (CONN_MAX_AGE 0, Django's default: the
   planner's caches are cold); the decisions in force for next month, summed by programme
   (what payroll reads), with the partitions in its plan.

The ratio is partitioned ÷ plain for each figure, measured in the same run on the same data.
"""

import argparse
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(BENCH)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

GIB = 1024**3


def sql(statement: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def registry(args) -> None:
    """The registry, assessments and snapshot (untimed), through bench/scaling.py's stages."""
    import scaling

    scaling.database_ready(os.environ["DATABASE_URL"], args.keep)
    stored = scaling.households_stored()
    if stored < args.households:
        print(f"Loading {args.households - stored:,} households (seed {args.seed})", flush=True)
        scaling.child("load", args, households=args.households - stored)
    prepared = scaling.child("prepare", args)
    print(
        f"Set-up: {prepared['assessments']:,} assessments added, snapshot refreshed; database "
        f"{prepared['database_bytes'] / GIB:.1f} GiB",
        flush=True,
    )


def history(args, this_month: date) -> int:
    """Closed decisions for `--share` of the households in each month of the years before."""
    from zrunva.core.partitions import add_months

    programmes = [
        pk
        for (pk,) in sql(
            "SELECT id FROM programmes_programme WHERE municipality_id IS NULL ORDER BY id"
        )
    ]
    sql("TRUNCATE programmes_decisionchange, programmes_decision, programmes_run CASCADE")
    run = _history_run(add_months(this_month, -12 * args.years))
    written = 0
    for n in range(12 * args.years, 0, -1):
        month = add_months(this_month, -n)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO programmes_decision (period, until, status, reason, amount, missing,
                    household_id, person_id, programme_id, run_id)
                SELECT %s, %s, 'eligible', 'eligible', 100 + (h.id %% 50), '[]', h.id, NULL,
                       (%s::bigint[])[1 + (h.id %% %s)], %s
                FROM registry_household h
                WHERE abs(hashint8(h.id * 1000 + %s)) %% 1000000 < %s
                """,
                [
                    month,
                    month,
                    programmes,
                    len(programmes),
                    run,
                    n + args.seed,
                    round(args.share * 1_000_000),
                ],
            )
            written += cursor.rowcount
    return written


def _history_run(on: date) -> int:
    """A finished run to be the history rows' basis (the table wants one)."""
    from django.contrib.auth import get_user_model

    from zrunva.programmes.choices import RunStatus
    from zrunva.programmes.models import Run

    actor = get_user_model().objects.get(username="bench_admin")
    run = Run.objects.create(on=on, started_by=actor)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.DONE)
    return run.pk


def national_run(on: date) -> dict:
    from django.contrib.auth import get_user_model

    from zrunva.programmes.runs import run_execute, run_start

    actor = get_user_model().objects.get(username="bench_admin")
    seconds, run = timed(lambda: run_execute(run=run_start(actor=actor, on=on, enqueue=False)))
    return {
        "seconds": seconds,
        "changed": run.summary["changed"],
        "timings": run.summary["timings"],
    }


def nudge(period: date, share: float, seed: int) -> int:
    """Change the amount of `share` of the eligible decisions in force from `period`, so that the
    next run finds them changed (the registry says otherwise) and rewrites them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE programmes_decision SET amount = amount + 1 WHERE period = %s AND until IS "
            "NULL AND status = 'eligible' AND amount IS NOT NULL AND abs(hashint8(household_id "
            "* 100 + programme_id + coalesce(person_id, 0) * 7 + %s)) %% 1000000 < %s",
            [period, seed, round(share * 1_000_000)],
        )
        changed = cursor.rowcount
    settle()
    return changed


def settle() -> None:
    """The same start for each timed step on both layouts: statistics, visibility, no dirty
    pages left for the step to write."""
    sql("VACUUM ANALYZE programmes_decision")
    sql("CHECKPOINT")


def lookups(count: int, seed: int) -> dict:
    ids = [pk for (pk,) in sql("SELECT id FROM registry_household")]
    picked = random.Random(seed).sample(ids, min(count, len(ids)))  # noqa: S311 (a benchmark)
    times = []
    rows = 0
    with connection.cursor() as cursor:
        for pk in picked:
            started = time.perf_counter()
            cursor.execute(
                "SELECT * FROM programmes_decision WHERE household_id = %s ORDER BY period", [pk]
            )
            rows += len(cursor.fetchall())
            times.append(time.perf_counter() - started)
    # A request on a new connection (CONN_MAX_AGE 0, Django's default) plans with cold caches.
    cold = []
    for pk in picked[: max(count // 20, 20)]:
        connection.close()
        connection.ensure_connection()
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(
                "SELECT * FROM programmes_decision WHERE household_id = %s ORDER BY period", [pk]
            )
            cursor.fetchall()
            cold.append(time.perf_counter() - started)
    return {
        "median_ms": statistics.median(times) * 1000,
        "p95_ms": statistics.quantiles(times, n=20)[-1] * 1000,
        "cold_ms": statistics.median(cold) * 1000,
        "rows": rows / len(picked),
    }


def in_force(month: date) -> dict:
    query = (
        "SELECT programme_id, count(*), sum(amount) FROM programmes_decision WHERE period <= %s "
        "AND (until IS NULL OR until >= %s) AND status = 'eligible' GROUP BY programme_id"
    )
    seconds, _ = timed(lambda: sql(query, [month, month]))
    plan = "\n".join(row[0] for row in sql("EXPLAIN " + query, [month, month]))
    scanned = set(re.findall(r"\bprogrammes_decision_(?:y\d{4}m\d{2}|default)\b", plan))
    return {"seconds": seconds, "partitions_read": len(scanned)}


def layout(args, partitioned: bool, this_month: date) -> dict:
    from zrunva.core.partitions import add_months
    from zrunva.programmes.partitions import DECISIONS

    out = {"layout": "partitioned" if partitioned else "plain"}
    with transaction.atomic():
        if DECISIONS.is_partitioned(connection):
            sql("TRUNCATE programmes_decisionchange, programmes_decision, programmes_run CASCADE")
            DECISIONS.rebuild(connection, partitioned=False, ahead=0)
    seconds, out["history_rows"] = timed(lambda: history(args, this_month))
    print(
        f"[{out['layout']}] history: {out['history_rows']:,} closed decisions over "
        f"{args.years} years written in {seconds:.0f} s",
        flush=True,
    )
    # Both layouts' indexes built once over the history, as a migration leaves them: the
    # conversion (migration 0015) for the partitioned one, the same rebuild for the plain one.
    settle()
    with transaction.atomic():
        out["convert_seconds"], _ = timed(
            lambda: DECISIONS.rebuild(connection, partitioned=partitioned, ahead=3)
        )
    settle()
    out["partitions"] = len(DECISIONS.partitions(connection))
    print(
        f"[{out['layout']}] rebuilt (migration 0015's work) over {out['history_rows']:,} "
        f"rows: {out['convert_seconds']:.1f} s, {out['partitions']} partitions",
        flush=True,
    )
    following = add_months(this_month, 1)
    runs = {}
    runs["first"] = national_run(this_month)
    settle()
    runs["again"] = national_run(this_month)
    out["nudged_this"] = nudge(this_month, args.share, args.seed)
    runs["next_month"] = national_run(following)
    out["nudged_next"] = nudge(following, args.share, args.seed)
    runs["next_again"] = national_run(following)
    out["runs"] = runs
    for name, run in runs.items():
        stages = ", ".join(f"{k} {v:.1f}" for k, v in run["timings"].items())
        print(
            f"[{out['layout']}] run {name}: {run['seconds']:.1f} s, {run['changed']:,} "
            f"written ({stages})",
            flush=True,
        )
    out["lookups"] = lookups(args.lookups, args.seed)
    out["in_force"] = in_force(following)
    out["rows"] = sql("SELECT count(*) FROM programmes_decision")[0][0]
    out["bytes"] = sql(
        "SELECT pg_total_relation_size(c.oid) + coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) "
        "FROM pg_class c LEFT JOIN pg_inherits i ON i.inhparent = c.oid "
        "WHERE c.relname = 'programmes_decision' GROUP BY c.oid"
    )[0][0]
    print(
        f"[{out['layout']}] one household's decisions: median {out['lookups']['median_ms']:.2f} ms, "
        f"p95 {out['lookups']['p95_ms']:.2f} ms, on a new connection "
        f"{out['lookups']['cold_ms']:.2f} ms ({out['lookups']['rows']:.1f} rows); in force "
        f"next month, summed: {out['in_force']['seconds'] * 1000:.0f} ms "
        f"({out['in_force']['partitions_read']} partitions in the plan); {out['rows']:,} rows, "
        f"{out['bytes'] / GIB:.2f} GiB",
        flush=True,
    )
    return out


def machine() -> str:
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()  # noqa: S607
    server = sql("SHOW server_version")[0][0]
    return f"{platform.python_version()}, PostgreSQL {server}, {cpu} cores"


def report(plain: dict, parted: dict, rounds: int) -> None:
    print(f"\nMedians of {rounds} rounds.")
    print("\n| | plain table | partitioned by month | ratio |")
    print("|---|---:|---:|---:|")
    for name, label in (
        ("first", "first national run (no decision in force)"),
        ("again", "same month again (nothing changed)"),
        ("next_month", "next month, some changed (closes rows)"),
        ("next_again", "next month again, some changed (replaces rows)"),
    ):
        a, b = plain["runs"][name]["seconds"], parted["runs"][name]["seconds"]
        print(f"| {label}, s | {a:.1f} | {b:.1f} | {b / a:.2f} |")
    a, b = plain["lookups"]["median_ms"], parted["lookups"]["median_ms"]
    print(f"| one household's decisions, median ms | {a:.2f} | {b:.2f} | {b / a:.2f} |")
    a, b = plain["lookups"]["p95_ms"], parted["lookups"]["p95_ms"]
    print(f"| one household's decisions, p95 ms | {a:.2f} | {b:.2f} | {b / a:.2f} |")
    a, b = plain["lookups"]["cold_ms"], parted["lookups"]["cold_ms"]
    print(f"| the same, first query of a new connection, ms | {a:.2f} | {b:.2f} | {b / a:.2f} |")
    a, b = plain["in_force"]["seconds"] * 1000, parted["in_force"]["seconds"] * 1000
    print(f"| decisions in force for a month, summed, ms | {a:.0f} | {b:.0f} | {b / a:.2f} |")
    a, b = plain["bytes"] / GIB, parted["bytes"] / GIB
    print(f"| table and indexes, GiB | {a:.2f} | {b:.2f} | {b / a:.2f} |")
    a, b = plain["convert_seconds"], parted["convert_seconds"]
    print(f"| rebuilt over the history (migration 0015), s | {a:.1f} | {b:.1f} | {b / a:.2f} |")
    print(
        f"\nHistory {parted['history_rows']:,} rows; "
        f"{parted['partitions']} partitions; {parted['rows']:,} rows at the end. {machine()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.05)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--rounds", type=int, default=2, help="each layout this many times, in turns; medians"
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.on = date.today().replace(day=1)
    args.repeats = 1  # bench/scaling.py's stages want it
    registry(args)
    done = {False: [], True: []}
    for n in range(args.rounds):
        # Plain first in one round, partitioned first in the next: neither always runs colder.
        for partitioned in (False, True) if n % 2 == 0 else (True, False):
            done[partitioned].append(layout(args, partitioned, args.on))
    report(median(done[False]), median(done[True]), args.rounds)


def median(results: list):
    """The rounds' results as one: the median of each figure."""
    first = results[0]
    if isinstance(first, dict):
        return {key: median([r[key] for r in results]) for key in first}
    if isinstance(first, int) and not isinstance(first, bool):
        return statistics.median_low(results)  # counts stay whole
    if isinstance(first, float):
        return statistics.median(results)
    return first


if __name__ == "__main__":
    main()
