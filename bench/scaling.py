"""Past one machine (issue 19, item 6): the figures docs/scaling.md is written from.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench_scale \\
        .venv/bin/python bench/scaling.py --sizes 1,2,4 --tasks 20000

The database named in DATABASE_URL (its name must contain "bench") is dropped, created and
migrated, unless `--keep` (then sizes are reached from what it holds). Three measurements:

1. **The worker.** `--tasks` small tasks (`touch`, below: one INSERT each) enqueued on the
   django-tasks database backend, then run by one worker process and again by two
   (`manage.py worker`, the production command: db_worker with a heartbeat, production
   settings). Tasks a second from the tasks' own start and finish times; every task must
   have run exactly once (its row in `bench_scaling_ran`, one worker id on its result).
2. **Eligibility end to end at each size** (millions of households, `--sizes`): the registry
   grows in place (`population_generate`, a new seed for each addition), assessments are added
   for the new households (`assessments_generate`) and the snapshot refreshed, untimed; then
   bench/eligibility.py's end-to-end stage in a child process: a national `run_execute` with no
   decision stored, and a second run that finds nothing changed, with the child's peak memory
   (VmHWM). A least-squares line through the sizes gives seconds and GiB per million people,
   extrapolated to Georgia, to 10M people and to ten times Georgia.
3. **Polars' streaming engine** at the largest size: the whole registry's decision step
   (`engine._decisions` over the compiled rules of the five national programmes) from Parquet
   of the evaluator's working columns, collected by the in-memory engine, by the streaming
   engine, and streamed into Parquet (`sink_parquet`), each in its own child process.
"""

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(BENCH)]
# setdefault: the worker imports this module for its task, under its own settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django_tasks import task  # noqa: E402

WORK = ROOT / "var" / "bench-scaling"
GIB = 1024**3
# Georgia's population, about 3.7 million (shared/DOMAIN.md, "Scale"; the 64 municipalities
# under Tbilisi's control hold 3,637,900 on 1 Jan 2024, Geostat, zrunva/geo/data).
GEORGIA_PEOPLE = 3_700_000
MACHINE_GIB = 24
RAN = "bench_scaling_ran"


@task()
def touch(number: int) -> int:
    """The benchmark's task: record that `number` ran and in which process."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {RAN} (number, pid) VALUES (%s, %s)", [number, os.getpid()])  # noqa: S608
    return number


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


# -- Children --------------------------------------------------------------------------------


def stage_load(args) -> dict:
    from zrunva.registry.population import population_generate

    done = population_generate(households=args.households, seed=args.seed, progress=False)
    return {**done, "peak_mib": peak_mib()}


def stage_prepare(args) -> dict:
    """Untimed set-up before a size's runs: bench/eligibility.py's users, assessments for the
    households without one (it adds them only to a registry with none), the snapshot."""
    import eligibility
    from django.contrib.auth import get_user_model

    from zrunva.assessment.population import assessments_generate

    started = time.perf_counter()
    eligibility.prepare()
    written = assessments_generate(
        assessor=get_user_model().objects.get(username="bench"), seed=args.seed
    )
    assessed = time.perf_counter() - started
    from zrunva.registry import snapshot

    refreshed = snapshot.refresh()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE assessment_assessment")
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    return {
        "assessments": written,
        "assess_seconds": assessed,
        "snapshot_seconds": refreshed["seconds"],
        "database_bytes": size,
    }


def stage_end_to_end(args) -> dict:
    import eligibility

    return eligibility.stage_end_to_end(args.on)


def _programmes(on: date) -> list[tuple]:
    """The national programmes in force on `on`, each with its rules compiled as `Evaluator`
    compiles them: (compiled, rules, compiler, expressions)."""
    from zrunva.programmes.eligibility import compiled_programmes
    from zrunva.programmes.expressions import _Compiler

    out = []
    for compiled in compiled_programmes(on=on):
        if compiled.municipality is not None:
            continue
        compiler = _Compiler(compiled.params)
        rules = {"criteria": compiled.criteria, "formula": compiled.formula}
        exprs = [compiler(rule).alias(name) for name, rule in rules.items()]
        out.append((compiled, rules, compiler, exprs))
    return out


def _plan(compiled, exprs, path: Path):
    """One programme's decisions as a plan over its working columns in Parquet: what `decide`
    plans over the same columns in memory (`_evaluate`, then `engine._decisions`)."""
    import polars as pl

    from zrunva.programmes import engine
    from zrunva.programmes.choices import ProgrammeLevel

    frame = pl.scan_parquet(path)
    if compiled.level == ProgrammeLevel.PERSON:
        values = frame.select("household_id", "id", *exprs).rename({"id": "person_id"})
    else:
        values = frame.select("id", *exprs).select(
            household_id="id",
            person_id=pl.lit(None, dtype=pl.Int64),
            criteria="criteria",
            formula="formula",
        )
    return engine._decisions(values, compiled)


def stage_polars_extract(args) -> dict:
    """The evaluator's working columns for each national programme, as `decide` builds them
    from the registry (the members' sums per household included), written to Parquet: the
    input of the plans timed in `stage_polars`. Untimed."""
    import polars as pl

    from zrunva.assessment.selectors import latest_scores
    from zrunva.programmes import engine
    from zrunva.programmes.choices import ProgrammeLevel
    from zrunva.programmes.expressions import Evaluator
    from zrunva.registry.columns import registry_frames

    WORK.mkdir(parents=True, exist_ok=True)
    for old in WORK.glob("*.parquet"):
        old.unlink()
    registry = registry_frames(on=args.on)
    households, people = engine.attribute_frames(registry, latest_scores(on=args.on), on=args.on)
    members = registry.members
    if (households["size"] == 0).any():  # as `decide` does
        households, members = households.filter(pl.col("size") > 0), None
    programmes = _programmes(args.on)
    evaluator = Evaluator(households, people, programmes[0][0].criteria.schema, members)
    rows = {}
    for compiled, rules, compiler, _ in programmes:
        if compiled.level == ProgrammeLevel.PERSON:
            frame = evaluator._frames(rules.values())[1]
        else:
            frame = evaluator._household_frame(rules.values(), compiler.aggs)
        frame.write_parquet(WORK / f"work_{compiled.code}.parquet")
        rows[compiled.code] = frame.height
    return {"rows": rows, "households": households.height, "people": people.height}


def stage_polars(args) -> dict:
    """One engine over the five plans, best of `--repeats`, in this process alone."""
    import polars as pl

    plans = {
        compiled.code: _plan(compiled, exprs, WORK / f"work_{compiled.code}.parquet")
        for compiled, _, _, exprs in _programmes(args.on)
    }
    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        if args.engine == "sink":
            # Streamed to disk: the decisions are never held in memory together.
            for code, plan in plans.items():
                plan.sink_parquet(WORK / f"out_{code}.parquet", engine="streaming")
        else:
            frames = pl.collect_all(list(plans.values()), engine=args.engine)
        times.append(time.perf_counter() - started)
    if args.engine == "sink":
        results = [pl.scan_parquet(WORK / f"out_{code}.parquet") for code in plans]
    else:
        results = [frame.lazy() for frame in frames]
    # What was decided, to check that the engines agree (streamed, after the peak is read).
    peak = peak_mib()
    counts = sorted(
        (code, status, n, float(amount or 0))
        for code, result in zip(plans, results, strict=True)
        for status, n, amount in result.group_by("status")
        .agg(pl.len(), pl.col("amount").cast(pl.Float64).sum())
        .collect(engine="streaming")
        .rows()
    )
    decisions = sum(row[2] for row in counts)
    return {
        "seconds": min(times),
        "all_seconds": times,
        "decisions": decisions,
        "counts": counts,
        "peak_mib": peak,
    }


STAGES = {
    "load": stage_load,
    "prepare": stage_prepare,
    "end_to_end": stage_end_to_end,
    "polars_extract": stage_polars_extract,
    "polars": stage_polars,
}


def child(stage: str, args, **extra) -> dict:
    """Run a stage in a fresh process (its own peak memory); its last line is its result."""
    options = {"on": args.on.isoformat(), "seed": args.seed, "repeats": args.repeats, **extra}
    command = [sys.executable, __file__, "--stage", stage]
    for key, value in options.items():
        command += [f"--{key}", str(value)]
    WORK.mkdir(parents=True, exist_ok=True)
    log = WORK / f"{stage}.log"
    started = time.perf_counter()
    with log.open("a") as errors:  # the stage's own log lines, kept out of the report
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=errors, text=True)  # noqa: S603
    if done.returncode:
        raise SystemExit(f"Stage {stage} failed ({done.returncode}): see {log}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "wall_seconds": time.perf_counter() - started}


# -- The database ----------------------------------------------------------------------------


def database_ready(url: str, keep: bool) -> None:
    """Drop and create the benchmark database (unless `keep`), and migrate it."""
    import psycopg
    from django.core.management import call_command
    from psycopg import sql

    params = psycopg.conninfo.conninfo_to_dict(url)
    name = params["dbname"]
    if "bench" not in name:
        raise SystemExit(f"Refusing to use {name!r}: the database's name must contain 'bench'.")
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not keep:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        if not exists or not keep:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def households_stored() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registry_household")
        return cursor.fetchone()[0]


# -- 1. The worker ---------------------------------------------------------------------------


def worker_run(args, processes: int) -> dict:
    """Enqueue `args.tasks` tasks, run them with `processes` worker processes until the queue
    is empty, and check that each ran exactly once."""
    import scaling  # the task as the worker imports it (not __main__'s copy)
    from django_tasks_db.models import DBTaskResult

    path = scaling.touch.module_path
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {RAN} (number integer, pid integer)")
        cursor.execute(f"TRUNCATE {RAN}")  # noqa: S608
    DBTaskResult.objects.filter(task_path=path).delete()
    started = time.perf_counter()
    for number in range(args.tasks):
        scaling.touch.enqueue(number)
    enqueued = time.perf_counter() - started

    # The production command and settings (deploy/entrypoint.sh's worker role); the task's
    # module is found on PYTHONPATH. --batch: each process exits when the queue is empty.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "PYTHONPATH": os.pathsep.join([str(BENCH), str(ROOT)]),
    }
    command = [
        sys.executable, str(ROOT / "manage.py"), "worker", "--queue-name", "*", "--batch",
        "--no-startup-delay", "--no-reload",
    ]  # fmt: skip
    WORK.mkdir(parents=True, exist_ok=True)
    loads = [load()]
    started = time.perf_counter()
    workers = []
    for i in range(processes):
        log = (WORK / f"worker-{processes}-{i}.log").open("w")
        workers.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log))  # noqa: S603
    for worker in workers:
        if worker.wait() != 0:
            raise SystemExit(f"A worker exited with {worker.returncode}: see {WORK}.")
    wall = time.perf_counter() - started
    loads.append(load())

    results = DBTaskResult.objects.filter(task_path=path)
    done = results.filter(status="SUCCESSFUL")
    first = results.order_by("started_at").values_list("started_at", flat=True).first()
    last = results.order_by("-finished_at").values_list("finished_at", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(DISTINCT number), min(number), max(number) FROM {RAN}"  # noqa: S608
        )
        rows, distinct, low, high = cursor.fetchone()
        cursor.execute(f"SELECT pid, count(*) FROM {RAN} GROUP BY pid ORDER BY pid")  # noqa: S608
        per_process = [n for _, n in cursor.fetchall()]
    claims = [len(ids) for ids in results.values_list("worker_ids", flat=True)]
    seconds = (last - first).total_seconds()
    return {
        "processes": processes,
        "tasks": args.tasks,
        "enqueue_per_second": args.tasks / enqueued,
        "seconds": seconds,
        "per_second": args.tasks / seconds,
        "wall_seconds": wall,
        "successful": done.count(),
        "ran": rows,
        "ran_distinct": distinct,
        "numbers": [low, high],
        "claimed_once": sum(n == 1 for n in claims),
        "per_process": per_process,
        "load": loads,
        # Exactly once: every number's row once, every result claimed by one worker.
        "exactly_once": rows == distinct == args.tasks
        and (low, high) == (0, args.tasks - 1)
        and done.count() == args.tasks
        and all(n == 1 for n in claims),
    }


def worker_bench(args) -> list[dict]:
    out = []
    for processes in (1, 2):
        result = worker_run(args, processes)
        print(
            f"Worker, {processes} process(es): {result['tasks']:,} tasks in "
            f"{result['seconds']:.1f} s = {result['per_second']:,.0f} tasks/s (wall with start-up "
            f"{result['wall_seconds']:.1f} s; per process {result['per_process']}); "
            f"exactly once: {result['exactly_once']} (ran {result['ran']:,}, distinct "
            f"{result['ran_distinct']:,}, successful {result['successful']:,}, claimed once "
            f"{result['claimed_once']:,}); enqueued at {result['enqueue_per_second']:,.0f}/s; "
            f"load {result['load'][0]} -> {result['load'][1]}",
            flush=True,
        )
        out.append(result)
    return out


# -- 2. Eligibility at each size -------------------------------------------------------------


def eligibility_bench(args) -> list[dict]:
    out = []
    for step, millions in enumerate(args.sizes):
        target = round(millions * 1_000_000)
        stored = households_stored()
        if stored > target:
            print(f"Size {target:,}: the registry holds {stored:,} households already; skipped.")
            continue
        loaded = None
        if stored < target:
            print(
                f"Loading {target - stored:,} households (seed {args.seed + step}) onto "
                f"{stored:,}; load {load()}",
                flush=True,
            )
            loaded = child("load", args, households=target - stored, seed=args.seed + step)
            print(
                f"    {loaded['households']:,} households, {loaded['people']:,} people in "
                f"{loaded['seconds']:.0f} s ({loaded['households'] / loaded['seconds']:,.0f} "
                f"households/s), peak {loaded['peak_mib']:,.0f} MiB",
                flush=True,
            )
        prepared = child("prepare", args)
        print(
            f"    set-up: {prepared['assessments']:,} assessments added in "
            f"{prepared['assess_seconds']:.0f} s, snapshot refreshed in "
            f"{prepared['snapshot_seconds']:.0f} s; database "
            f"{prepared['database_bytes'] / GIB:.1f} GiB",
            flush=True,
        )
        before = load()
        e2e = child("end_to_end", args)
        row = {
            "households": e2e["first"]["households"],
            "people": e2e["first"]["people"],
            "first": e2e["first"],
            "again": e2e["again"],
            "peak_mib": e2e["peak_mib"],
            "load": [before, load()],
            "loaded": loaded,
            "prepared": prepared,
        }
        print(
            f"Eligibility at {row['households']:,} households, {row['people']:,} people: first "
            f"run {row['first']['seconds']:.1f} s ({row['first']['changed']:,} decisions "
            f"written; {_stages(row['first'])}), nothing changed {row['again']['seconds']:.1f} s "
            f"({_stages(row['again'])}), peak {row['peak_mib'] / 1024:.2f} GiB; load "
            f"{row['load'][0]} -> {row['load'][1]}",
            flush=True,
        )
        out.append(row)
    return out


def _stages(run: dict) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in run["timings"].items())


def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares line y = a + b·x: (a, b)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return my - b * mx, b


def extrapolate(rows: list[dict]) -> None:
    """The lines through the measured sizes, per million people, and where they lead."""
    if len(rows) < 2:
        print("One size only: nothing to extrapolate.")
        return
    people = [r["people"] / 1e6 for r in rows]
    per_household = sum(r["people"] for r in rows) / sum(r["households"] for r in rows)
    lines = {
        "first run, s": fit(people, [r["first"]["seconds"] for r in rows]),
        "nothing changed, s": fit(people, [r["again"]["seconds"] for r in rows]),
        "peak, GiB": fit(people, [r["peak_mib"] / 1024 for r in rows]),
        "database, GiB": fit(people, [r["prepared"]["database_bytes"] / GIB for r in rows]),
    }
    print(f"\nLinear fit over {len(rows)} sizes, x = millions of people "
          f"({per_household:.2f} people a household):")  # fmt: skip
    for name, (a, b) in lines.items():
        print(f"    {name:<20} = {a:6.2f} + {b:6.3f} × M people "
              f"({b * per_household:.3f} per M households)")  # fmt: skip
    a, b = lines["peak, GiB"]
    print(f"    the run's peak reaches the machine's {MACHINE_GIB} GiB at "
          f"{(MACHINE_GIB - a) / b:.1f}M people (PostgreSQL's own memory not counted)")  # fmt: skip
    targets = [
        ("measured largest", rows[-1]["people"]),
        ("Georgia", GEORGIA_PEOPLE),
        ("10M people", 10_000_000),
        ("10 × Georgia", 10 * GEORGIA_PEOPLE),
    ]
    print("\n| registry | people | households | first run | nothing changed | peak | database |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, count in targets:
        x = count / 1e6
        values = [a + b * x for a, b in lines.values()]
        print(
            f"| {name} (fit) | {x:.1f}M | {x / per_household:.2f}M | {values[0]:.0f} s | "
            f"{values[1]:.0f} s | {values[2]:.1f} GiB | {values[3]:.0f} GiB |"
        )


# -- 3. Polars' engines ----------------------------------------------------------------------

ENGINES = {
    "in-memory": "in-memory, collected",
    "streaming": "streaming, collected",
    "sink": "streaming, sunk to Parquet",
}


def polars_bench(args) -> list[dict]:
    extract = child("polars_extract", args)
    print(
        f"Polars: working columns of {extract['households']:,} households and "
        f"{extract['people']:,} people extracted to Parquet ({extract['rows']})",
        flush=True,
    )
    out = []
    for engine in ENGINES:
        before = load()
        result = {**child("polars", args, engine=engine), "engine": engine}
        result["load"] = [before, load()]
        print(
            f"    {engine:<10} {result['seconds']:.2f} s (runs "
            f"{', '.join(f'{s:.2f}' for s in result['all_seconds'])}), "
            f"{result['decisions']:,} decisions, peak {result['peak_mib'] / 1024:.2f} GiB; "
            f"load {result['load'][0]} -> {result['load'][1]}",
            flush=True,
        )
        out.append(result)
    agree = all(r["counts"] == out[0]["counts"] for r in out)
    print(f"    the engines' decisions agree (count and amount by programme and status): {agree}")
    return out


# -- Main ------------------------------------------------------------------------------------


def machine() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
        settings = {}
        for key in ("shared_buffers", "work_mem", "max_wal_size", "synchronous_commit"):
            cursor.execute(f"SHOW {key}")
            settings[key] = cursor.fetchone()[0]
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024**2
    import polars as pl

    return (
        f"{os.cpu_count()} cores, {memory:.0f} GiB; Python {platform.python_version()}, "
        f"Polars {pl.__version__}; PostgreSQL {server} "
        f"({', '.join(f'{k} {v}' for k, v in settings.items())})"
    )


def report(args, workers, rows, engines) -> None:
    print("\n## Results\n")
    if workers:
        print("| worker processes | tasks | seconds | tasks/s | exactly once |")
        print("| ---: | ---: | ---: | ---: | --- |")
        for w in workers:
            print(
                f"| {w['processes']} | {w['tasks']:,} | {w['seconds']:.1f} | "
                f"{w['per_second']:,.0f} | {'yes' if w['exactly_once'] else '**no**'} |"
            )
        print()
    if rows:
        print("| households | people | first run | nothing changed | peak | database |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in rows:
            print(
                f"| {r['households']:,} | {r['people']:,} | {r['first']['seconds']:.1f} s | "
                f"{r['again']['seconds']:.1f} s | {r['peak_mib'] / 1024:.2f} GiB | "
                f"{r['prepared']['database_bytes'] / GIB:.1f} GiB |"
            )
        extrapolate(rows)
        print()
    if engines:
        print(f"Decision step at {rows[-1]['households'] if rows else households_stored():,} "
              "households, best of the runs:\n")  # fmt: skip
        print("| Polars engine | seconds | peak |")
        print("| --- | ---: | ---: |")
        for e in engines:
            print(
                f"| {ENGINES[e['engine']]} | {e['seconds']:.2f} | {e['peak_mib'] / 1024:.2f} GiB |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=lambda text: [float(x) for x in text.split(",")],
        default=[1, 2, 4],
        help="registry sizes in millions of households, growing (default 1,2,4)",
    )
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument(
        "--only",
        type=lambda text: text.split(","),
        default=["worker", "eligibility", "polars"],
        help="any of worker,eligibility,polars (default all, in that order)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and grow it from what it holds"
    )
    parser.add_argument("--repeats", type=int, default=3, help="Polars runs per engine")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--on", type=date.fromisoformat, default=date.today().replace(day=1))
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--households", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        print(json.dumps(STAGES[args.stage](args), default=str))
        return

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database whose name contains 'bench'.")
    database_ready(url, args.keep)
    print(f"Machine: {machine()}")
    print(f"Started {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, load {load()}; "
          f"{' '.join(sys.argv[1:])}", flush=True)  # fmt: skip
    workers = worker_bench(args) if "worker" in args.only else []
    rows = eligibility_bench(args) if "eligibility" in args.only else []
    engines = polars_bench(args) if "polars" in args.only else []
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "results.json").write_text(
        json.dumps({"workers": workers, "eligibility": rows, "polars": engines}, default=str)
    )
    report(args, workers, rows, engines)
    print(f"\nFinished {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC")


if __name__ == "__main__":
    main()
