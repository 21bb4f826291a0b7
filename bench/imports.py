"""A million-row file from another registry (issue 17): the import's dry run, its commit and the
same file again, each timed, with the process's peak memory — run at 100,000 rows and at
1,000,000 in separate processes, so that memory bounded by the chunk (not by the file) shows
as two peaks alike — beside PostgreSQL's own `COPY` of the same file into a bare table, the
floor of reading those bytes into the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench_imports \\
        .venv/bin/python bench/imports.py

The database named in DATABASE_URL is dropped and created anew (its name must contain
"bench"; `--reuse` keeps one this script built). Then:
1. a synthetic registry (`generate_population`, ≈1.1 million people) and an IDP-ministry-like
   source: record number, personal number, names, birth date, status (`ACTIVE`/`REVOKED`
   mapped to yes/no), which may change the IDP status only;
2. for each size, a CSV written from the registry's people: 3% of rows change someone's status,
   1% are faulty (a personal number that lost a digit, a birth date that is not a date, a
   number nobody has), the rest match and change nothing;
3. in a child process per size (`--child`): the dry run, the commit (applies the changes in
   one transaction) and the same file again (must change nothing), each timed, with the peak
   resident memory (`ru_maxrss`) after each;
4. `COPY` of the same file into an unlogged table with the file's columns (psql's \\copy
   path through psycopg), timed.
It prints rows per second, the ratio of each step to the COPY floor, and the peaks.
"""

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
WORK = ROOT / "var" / "bench-imports"
SIZES = (100_000, 1_000_000)
HOUSEHOLDS = 420_000

from catalogue import database_recreate, django_setup, machine, vacuum  # noqa: E402

os.environ.setdefault("SECRET_KEY", "bench-only-key")  # a throwaway database's settings

HEADER = ["IDP_ID", "PN", "FirstName", "LastName", "DOB", "Status"]


def build(households: int) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("generate_population", households=households, seed=17)


def source():
    from zrunva.integration.models import Source

    return Source.objects.update_or_create(
        code="bench-idp",
        defaults={
            "name": "IDP ministry (bench)",
            "mapping": {
                "record_id": "IDP_ID",
                "personal_number": "PN",
                "first_name": "FirstName",
                "last_name": "LastName",
                "birth_date": "DOB",
                "is_idp": "Status",
            },
            "values": {"is_idp": {"ACTIVE": "1", "REVOKED": "0"}},
            "updates": ["is_idp"],
            "date_formats": ["%Y-%m-%d"],
        },
    )[0]


def write_file(rows: int, seed: int) -> Path:
    from zrunva.registry.models import Person

    rng = random.Random(seed)
    path = WORK / f"idp-{rows}.csv"
    WORK.mkdir(parents=True, exist_ok=True)
    people = Person.objects.filter(personal_number__isnull=False).order_by("pk")
    written = 0
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for pn, first, last, born, idp in people.values_list(
            "personal_number", "first_name", "last_name", "birth_date", "is_idp"
        ).iterator(chunk_size=20_000):
            if written == rows:
                break
            roll = rng.random()
            status = "ACTIVE" if idp else "REVOKED"
            if roll < 0.03:
                status = "REVOKED" if idp else "ACTIVE"
            row = [f"IDP-{written:07d}", pn, first, last, born.isoformat(), status]
            if 0.03 <= roll < 0.0333:
                row[1] = pn[1:]
            elif 0.0333 <= roll < 0.0366:
                row[4] = "31.02.1970"
            elif 0.0366 <= roll < 0.04:
                row[1] = f"0{rng.randint(9 * 10**9, 10**10 - 1)}"
            writer.writerow(row)
            written += 1
    if written < rows:
        raise SystemExit(f"The registry has {written:,} people with a number, fewer than {rows:,}.")
    return path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(path: str) -> None:
    """One size's import, in a process of its own: dry run, commit, the same file again."""
    from tqdm import tqdm

    from zrunva.accounts.models import User
    from zrunva.integration.imports import import_execute
    from zrunva.integration.services import import_commit, import_start

    actor, _ = User.objects.get_or_create(username="bench-admin", defaults={"role": "admin"})
    out = {}

    def run(job, label):
        with tqdm(total=100, desc=label, unit="%", file=sys.stderr) as bar:

            def progress(stage, percent):
                bar.update(max(0, percent - bar.n))

            started = time.perf_counter()
            job = import_execute(job=job, progress=progress)
        return job, time.perf_counter() - started

    with open(path, "rb") as handle:
        job = import_start(actor=actor, source=source(), upload=handle, web=False, enqueue=False)
    dry, out["dry_s"] = run(job, "dry run")
    out["dry_peak_mb"] = peak_mb()
    out["summary"] = dry.summary
    committed, out["commit_s"] = run(
        import_commit(actor=actor, checked=dry, enqueue=False), "commit"
    )
    out["commit_peak_mb"] = peak_mb()
    out["commit_summary"] = committed.summary
    with open(path, "rb") as handle:
        job = import_start(actor=actor, source=source(), upload=handle, web=False, enqueue=False)
    again_dry, out["again_dry_s"] = run(job, "again: dry run")
    again, out["again_commit_s"] = run(
        import_commit(actor=actor, checked=again_dry, enqueue=False), "again: commit"
    )
    out["again_summary"] = again.summary
    out["peak_mb"] = peak_mb()
    print(json.dumps(out))


def copy_floor(url: str, path: Path) -> float:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy")
        conn.execute(
            "CREATE UNLOGGED TABLE bench_copy (idp_id text, pn text, first_name text, "
            "last_name text, dob text, status text)"
        )
        started = time.perf_counter()
        statement = "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
        with conn.cursor() as cursor, open(path, "rb") as handle, cursor.copy(statement) as copy:
            while block := handle.read(1 << 20):
                copy.write(block)
        took = time.perf_counter() - started
        conn.execute("DROP TABLE bench_copy")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--households", type=int, default=HOUSEHOLDS)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="rows per file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if "bench" not in url:
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database whose name contains 'bench'.")
    if args.child:
        django_setup()
        child(args.child)
        return
    if not args.reuse:
        database_recreate(url)
    django_setup()
    started = time.perf_counter()
    if not args.reuse:
        build(args.households)
        vacuum(url)
    from zrunva.registry.models import Person

    print(machine(url))
    print(
        f"Registry: {Person.objects.count():,} people (built in {time.perf_counter() - started:.0f} s)."
    )
    print(f"{'rows':>10} {'step':<22} {'s':>8} {'rows/s':>10} {'× COPY':>8} {'peak MB':>9}")
    for size in map(int, args.sizes.split(",")):
        path = write_file(size, seed=size)
        floor = copy_floor(url, path)
        result = subprocess.run(  # noqa: S603 (this script, fixed arguments)
            [sys.executable, __file__, "--child", str(path)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "DJANGO_DEBUG": "0", "SECRET_KEY": "bench-only"},
        )
        out = json.loads(result.stdout.strip().splitlines()[-1])
        print(f"{size:>10,} {'COPY (floor)':<22} {floor:>8.1f} {size / floor:>10,.0f} {1:>8.1f}")
        for label, key, peak in (
            ("dry run", "dry_s", "dry_peak_mb"),
            ("commit", "commit_s", "commit_peak_mb"),
            ("same file: dry run", "again_dry_s", None),
            ("same file: commit", "again_commit_s", "peak_mb"),
        ):
            s = out[key]
            mem = f"{out[peak]:>9.0f}" if peak else ""
            print(f"{size:>10,} {label:<22} {s:>8.1f} {size / s:>10,.0f} {s / floor:>8.1f} {mem}")
        print(f"{'':>10} dry run: {out['summary']}")
        print(f"{'':>10} commit: {out['commit_summary']}")
        print(f"{'':>10} the same file again: {out['again_summary']}")


if __name__ == "__main__":
    main()
