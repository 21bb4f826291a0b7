"""Registry benchmark: synthetic population load rate against plain COPY, and name-search latency.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench \\
        .venv/bin/python bench/registry.py --households 1000000 --people-target 2000000

The database named in DATABASE_URL is dropped and created anew (its name must contain "bench").
Steps, all in one run on the same server:
1. generate the population's frames in memory without a database write (generation alone), render
   them to COPY text, and COPY that text into the empty registry tables batch by batch, one
   transaction per batch (the limit: no generation, no Python per row); an untimed load of two
   batches and a CHECKPOINT come first;
2. empty the tables (TRUNCATE, CHECKPOINT) and run the real `population_generate` with the same seed in a child process
   (same rows, same batches), timing it and reading its peak memory;
3. add households until the people target is reached, then time `person_list` + `paginate` (the
   code the people search page runs) over searches drawn from the generated names.
See bench/README.md for measured figures.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402
import numpy as np  # noqa: E402
import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402

TABLES = ("registry_household", "registry_person", "registry_membership", "registry_incomesource")


def database_recreate(url: str) -> dict:
    params = psycopg.conninfo.conninfo_to_dict(url)
    name = params["dbname"]
    if "bench" not in name:
        raise SystemExit(
            f"Refusing to drop {name!r}: the benchmark database's name must contain 'bench'."
        )
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return params


def server_facts(params: dict) -> dict:
    with psycopg.connect(**params) as conn:
        facts = {
            "postgres": conn.execute("SHOW server_version").fetchone()[0],
            **{
                key: conn.execute(f"SHOW {key}").fetchone()[0]
                for key in ("shared_buffers", "max_wal_size", "synchronous_commit", "work_mem")
            },
        }
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line),
        platform.processor(),
    )
    return {"cores": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), **facts}


def rate_line(label: str, rows: int, households: int, seconds: float) -> str:
    return (
        f"  {label:<34} {seconds:7.1f} s  {rows / seconds:>9,.0f} rows/s  "
        f"{households / seconds:>7,.0f} households/s"
    )


def plain_copy(args, params) -> dict:
    """Generate and render in memory (timed apart), then COPY the text: the ingest limit."""
    from django.utils import timezone

    from zrunva.registry import population

    target = population.Target.current(timezone.now())
    generate = render = 0.0
    payloads, counts = [], dict.fromkeys(("households", "people", "memberships", "incomes"), 0)
    batches = population.population_frames(
        households=args.households, seed=args.seed, batch=args.batch
    )
    while True:
        tick = time.perf_counter()
        frames = next(batches, None)
        generate += time.perf_counter() - tick
        if frames is None:
            break
        tick = time.perf_counter()
        payloads.append(population.prepare(frames, target))
        render += time.perf_counter() - tick
        for name in counts:
            counts[name] += getattr(frames, name).height
    size = sum(len(data) for batch in payloads for _, data, _ in batch)

    def copy_all(batches) -> float:
        with psycopg.connect(**params) as conn:
            tick = time.perf_counter()
            for batch in batches:
                with conn.transaction(), conn.cursor() as cursor:
                    for statement, data, _ in batch:
                        with cursor.copy(statement) as copy:
                            copy.write(data)
            return time.perf_counter() - tick

    # A first, untimed load of two batches creates the WAL segments and warms the caches, so the
    # timed COPY is not handicapped against the generator's run, which comes after it.
    copy_all(payloads[:2])
    tables_empty(params)
    copy_seconds = copy_all(payloads)
    return {
        **counts, "generate_seconds": generate, "render_seconds": render,
        "copy_seconds": copy_seconds, "copy_bytes": size,
    }  # fmt: skip


def tables_empty(params) -> None:
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(
            f"TRUNCATE {', '.join(TABLES)}, registry_representative RESTART IDENTITY CASCADE"
        )
        conn.execute("CHECKPOINT")


def generate_in_child(households: int, seed: int, batch: int) -> dict:
    """Run `population_generate` in a fresh process, so its peak memory is its own."""
    command = [
        sys.executable, __file__, "--child", "--households", str(households), "--seed", str(seed),
        "--batch", str(batch),
    ]  # fmt: skip
    tick = time.perf_counter()
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)  # noqa: S603
    wall = time.perf_counter() - tick
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "wall_seconds": wall}


def child(args) -> None:
    django.setup()
    from zrunva.registry.population import population_generate

    result = population_generate(
        households=args.households, seed=args.seed, batch=args.batch, progress=True
    )
    result["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # ru_maxrss keeps the peak from before exec, when this process was a copy of the parent that
    # holds the rendered population; VmHWM is this program's own peak.
    status = Path("/proc/self/status").read_text().splitlines()
    hwm = next(line for line in status if line.startswith("VmHWM:"))
    result["peak_mib"] = int(hwm.split()[1]) / 1024
    print(json.dumps(result))


def search_cases(rng: np.random.Generator, per_class: int) -> list[tuple[str, str, int | None]]:
    """Searches drawn from the stored people: (class, q, municipality id)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM registry_person")
        low, high = cursor.fetchone()
        ids = [int(i) for i in rng.integers(low, high + 1, per_class * 2)]
        cursor.execute(
            "SELECT p.first_name, p.last_name, p.first_name_latin, p.last_name_latin, "
            "p.personal_number, h.municipality_id FROM registry_person p "
            "JOIN registry_membership m ON m.person_id = p.id AND m.end_date IS NULL "
            "JOIN registry_household h ON h.id = m.household_id WHERE p.id = ANY(%s)",
            [ids],
        )
        people = cursor.fetchall()[:per_class]

    def plain(text: str) -> str:
        return text.replace("'", "").lower()

    cases = []
    for first, last, first_latin, last_latin, number, municipality in people:
        cases += [
            ("first name, Latin", plain(first_latin), None),
            ("first name, Latin with ' marks", first_latin, None),
            ("first name, Georgian", first, None),
            ("surname prefix (4 letters)", plain(last_latin)[:4], None),
            ("first + last, Latin", f"{plain(first_latin)} {plain(last_latin)}", None),
            ("last + first, Georgian", f"{last} {first}", None),
            ("first name + municipality", plain(first_latin), municipality),
            ("personal number prefix (6)", number[:6], None),
        ]
    return cases


def searches(args) -> dict:
    from django.db import connection

    from zrunva.accounts.choices import Role
    from zrunva.accounts.models import User
    from zrunva.core.pagination import paginate
    from zrunva.registry.selectors import person_list

    # No password: the benchmark never signs in, it calls the selector with the user.
    admin = User.objects.create_user("bench-admin", role=Role.ADMIN)
    rng = np.random.default_rng(args.seed)
    cases = search_cases(rng, args.searches // 8)
    order = rng.permutation(len(cases))

    def run(q, municipality_id) -> tuple[float, int]:
        tick = time.perf_counter()
        page = paginate(
            person_list(actor=admin, q=q, municipality_id=municipality_id), number=1, size=25
        )
        return time.perf_counter() - tick, len(page.items)

    for i in order[:50]:  # warm the caches and the connection
        run(*cases[i][1:])
    connection.queries_log.clear()
    timings: dict[str, list[float]] = {}
    empty = 0
    for i in order:
        label, q, municipality_id = cases[i]
        seconds, shown = run(q, municipality_id)
        timings.setdefault(label, []).append(seconds)
        empty += shown == 0
    return {"timings": timings, "empty": empty, "cases": cases}


def percentiles(values: list[float]) -> str:
    ms = np.array(values) * 1000
    return (
        f"p50 {np.percentile(ms, 50):6.1f} ms  p99 {np.percentile(ms, 99):6.1f} ms  "
        f"max {ms.max():6.1f} ms  (n={ms.size})"
    )


def explain(q: str, municipality_id: int | None) -> str:
    from django.db import connection

    from zrunva.accounts.models import User
    from zrunva.registry.selectors import person_list

    admin = User.objects.get(username="bench-admin")
    qs = person_list(actor=admin, q=q, municipality_id=municipality_id)[:26]
    query, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--people-target", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE one search per class"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database whose name contains 'bench'.")
    params = database_recreate(url)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    facts = server_facts(params)
    print(f"Machine: {facts['cores']} cores, {facts['cpu']}; Python {facts['python']}; "
          f"PostgreSQL {facts['postgres']} (shared_buffers {facts['shared_buffers']}, "
          f"max_wal_size {facts['max_wal_size']}, synchronous_commit {facts['synchronous_commit']})")  # fmt: skip

    print(
        f"\n(a) Loading {args.households:,} households, seed {args.seed}, batches of {args.batch:,}"
    )
    plain = plain_copy(args, params)
    rows = sum(plain[k] for k in ("households", "people", "memberships", "incomes"))
    print(f"  rows: {plain['households']:,} households, {plain['people']:,} people, "
          f"{plain['memberships']:,} memberships, {plain['incomes']:,} incomes = {rows:,}; "
          f"COPY text {plain['copy_bytes'] / 2**20:,.0f} MiB")  # fmt: skip
    print(
        rate_line(
            "generation alone (no database)", rows, plain["households"], plain["generate_seconds"]
        )
    )
    print(rate_line("rendering to COPY text", rows, plain["households"], plain["render_seconds"]))
    print(
        rate_line(
            "plain COPY of that text (limit)", rows, plain["households"], plain["copy_seconds"]
        )
    )

    tables_empty(params)
    real = generate_in_child(args.households, args.seed, args.batch)
    real_rows = sum(real[k] for k in ("households", "people", "memberships", "incomes"))
    if real_rows != rows:
        raise SystemExit(f"The generator loaded {real_rows:,} rows, the plain COPY {rows:,}.")
    load_only = real["seconds"] - real.get("analyze_seconds", 0)
    print(rate_line("population_generate (gen + load)", rows, real["households"], load_only))
    print(f"    of which: generating {real['generate_seconds']:.1f} s in a thread, overlapping "
          f"loading {real['load_seconds']:.1f} s; then ANALYZE {real.get('analyze_seconds', 0):.1f} s; "
          f"child process wall {real['wall_seconds']:.1f} s incl. Django start")  # fmt: skip
    print(
        f"  ratio to the plain COPY rate: {plain['copy_seconds'] / load_only:.0%} "
        f"({plain['copy_seconds'] / real['seconds']:.0%} counting the final ANALYZE; target >= 50%)"
    )
    print(
        f"  peak memory of the generating process: {real['peak_mib']:,.0f} MiB resident "
        f"(VmHWM; getrusage maxrss {real['maxrss_mib']:,.0f} MiB counts the parent's copy)"
    )

    people, seed = real["people"], args.seed
    while people < args.people_target:
        seed += 1
        more = generate_in_child(args.households, seed, args.batch)
        people += more["people"]
    print(f"\n(b) Name search over {people:,} people, {args.searches:,} searches "
          "(person_list + paginate, page 1 of 25, national administrator; 50 warm-up searches first)")  # fmt: skip
    found = searches(args)
    everything = [t for values in found["timings"].values() for t in values]
    print(f"  {'all':<34} {percentiles(everything)}")
    for label, values in found["timings"].items():
        print(f"  {label:<34} {percentiles(values)}")
    print(f"  searches with no result: {found['empty']}")
    if args.explain:
        seen = set()
        for label, q, municipality_id in found["cases"]:
            if label not in seen:
                seen.add(label)
                print(f"\n--- {label}: q={q!r} municipality={municipality_id}")
                print(explain(q, municipality_id))


if __name__ == "__main__":
    main()
