"""Audit trail benchmark: the DPO's questions at tens of millions of audit rows, on one table
against the trail partitioned by month (issue 19, item 4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench_audit \\
        .venv/bin/python bench/audit.py [--rows 20000000] [--months 24] [--households 5000]

The database's name must contain "bench"; it is created if missing and migrated. Then:
1. a small registry (`generate_population`) whose people the trail is about, and the trail taken
   back to one table (audit migration 0004);
2. --rows synthetic rows spread evenly over the last --months months, written by the server in
   chunks of a million (a progress line each): 60% records opened, 25% changes of a person's
   memberships and incomes, 14% searches by personal number, 1% denied attempts; 40 actors;
3. each question timed (the median of 5 after a warm-up, with the plan's top and whether it
   scanned a whole table), three ways: the one table as auditlog left it plus our 0002
   indexes ("plain"); the same with migrations 0006's and 0007's indexes ("plain + indexes", the
   comparator); partitioned by month with them (migrations 0005, then 0006 and 0007; timed);
4. the trail's size on disk (tables and indexes) each way.

The questions, through the project's own selectors: the DPO's log page (page 1 and page 20,
newest first), denied attempts of the last 30 days (the page and the home page's count), what
one account did in a week (breach_scope's window), the subject-access report of a person, and
the registry's history of the same person. The database is left for inspection; drop it after.
"""

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
os.environ.setdefault("DJANGO_DEBUG", "1")

CHUNK = 1_000_000
PLANS = ROOT / "var" / "bench-audit-plans.txt"
REPEATS = 5

FILL = """
INSERT INTO auditlog_logentry (object_pk, object_id, object_repr, action, changes, changes_text,
    timestamp, actor_id, content_type_id, remote_addr, additional_data, actor_email)
SELECT
    CASE WHEN k < 850 THEN p.id::text ELSE '' END,
    CASE WHEN k < 850 THEN p.id END,
    CASE WHEN k < 600 THEN 'Person ' || p.id WHEN k < 850 THEN 'Membership ' || p.id
         WHEN k < 990 THEN 'search' ELSE 'attempt' END,
    CASE WHEN k >= 600 AND k < 850 THEN 1 ELSE 3 END,  -- ACCESS but the changes (UPDATE)
    CASE WHEN k >= 600 AND k < 850
         THEN jsonb_build_object('role', jsonb_build_array('member', 'head')) END,
    '',
    %(end)s::timestamptz - (%(span)s::interval * (1 - g::float8 / %(rows)s)),
    a.id,
    CASE WHEN k < 600 THEN %(person_type)s WHEN k < 850 THEN %(membership_type)s
         ELSE %(person_type)s END,
    ('10.' || (g %% 200) || '.' || (g %% 250) || '.' || (g %% 199 + 1))::inet,
    CASE WHEN k < 600 THEN jsonb_build_object('purpose', 'view')
         WHEN k < 850 THEN jsonb_build_object('person_id', p.id, 'household_id', p.household)
         WHEN k < 990 THEN jsonb_build_object('purpose', 'search', 'shown', 1,
             'terms', jsonb_build_object('personal_number', p.personal_number))
         ELSE jsonb_build_object('attempt', true, 'path', '/ka/registry/people/' || p.id || '/',
             'status', 404, 'reason', 'outside the area') END,
    a.email
FROM generate_series(%(lo)s, %(hi)s) g
CROSS JOIN LATERAL (SELECT ((g * 2654435761) %% 1000)::int AS k) kind
JOIN bench_people p ON p.n = g %% %(people)s
JOIN bench_actors a ON a.n = g %% %(actors)s
"""


def setup(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    if "bench" not in name:
        sys.exit(f"{name}: the database's name must contain 'bench'")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as server:
        if not server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            server.execute(f'CREATE DATABASE "{name}"')


def manage(*args: str) -> None:
    # This project's manage.py with fixed arguments.
    subprocess.run([sys.executable, "manage.py", *args, "-v0"], cwd=ROOT, check=True)  # noqa: S603


def users() -> None:
    """The data protection officer who asks, and 39 officers whom the trail is about."""
    from zrunva.accounts.choices import Role
    from zrunva.accounts.models import User

    User.objects.get_or_create(username="bench-dpo", defaults={"role": Role.DPO})
    for n in range(39):
        User.objects.get_or_create(
            username=f"bench-officer-{n}",
            defaults={"role": Role.SSA_OFFICER, "email": f"officer{n}@ssa.example.ge"},
        )


def load(args, cursor) -> float:
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from zrunva.registry.models import Membership, Person

    cursor.execute(
        "CREATE TABLE IF NOT EXISTS bench_people AS "
        "SELECT row_number() OVER (ORDER BY p.id) - 1 AS n, p.id, p.personal_number, "
        "m.household_id AS household FROM registry_person p "
        "JOIN registry_membership m ON m.person_id = p.id"
    )
    cursor.execute("SELECT count(*) FROM bench_people")
    people = cursor.fetchone()[0]
    cursor.execute(
        "CREATE TABLE IF NOT EXISTS bench_actors AS SELECT row_number() OVER (ORDER BY id) - 1 "
        "AS n, id, email FROM accounts_user ORDER BY id LIMIT 40"
    )
    cursor.execute("SELECT count(*) FROM bench_actors")
    actors = cursor.fetchone()[0]
    params = {
        "end": timezone.now(),
        "span": f"{args.months} months",
        "rows": args.rows,
        "people": people,
        "actors": actors,
        "person_type": ContentType.objects.get_for_model(Person).id,
        "membership_type": ContentType.objects.get_for_model(Membership).id,
    }
    started = time.perf_counter()
    for lo in range(1, args.rows + 1, CHUNK):
        hi = min(lo + CHUNK - 1, args.rows)
        cursor.execute(FILL, {**params, "lo": lo, "hi": hi})
        elapsed = time.perf_counter() - started
        print(f"  {hi:>11,} rows  {elapsed:7.1f} s  {hi / elapsed:9,.0f} rows/s", flush=True)
    cursor.execute("ANALYZE auditlog_logentry")
    return time.perf_counter() - started


def size(cursor) -> str:
    # pg_partition_tree lists nothing for a table that is not partitioned: then the table alone.
    cursor.execute(
        "SELECT coalesce(sum(pg_table_size(relid)), 0), coalesce(sum(pg_indexes_size(relid)), 0) "
        "FROM (SELECT relid FROM pg_partition_tree('auditlog_logentry') UNION "
        "SELECT 'auditlog_logentry'::regclass) tree"
    )
    table, indexes = cursor.fetchone()
    return f"{table / 2**30:.1f} GiB table, {indexes / 2**30:.1f} GiB indexes"


def questions():
    from auditlog.models import LogEntry
    from django.utils import timezone

    from zrunva.accounts.choices import Role
    from zrunva.accounts.models import User
    from zrunva.audit import subject_access
    from zrunva.audit.selectors import log_list
    from zrunva.audit.views import PAGE_SIZE
    from zrunva.core.pagination import paginate
    from zrunva.registry import selectors as registry
    from zrunva.registry.models import Person

    dpo = User.objects.filter(role=Role.DPO, is_active=True).first()
    today = timezone.localdate()
    latest = LogEntry.objects.filter(action=1).order_by("-id")[0]
    someone, person = latest.actor_id, Person.objects.get(pk=latest.object_id)

    subject = subject_access.Subject(person=person, personal_number=person.personal_number)
    sections = [p.provider(subject) for p in subject_access.providers()]
    trail = LogEntry.objects.filter(subject_access._log_filter(sections, subject)).order_by(
        "timestamp", "id"
    )

    def page(n, **filters):
        return len(paginate(log_list(actor=dpo, **filters), number=n, size=PAGE_SIZE).items)

    return {
        "log page 1": lambda: page(1),
        "log page 20": lambda: page(20),
        "denied attempts, 30 days": lambda: page(
            1, attempts=True, since=today - timedelta(days=30)
        ),
        "denied attempts, home count": lambda: log_list(
            actor=dpo, attempts=True, since=today - timedelta(days=7)
        ).count(),
        "one account, one week": lambda: page(
            1, user_id=someone, since=today - timedelta(days=60), until=today - timedelta(days=53)
        ),
        "subject-access report": lambda: len(
            subject_access.report(actor=dpo, person=person)["processing_log"]
        ),
        "subject-access: trail rows alone": lambda: len(list(trail.all())),
        "person's record history": lambda: len(registry.person_history(actor=dpo, person=person)),
    }


def plans(label: str, name: str, run) -> str:
    """The plan of each query the question made of the trail, to a file; whether any scanned
    a whole table or partition."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seen:
        run()
    scanned = set()
    with connection.cursor() as cursor, PLANS.open("a") as out:
        # Months still empty (ahead, and the default partition) are scanned at no cost.
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname LIKE 'auditlog_logentry_%%' "
            "AND relkind = 'r' AND relpages = 0"
        )
        empty = {row[0] for row in cursor.fetchall()}
        for query in seen.captured_queries:
            if "auditlog_logentry" not in query["sql"] or not query["sql"].startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            scanned |= set(re.findall(r"Seq Scan on (auditlog_logentry\w*)", plan)) - empty
            out.write(f"## {label}: {name}\n{query['sql']}\n{plan}\n\n")
    if "auditlog_logentry" in scanned:
        return "whole-table scan"
    # A month read whole can be the right plan (this week's attempts); all of them cannot.
    return f"{len(scanned)} month(s) read whole" if scanned else "indexes"


def measure(label: str) -> dict:
    from django.db import connection, reset_queries

    results = {}
    for name, run in questions().items():
        how = plans(label, name, run)  # also the warm-up
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            found = run()
            times.append((time.perf_counter() - started) * 1000)
        results[name] = statistics.median(times)
        print(
            f"  {label:<17} {name:<33} {results[name]:9.1f} ms  ({found} rows; {how})", flush=True
        )
    reset_queries()
    connection.close()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--households", type=int, default=5000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL database whose name contains 'bench'")
    setup(url)
    PLANS.parent.mkdir(exist_ok=True)
    PLANS.write_text("")
    print(
        f"{platform.node()}: {os.cpu_count()} cores; load {Path('/proc/loadavg').read_text().split()[:3]}"
    )
    manage("migrate")
    import django

    django.setup()
    from django.db import connection

    from zrunva.registry.models import Person

    if not Person.objects.exists():
        manage("generate_population", "--households", str(args.households), "--seed", "19")
    users()
    manage("migrate", "audit", "0004")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM auditlog_logentry")
        have = cursor.fetchone()[0]
        if have < args.rows:
            print(f"writing {args.rows:,} audit rows over {args.months} months")
            seconds = load(args, cursor)
            print(f"  loaded in {seconds:.0f} s")
        print(f"plain: {size(cursor)}")
    plain = measure("plain")

    from importlib import import_module

    indexes = import_module("zrunva.audit.migrations.0006_trail_query_indexes")
    searched = import_module("zrunva.audit.migrations.0007_searched_number_index_for_access")
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(indexes.FORWARD)
        cursor.execute(searched.FORWARD)
        cursor.execute("ANALYZE auditlog_logentry")
        print(
            f"0006's and 0007's indexes on the one table: {time.perf_counter() - started:.0f} s; "
            f"{size(cursor)}"
        )
    indexed = measure("plain + indexes")
    with connection.cursor() as cursor:
        cursor.execute(indexes.BACKWARD)
    connection.close()

    started = time.perf_counter()
    manage("migrate", "audit", "0005")
    converted = time.perf_counter() - started
    started = time.perf_counter()
    manage("migrate", "audit", "0007")
    built = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_partition_tree('auditlog_logentry') WHERE isleaf")
        leaves = cursor.fetchone()[0]
        print(
            f"migration 0005 {converted:.0f} s, 0006 and 0007 {built:.0f} s; {leaves} partitions; "
            f"{size(cursor)}"
        )
    partitioned = measure("partitioned")

    print("\n| question | plain | plain + indexes | partitioned | partitioned / plain + indexes |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in plain:
        ratio = partitioned[name] / indexed[name] if indexed[name] else float("nan")
        print(
            f"| {name} | {plain[name]:.1f} ms | {indexed[name]:.1f} ms | "
            f"{partitioned[name]:.1f} ms | {ratio:.2f} |"
        )


if __name__ == "__main__":
    main()
