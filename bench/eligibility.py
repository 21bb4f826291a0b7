"""Eligibility benchmark: rating score and every shipped programme over the whole registry,
against the same rules written for OpenFisca-core, and end to end from PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench \\
        .venv/bin/python bench/eligibility.py

The database must hold a generated registry (bench/registry.py leaves one; `generate_population`
makes one); users and synthetic assessments are added if missing (untimed).
Each measurement runs in its own child process, so each reports its own peak memory (VmHWM):
1. extract (untimed here): the registry's columns on the date, saved as Parquet;
2. ours, compute alone: from those frames in memory, the means-test variables, the rating
   score, the rule attributes and every programme's decisions with reason codes (`decide`);
   best of 5. Also the decisions alone, from the attribute frames;
3. OpenFisca-Core (bench/openfisca_rules.py), the same work from the same registry columns:
   building the simulation from the data, ages, the rating score and the five programmes; best
   of 3. Its scores and decisions are checked against ours, row by row, to the tetri;
4. end to end: `run_execute` of a new run on PostgreSQL (COPY out, decide, compare, COPY in)
   with no decision stored yet (its decisions loaded as a table of their own and indexed after,
   `Monthly.fill`, on a connection of their own while the run writes its change log), then a
   second run that finds nothing changed, then the first again twice, the comparators: with
   the table loaded on the run's own connection after the change log ("in turn"), and with its
   decisions written through the month's indexes ("indexed"); beside it, the
   plain COPY limit of the same rows: the registry's columns out of two plain tables (no join,
   no sort) into frames, and the first run's decision and change rows into unindexed,
   unconstrained tables.

`--only end-to-end` runs step 4 alone (no OpenFisca needed).
"""

import argparse
import contextlib
import io
import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
os.environ.setdefault("DJANGO_DEBUG", "1")

WORK = ROOT / "var" / "bench-eligibility"
REPEATS = 5


def peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def setup():
    import django

    django.setup()


def params_on(on: date) -> dict[str, float]:
    from zrunva.programmes.selectors import parameters_on

    return {code: float(value) for code, value in parameters_on(on=on).items()}


def prepare() -> None:
    """The schema up to date, the users the runs are started by and, on a registry just
    generated (bench/registry.py leaves none), synthetic assessments: untimed set-up."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from zrunva.assessment.models import Assessment
    from zrunva.assessment.population import assessments_generate
    from zrunva.registry import snapshot

    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    for username, role in (("bench", "ssa_officer"), ("bench_admin", "admin")):
        if not users.filter(username=username).exists():
            users.create_user(username, password=None, role=role)
    if not Assessment.objects.exists():
        written = assessments_generate(assessor=users.get(username="bench"), seed=2026)
        print(f"Set-up: {written:,} synthetic assessments written (seed 2026).")
    # The registry's snapshot is built by the first whole-country read after a bulk load, and
    # from then on refreshed for the households that change: built here, untimed, as a
    # registry in use has it.
    done = snapshot.refresh()
    if done["rebuilt"]:
        print(
            f"Set-up: registry snapshot rebuilt for {done['rebuilt']} households in "
            f"{done['seconds']:.1f} s."
        )


def stage_extract(on: date) -> dict:
    import polars as pl

    from zrunva.registry.columns import registry_frames

    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    registry = registry_frames(on=on)
    seconds = time.perf_counter() - started
    registry.households.write_parquet(WORK / "households.parquet")
    registry.people.write_parquet(WORK / "people.parquet")
    (WORK / "params.json").write_text(json.dumps(params_on(on)))
    return {
        "households": registry.households.height,
        "people": registry.people.height,
        "seconds": seconds,
        "polars": pl.__version__,
    }


def _frames():
    import polars as pl

    from zrunva.registry.columns import RegistryFrames

    return RegistryFrames(
        pl.read_parquet(WORK / "households.parquet"), pl.read_parquet(WORK / "people.parquet")
    )


def _ours(registry, on, weights, programmes):
    import polars as pl

    from zrunva.assessment.scoring import score_frame, variables_frame
    from zrunva.programmes import engine

    variables = variables_frame(registry, on=on)
    scores = pl.DataFrame(
        {"household_id": variables["household_id"], "rating_score": score_frame(variables, weights)}
    )
    households, people = engine.attribute_frames(registry, scores, on=on)
    return households, people, engine.decide(households, people, programmes, registry.members)


def stage_ours(on: date) -> dict:
    import polars as pl

    from zrunva.assessment.scoring import Weights
    from zrunva.assessment.selectors import scoring_model_on
    from zrunva.programmes import engine
    from zrunva.programmes.eligibility import compiled_programmes

    programmes = [p for p in compiled_programmes(on=on) if p.municipality is None]
    weights = Weights.of(scoring_model_on(on))
    registry = _frames()
    totals, decide_only = [], []
    for _ in range(REPEATS):
        started = time.perf_counter()
        households, people, decisions = _ours(registry, on, weights, programmes)
        totals.append(time.perf_counter() - started)
        started = time.perf_counter()
        engine.decide(households, people, programmes)
        decide_only.append(time.perf_counter() - started)
    households.write_parquet(WORK / "attr_households.parquet")
    people.write_parquet(WORK / "attr_people.parquet")
    codes = {p.id: p.code for p in programmes}
    decisions.with_columns(
        code=decisions["programme_id"].replace_strict(codes, return_dtype=pl.String)
    ).drop("missing").write_parquet(WORK / "decisions.parquet")
    counts = (
        decisions.group_by("programme_id", "status").len().sort("programme_id", "status").rows()
    )
    return {
        "seconds": min(totals),
        "all_seconds": totals,
        "decide_seconds": min(decide_only),
        "decisions": decisions.height,
        "counts": [[codes[p], s, n] for p, s, n in counts],
        "peak_mib": peak_mib(),
    }


def stage_openfisca(on: date) -> dict:
    import numpy as np
    import polars as pl

    sys.path.insert(0, str(ROOT / "bench"))
    import openfisca_rules

    from zrunva.assessment.selectors import scoring_model_on

    params = json.loads((WORK / "params.json").read_text())
    model = scoring_model_on(on)
    registry = _frames()
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        results = openfisca_rules.compute(
            registry.households,
            registry.people,
            params,
            float(model.intercept),
            model.weights,
            period=on.strftime("%Y-%m"),
        )
        times.append(time.perf_counter() - started)
    # Agreement with our decisions and scores, row by row.
    ours = pl.read_parquet(WORK / "decisions.parquet")
    scores = pl.read_parquet(WORK / "attr_households.parquet")["rating_score"].to_numpy()
    disagreements = {"rating_score": int((scores != results.pop("rating_score")[1]).sum())}
    for code, (eligible, amount) in results.items():
        mine = ours.filter(pl.col("code") == code)
        mine_eligible = (mine["status"] == "eligible").to_numpy()
        mine_amount = mine["amount"].fill_null(0).to_numpy()
        theirs = np.where(eligible, np.round(amount, 2), 0)
        disagreements[code] = int(
            (mine_eligible != np.asarray(eligible)).sum()
            + (np.abs(mine_amount - theirs) > 0.005).sum()
        )
    return {
        "seconds": min(times),
        "all_seconds": times,
        "disagreements": disagreements,
        "peak_mib": peak_mib(),
    }


def stage_end_to_end(on: date) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from zrunva.core import bulk, partitions
    from zrunva.programmes.runs import run_execute, run_start

    def empty():
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE programmes_decisionchange, programmes_decision, programmes_run CASCADE"
            )
            cursor.execute("CHECKPOINT")

    actor = get_user_model().objects.get(username="bench_admin")
    out, least, beside = {}, partitions.FILL_ROWS, bulk.beside
    for name in ("first", "again", "in_turn", "indexed"):
        if name != "again":
            empty()
        # "indexed": the first run again, its decisions written through the month's indexes
        # as before `Monthly.fill` (the comparator of the month loaded as a table of its own).
        partitions.FILL_ROWS = 10**12 if name == "indexed" else least
        # "in turn": the month loaded on the run's connection, after its change log, as
        # before the load went beside it.
        bulk.beside = (lambda work: None) if name == "in_turn" else beside
        started = time.perf_counter()
        run = run_execute(run=run_start(actor=actor, on=on, enqueue=False))
        out[name] = {
            "seconds": time.perf_counter() - started,
            "changed": run.summary["changed"],
            "households": run.summary["households"],
            "people": run.summary["people"],
            "timings": run.summary["timings"],
        }
    out["peak_mib"] = peak_mib()
    return out


def stage_limit(on: date) -> dict:
    """The plain COPY limit beside (b): the registry's columns out of one plain table each
    (no join, no sort) into frames, and the first run's decision and change rows into
    unindexed, unconstrained copies of their tables, each COPY in its own committed
    transaction."""
    import polars as pl
    from django.db import connection, transaction

    from zrunva.core.bulk import copy_text, read_frame
    from zrunva.programmes.models import Decision, DecisionChange
    from zrunva.registry.columns import HOUSEHOLD_COLUMNS, PERSON_COLUMNS, registry_frames

    types = {pl.Int64: "bigint", pl.Float64: "float8", pl.String: "text", pl.Date: "date"}
    out = {}
    registry = registry_frames(on=on)
    with connection.cursor() as cursor:
        for name, frame in (("households", registry.households), ("people", registry.people)):
            table = f"bench_limit_{name}"
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            columns = ", ".join(f"{c} {types.get(t, 'smallint')}" for c, t in frame.schema.items())
            cursor.execute(f"CREATE TABLE {table} ({columns})")
            frame = frame.with_columns(pl.col(pl.Boolean).cast(pl.Int8))
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(copy_text(frame))
        cursor.execute("VACUUM ANALYZE bench_limit_households")
        cursor.execute("VACUUM ANALYZE bench_limit_people")
    # The limit is COPY's, as before ADBC: psycopg's COPY inside a transaction. The same
    # reads through ADBC (as `read_frame` does outside one) are reported beside it.
    for name, own in (("read", False), ("read_adbc", True)):
        with contextlib.nullcontext() if own else transaction.atomic():
            started = time.perf_counter()
            households = read_frame("SELECT * FROM bench_limit_households", [], HOUSEHOLD_COLUMNS)
            people = read_frame("SELECT * FROM bench_limit_people", [], PERSON_COLUMNS)
            out[f"{name}_seconds"] = time.perf_counter() - started
    out["read_rows"] = households.height + people.height

    for model, name in ((Decision, "decisions"), (DecisionChange, "changes")):
        table = model._meta.db_table
        columns = [f.column for f in model._meta.concrete_fields if f.column != "id"]
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS bench_limit_{name}")
            cursor.execute(
                f"CREATE TABLE bench_limit_{name} AS SELECT {', '.join(columns)} FROM {table} "
                "WITH NO DATA"
            )
            buffer = io.BytesIO()
            # (A partitioned table is copied out through a query.)
            select = f"SELECT {', '.join(columns)} FROM {table}"  # noqa: S608 (the model's)
            with cursor.cursor.copy(f"COPY ({select}) TO STDOUT") as copy:
                for block in copy:
                    buffer.write(block)
            cursor.execute("CHECKPOINT")
        text = buffer.getvalue()
        started = time.perf_counter()
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY bench_limit_{name} FROM STDIN") as copy,
        ):
            copy.write(text)
        out[f"{name}_seconds"] = time.perf_counter() - started
        out[f"{name}_rows"] = text.count(b"\n")
    with connection.cursor() as cursor:
        for name in ("households", "people", "decisions", "changes"):
            cursor.execute(f"DROP TABLE IF EXISTS bench_limit_{name}")
    return out


STAGES = {
    "extract": stage_extract,
    "ours": stage_ours,
    "openfisca": stage_openfisca,
    "end_to_end": stage_end_to_end,
    "limit": stage_limit,
}


def child(stage: str, on: date) -> dict:
    result = subprocess.run(  # noqa: S603 (this script, fixed arguments)
        [sys.executable, __file__, "--stage", stage, "--on", on.isoformat()],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # The first of a month: OpenFisca computes a month and ages people at its start.
    parser.add_argument("--on", type=date.fromisoformat, default=date.today().replace(day=1))
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument(
        "--only", choices=["end-to-end"], help="only (b), end to end, and its COPY limit"
    )
    args = parser.parse_args()
    setup()
    if args.stage:
        print(json.dumps(STAGES[args.stage](args.on)))
        return
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    print(f"Python {platform.python_version()}, PostgreSQL {server}, {os.cpu_count()} cores")
    prepare()
    if args.only != "end-to-end":
        compute(args.on)
    end_to_end(args.on)


def compute(on: date) -> None:
    """Steps 1 to 3: the compute alone, ours and OpenFisca's."""
    extract = child("extract", on)
    print(
        f"Registry on {on}: {extract['households']:,} households, {extract['people']:,} "
        f"people (read from PostgreSQL in {extract['seconds']:.1f} s); Polars {extract['polars']}"
    )
    ours = child("ours", on)
    print(
        f"(a) ours, compute alone (variables, rating score, attributes, 5 programmes with reason "
        f"codes): {ours['seconds']:.2f} s (runs: {', '.join(f'{s:.2f}' for s in ours['all_seconds'])}); "
        f"the decisions alone: {ours['decide_seconds']:.2f} s; {ours['decisions']:,} decisions; "
        f"peak {ours['peak_mib']:.0f} MiB"
    )
    for code, status, count in ours["counts"]:
        print(f"    {code:20} {status:13} {count:>10,}")
    openfisca = child("openfisca", on)
    print(
        f"    OpenFisca-Core, the same work (build from the registry's columns, ages, rating score, "
        f"5 programmes): {openfisca['seconds']:.2f} s "
        f"(runs: {', '.join(f'{s:.2f}' for s in openfisca['all_seconds'])}); "
        f"peak {openfisca['peak_mib']:.0f} MiB; disagreements with ours: {openfisca['disagreements']}"
    )
    print(f"    ratio OpenFisca / ours: {openfisca['seconds'] / ours['seconds']:.1f}x")


def end_to_end(on: date) -> None:
    """Step 4: (b) end to end, and the plain COPY limit of the same rows beside it."""
    e2e = child("end_to_end", on)
    for name, label in (
        ("first", "no decision stored yet"),
        ("again", "nothing changed"),
        ("in_turn", "no decision stored yet, loaded in turn on the run's connection"),
        ("indexed", "no decision stored yet, written through the indexes"),
    ):
        r = e2e[name]
        rest = r["seconds"] - sum(r["timings"].values())
        print(
            f"(b) end to end on PostgreSQL, {label}: {r['seconds']:.1f} s, {r['changed']:,} "
            f"decisions written; stages {r['timings']}, commit and the rest {rest:.2f} s"
        )
    print(f"    peak {e2e['peak_mib']:.0f} MiB")
    limit = child("limit", on)
    first = e2e["first"]
    floor = limit["read_seconds"] + limit["decisions_seconds"] + limit["changes_seconds"]
    print(
        f"    plain COPY limit of the same rows: registry columns out of two plain tables into "
        f"frames {limit['read_seconds']:.2f} s ({limit['read_rows']:,} rows; with ADBC "
        f"{limit['read_adbc_seconds']:.2f} s); decisions in, "
        f"unindexed, unconstrained, committed {limit['decisions_seconds']:.2f} s "
        f"({limit['decisions_rows']:,} rows); changes in {limit['changes_seconds']:.2f} s "
        f"({limit['changes_rows']:,} rows): {floor:.1f} s against the first run's "
        f"{first['seconds']:.1f} s ({floor / first['seconds']:.0%} of it)"
    )


if __name__ == "__main__":
    main()
