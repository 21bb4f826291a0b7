"""Citizen portal under load: submissions and status checks per second, with p50/p99 latency, over
HTTP against gunicorn on PostgreSQL, with the load generator (locust) on the same machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench \\
        .venv/bin/python bench/portal_load.py

The database must hold a registry of at least 2,000,000 people (bench/registry.py leaves one); it
is migrated (DJANGO_DEBUG=1, config.settings.base) and its cache table created, as the throttle
counts in it. Then:
1. applicants: real registry people, adults with a personal number and no application, drawn at
   random (seed given), each with their own municipality and one of the five state programmes in
   turn, and a fresh submission key; no person is used twice in a run;
2. gunicorn serves config.wsgi with config.settings.production on 127.0.0.1. All the load comes
   from one address, so the per-address limits (PORTAL_THROTTLE_ADDRESS,
   PORTAL_THROTTLE_STATUS_ADDRESS) are raised to 10,000,000 an hour; the per-person and
   per-number limits stay at their defaults (each applicant submits once and checks twice);
3. after 20 s of unjudged warm-up, steps at increasing offered submission rates (default 5, 10,
   20, 25, 30, 35, 40, 45 a second), each a headless locust run of its own: every simulated
   citizen submits one application, checks its status 2 and 4 seconds later, and starts again
   with the next applicant 10 seconds after its last start (constant_throughput), so users =
   rate x 10 s; each user starts at a random point of its first 10 s, so submissions are spread
   over the second, not sent in locust's once-a-second spawn batches. Latencies are every
   request's, kept raw (not locust's rounded histogram), over the 60 s that follow the spawn
   ramp and that first 10 s; failures are counted over the whole step;
4. after each step, the applications are counted in the database: every acknowledged (201)
   submission key is stored exactly once, nothing else of the step is stored, one SMS queued
   for each;
5. a step passes with no failure, p99 < 250 ms for submit and for status, at least 95% of the
   offered rate achieved and the count check right; the run stops after two failing steps in a
   row. The highest passing rate is the result. The run's applications, their status events,
   queued messages and outbox tasks are deleted at the end (--keep keeps them); their audit
   entries stay, as the audit trail refuses deletes.
See bench/README.md for measured figures.
"""

import argparse
import itertools
import json
import os
import platform
import random
import resource
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench-portal"
VENV_BIN = Path(sys.executable).parent
PEOPLE_NEEDED = 2_000_000
PROGRAMMES = ("tsa", "child_benefit", "state_pension", "disability_package", "idp_allowance")
# Every submission key of this benchmark starts with these 8 hex digits (the rest is uuid4's):
# its applications are found by them, after a run or after an interrupted one.
KEY_PREFIX = "b3e4c100"
# All the load comes from 127.0.0.1: the per-address limits are raised so as not to throttle
# the benchmark itself. Per person and per application number, the defaults stay.
THROTTLE = {"PORTAL_THROTTLE_ADDRESS": "10000000", "PORTAL_THROTTLE_STATUS_ADDRESS": "10000000"}
STATUS_GAP = 2.0  # seconds between the submission and each status check
# The tables a submission or a status check writes. This server runs with autovacuum off, so
# the script vacuums them itself: before each step, as autovacuum would, and at both ends.
WRITTEN = (
    "zrunva_cache",
    "applications_application",
    "applications_applicationevent",
    "notifications_message",
    "django_tasks_database_dbtaskresult",
    "auditlog_logentry",
)
BUSY = 0.25  # other processes' CPU, in cores, above which a step is marked as disturbed


def connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def check_registry(url: str) -> int:
    with connect(url) as conn:
        found = conn.execute("SELECT to_regclass('registry_person') IS NOT NULL").fetchone()[0]
        people = conn.execute("SELECT count(*) FROM registry_person").fetchone()[0] if found else 0
    if people < PEOPLE_NEEDED:
        raise SystemExit(
            f"The registry holds {people:,} people; this benchmark needs at least "
            f"{PEOPLE_NEEDED:,}. Load one first (about 5 minutes):\n"
            "    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench "
            ".venv/bin/python bench/registry.py --households 1000000 --people-target 2000000"
        )
    return people


def manage(url: str, *command: str) -> None:
    env = os.environ | {
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(  # noqa: S603 (this project's manage.py, fixed arguments)
        [sys.executable, str(ROOT / "manage.py"), *command], check=True, env=env, cwd=ROOT
    )


def machine(url: str) -> str:
    with connect(url) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("shared_buffers", "synchronous_commit", "max_connections", "autovacuum")
        }
    from importlib.metadata import version

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run(  # noqa: S603, S607 (git, fixed arguments)
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    changed = subprocess.run(  # noqa: S603, S607
        [*git, "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"Python {platform.python_version()}, PostgreSQL {server} "
        f"({', '.join(f'{k} {v}' for k, v in settings.items())}), {os.cpu_count()} cores, "
        f"{memory:.0f} GiB; gunicorn {version('gunicorn')}, locust {version('locust')}, "
        f"Django {version('django')}; code: commit {commit or '?'}"
        f"{' with uncommitted changes' if changed else ''}\n"
        f"Load average at start (1, 5, 15 min): {load}"
    )


def cleanup(url: str, since: float | None = None) -> dict:
    """Delete the benchmark's applications (by their key prefix) and what refers to them:
    status events, documents, queued messages; and the outbox tasks the run queued (no worker
    runs them). Their audit entries stay: the audit trail refuses deletes."""
    with connect(url) as conn, conn.transaction():
        conn.execute(
            "CREATE TEMP TABLE bench_apps ON COMMIT DROP AS SELECT id, number "
            "FROM applications_application WHERE submission_key::text LIKE %s",
            (KEY_PREFIX + "-%",),
        )
        done = {}
        for table, condition in (
            ("applications_applicationevent", "application_id IN (SELECT id FROM bench_apps)"),
            ("applications_document", "application_id IN (SELECT id FROM bench_apps)"),
            ("notifications_message", "reference IN (SELECT number FROM bench_apps)"),
            ("applications_application", "id IN (SELECT id FROM bench_apps)"),
        ):
            done[table] = conn.execute(f"DELETE FROM {table} WHERE {condition}").rowcount
        if since is not None:
            done["outbox tasks"] = conn.execute(
                "DELETE FROM django_tasks_database_dbtaskresult WHERE task_path = %s "
                "AND status = 'READY' AND enqueued_at >= to_timestamp(%s)",
                ("zrunva.notifications.tasks.outbox_send", since),
            ).rowcount
    return done


def vacuum(url: str) -> float:
    started = time.monotonic()
    with connect(url) as conn:
        for table in WRITTEN:
            conn.execute(f"VACUUM (ANALYZE) {table}")
    return time.monotonic() - started


def applicants_draw(url: str, count: int, seed: int) -> list[dict]:
    """`count` adults of the registry with a personal number, a municipality and no
    application, in a random order fixed by the seed."""
    today = date.today()
    adult = date(today.year - 18, today.month, min(today.day, 28))
    rows: list = []
    with connect(url) as conn:
        percent = 1.0
        while len(rows) < count and percent <= 100:
            rows = conn.execute(
                "SELECT p.personal_number, p.first_name, p.last_name, p.birth_date, m.code "
                "FROM registry_person p TABLESAMPLE SYSTEM (%s) REPEATABLE (%s) "
                "JOIN geo_municipality m ON m.id = p.municipality_id "
                "WHERE p.personal_number IS NOT NULL AND p.date_of_death IS NULL "
                "AND p.birth_date <= %s AND NOT EXISTS (SELECT 1 FROM applications_application a "
                "WHERE a.personal_number = p.personal_number)",
                (percent, seed, adult),
            ).fetchall()
            percent *= 2
    if len(rows) < count:
        raise SystemExit(f"Only {len(rows):,} people could be drawn; {count:,} are needed.")
    rng = random.Random(seed)
    rng.shuffle(rows)
    return [
        {
            "personal_number": pn,
            "first_name": first,
            "last_name": last,
            "birth_date": born.isoformat(),
            "municipality": municipality,
            "programme": PROGRAMMES[i % len(PROGRAMMES)],
            "phone": f"5{rng.randrange(10**8):08d}",
            "key": KEY_PREFIX + str(uuid.uuid4())[8:],
        }
        for i, (pn, first, last, born, municipality) in enumerate(rows[:count])
    ]


class Server:
    """gunicorn on 127.0.0.1, production settings, the throttle raised for this one address."""

    def __init__(self, args, url: str):
        self.args = args
        separator = "&" if "?" in url else "?"
        self.env = os.environ | {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": f"{url}{separator}conn_max_age=60",
            "LOG_LEVEL": "WARNING",
            **THROTTLE,
        }
        if args.cache == "locmem":
            # Diagnostic only: the throttle's counters in each worker's memory instead of the
            # shared database cache, to see what the database cache costs. Not a valid
            # production setting (each worker would count apart).
            (WORK / "bench_locmem_settings.py").write_text(
                "from config.settings.production import *  # noqa: F403\n"
                'CACHES = {"default": {"BACKEND": '
                '"django.core.cache.backends.locmem.LocMemCache"}}\n'
            )
            self.env["DJANGO_SETTINGS_MODULE"] = "bench_locmem_settings"
            self.env["PYTHONPATH"] = f"{WORK}{os.pathsep}{ROOT}"
        self.command = [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--error-logfile",
            str(WORK / "gunicorn.log"),
        ]
        self.process = None
        self.peak_rss = 0.0
        self._sampling = False

    def describe(self) -> str:
        threads = (
            f", {self.args.threads} threads each" if self.args.worker_class == "gthread" else ""
        )
        return (
            f"gunicorn {self.args.worker_class} workers: {self.args.workers}{threads}; "
            f"config.settings.production, DEBUG off, CONN_MAX_AGE 60, LOG_LEVEL WARNING, "
            f"no access log"
            + (
                "; DIAGNOSTIC: cache (throttle counters) in each worker's memory, not the database"
                if self.args.cache == "locmem"
                else ""
            )
        )

    def start(self) -> None:
        self.log = open(WORK / "gunicorn.log", "a")  # noqa: SIM115 (open while it runs)
        self.process = subprocess.Popen(  # noqa: S603 (the venv's gunicorn, fixed arguments)
            self.command, env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                request = urllib.request.Request(  # an unknown pair: 404, once Django answers
                    f"http://127.0.0.1:{self.args.port}/api/v1/portal/applications/status",
                    data=b'{"number": "ZR-00000-00000", "personal_number": "00000000000"}',
                    headers={"Content-Type": "application/json"},
                )
                urllib.request.urlopen(request, timeout=5)  # noqa: S310 (loopback)
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    return
                raise SystemExit(
                    f"gunicorn answered {error.code}; see {WORK / 'gunicorn.log'}"
                ) from error
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {WORK / 'gunicorn.log'}")
            time.sleep(0.5)

    def processes(self):
        import psutil

        master = psutil.Process(self.process.pid)
        return [master, *master.children(recursive=True)]

    def cpu_seconds(self) -> float:
        return sum(sum(p.cpu_times()[:2]) for p in self.processes())

    def sample(self) -> None:
        """Keep the highest total resident memory of master and workers, every 0.5 s."""
        self._sampling = True

        def loop():
            while self._sampling:
                try:
                    rss = sum(p.memory_info().rss for p in self.processes()) / 2**20
                    self.peak_rss = max(self.peak_rss, rss)
                except Exception:  # noqa: S110 (a worker restarting between two reads)
                    pass
                time.sleep(0.5)

        threading.Thread(target=loop, daemon=True).start()

    def worker_peaks(self) -> list[float]:
        """Each worker's own high-water mark of resident memory (VmHWM), MiB."""
        peaks = []
        for p in self.processes()[1:]:
            for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks

    def stop(self) -> None:
        self._sampling = False
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.log.close()


def postgres_cpu() -> float:
    """CPU seconds of PostgreSQL: its live processes, and the backends that have ended (their
    time is added to the postmaster's children's)."""
    import psutil

    total = 0.0
    for p in psutil.process_iter(["name", "cpu_times"]):
        if p.info["name"] == "postgres" and p.info["cpu_times"] is not None:
            total += sum(p.info["cpu_times"][:4])  # user, system, children's user and system
    return total


def busy() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    import psutil

    times = psutil.cpu_times()  # Linux: guest time is already in user time
    return times.user + times.nice + times.system + times.irq + times.softirq


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q% of the values at or below it."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = -(-len(ordered) * q // 100)  # ceil
    return ordered[max(0, min(len(ordered), int(rank)) - 1)]


def run_step(args, server: Server, url: str, rate: float, applicants: list[dict], label: str):
    """One headless locust run at `rate` submissions per second; then the count check."""
    users = max(1, round(rate * args.session))
    # Users are spawned over `ramp` seconds, and each first waits a random part of a session.
    ramp = users / rate + args.session
    stem = WORK / f"step-{label.replace('.', '_')}"
    applicants_file = Path(f"{stem}.applicants.json")
    applicants_file.write_text(json.dumps(applicants))
    samples_file, log_file = Path(f"{stem}.samples.json"), Path(f"{stem}.locust.log")
    samples_file.unlink(missing_ok=True)
    env = os.environ | {
        "PORTAL_LOAD_APPLICANTS": str(applicants_file),
        "PORTAL_LOAD_SAMPLES": str(samples_file),
        "PORTAL_LOAD_SESSION_SECONDS": str(args.session),
        "PORTAL_LOAD_STATUS_CHECKS": str(args.checks),
        "PORTAL_LOAD_STATUS_GAP": str(STATUS_GAP),
    }
    command = [
        str(VENV_BIN / "locust"),
        "-f",
        str(Path(__file__).resolve()),
        "--headless",
        "--host",
        f"http://127.0.0.1:{args.port}",
        "--users",
        str(users),
        "--spawn-rate",
        f"{rate:g}",
        "--run-time",
        f"{round(ramp + args.seconds)}s",
        "--stop-timeout",
        str(round(args.checks * STATUS_GAP + 30)),
        "--csv",
        str(stem),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    pg_before, gunicorn_before, machine_before = postgres_cpu(), server.cpu_seconds(), busy()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with open(log_file, "w") as log:
        subprocess.run(  # noqa: S603 (the venv's locust, fixed arguments)
            command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    wall = time.monotonic() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    pg_after, machine_after = postgres_cpu(), busy()
    cpu = {
        "gunicorn": (server.cpu_seconds() - gunicorn_before) / wall,
        "postgres": (pg_after - pg_before) / wall,
        "locust": (
            children.ru_utime
            + children.ru_stime
            - children_before.ru_utime
            - children_before.ru_stime
        )
        / wall,
    }
    # The rest of the machine's busy time: other work on the same 2 cores.
    cpu["other"] = max(0.0, (machine_after - machine_before) / wall - sum(cpu.values()))
    if not samples_file.exists():
        raise SystemExit(f"locust left no samples; see {log_file}")
    data = json.loads(samples_file.read_text())
    log_text = log_file.read_text()
    t0 = data["started"][0] + ramp
    t1 = t0 + args.seconds
    window = [s for s in data["samples"] if t0 <= s[1] < t1]
    submit = [s[2] for s in window if s[0] == "submit"]
    status = [s[2] for s in window if s[0] == "status"]
    failures: dict[str, int] = {}
    for name, _start, _ms, ok, code in data["samples"]:
        if not ok:
            failures[f"{name} {code or 'no answer'}"] = (
                failures.get(f"{name} {code or 'no answer'}", 0) + 1
            )
    result = {
        "label": label,
        "rate": rate,
        "users": users,
        "submitted": sum(1 for s in window if s[0] == "submit" and s[3]) / args.seconds,
        "status": sum(1 for s in window if s[0] == "status" and s[3]) / args.seconds,
        "submit_p50": percentile(submit, 50),
        "submit_p99": percentile(submit, 99),
        "submit_max": max(submit, default=float("nan")),
        "status_p50": percentile(status, 50),
        "status_p99": percentile(status, 99),
        "status_max": max(status, default=float("nan")),
        "requests": len(data["samples"]),
        "failures": failures,
        "cpu": cpu,
        "locust_cpu_warning": "CPU usage above" in log_text,
    }
    result["count"] = count_check(url, applicants, data["outcomes"])
    return result


def count_check(url: str, applicants: list[dict], outcomes: list) -> dict:
    """Every acknowledged submission stored exactly once, and nothing else of the step: looked
    for among all the applicants the step was given, whether locust reached them or not."""
    sent = {a["key"] for a in applicants}
    acknowledged = {key: number for key, code, number in outcomes if code == 201 and number}
    with connect(url) as conn:
        stored = conn.execute(
            "SELECT submission_key::text, number FROM applications_application "
            "WHERE submission_key = ANY(%s::uuid[])",
            (sorted(sent),),
        ).fetchall()
        by_person = conn.execute(
            "SELECT count(*), count(DISTINCT personal_number) FROM applications_application "
            "WHERE personal_number = ANY(%s)",
            ([a["personal_number"] for a in applicants],),
        ).fetchone()
        messages = conn.execute(
            "SELECT count(*) FROM notifications_message WHERE reference = ANY(%s)",
            ([number for _key, number in stored],),
        ).fetchone()[0]
    stored_keys = [key for key, _number in stored]
    check = {
        "sent": len(outcomes),
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "stored_people": by_person[0],
        "missing": len(set(acknowledged) - set(stored_keys)),
        "unacknowledged_stored": len(set(stored_keys) - set(acknowledged)),
        "duplicates": len(stored_keys) - len(set(stored_keys)) + by_person[0] - by_person[1],
        "wrong_number": sum(1 for key, number in stored if acknowledged.get(key, number) != number),
        "messages": messages,
    }
    check["ok"] = (
        check["stored"] == check["acknowledged"] == check["stored_people"]
        and check["missing"] == check["unacknowledged_stored"] == check["duplicates"] == 0
        and check["wrong_number"] == 0
        and check["messages"] == check["stored"]
    )
    return check


def passes(args, r: dict) -> bool:
    return (
        not r["failures"]
        and r["submit_p99"] < args.p99
        and r["status_p99"] < args.p99
        and r["submitted"] >= 0.95 * r["rate"]
        and r["count"]["ok"]
    )


HEADER = (
    "| offered submits/s | users | achieved submits/s | status checks/s | submit p50 | "
    "submit p99 | status p50 | status p99 | failures | stored exactly once | CPU gunicorn / "
    "PostgreSQL / locust / other | pass |\n"
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"
)


def disturbed(r: dict) -> bool:
    """Other work on the machine took more than a quarter of a core during the step."""
    return r["cpu"]["other"] > BUSY


def row(args, r: dict) -> str:
    c = r["count"]
    stored = (
        f"{c['stored']:,} of {c['acknowledged']:,} acknowledged: "
        f"{'yes' if c['ok'] else 'NO ' + json.dumps(c)}"
    )
    failures = sum(r["failures"].values())
    cpu = " / ".join(
        f"{r['cpu'][k] * 100:.0f}%" for k in ("gunicorn", "postgres", "locust", "other")
    )
    if r["locust_cpu_warning"]:
        cpu += " (locust warned: CPU above 90%)"
    if disturbed(r):
        cpu += " (busy machine)"
    return (
        f"| {r['rate']:g}{' (warm-up)' if r['label'] == 'warmup' else ''} | {r['users']} | "
        f"{r['submitted']:.1f} | {r['status']:.1f} | {r['submit_p50']:.0f} ms | "
        f"{r['submit_p99']:.0f} ms | {r['status_p50']:.0f} ms | {r['status_p99']:.0f} ms | "
        f"{failures}{' ' + json.dumps(r['failures']) if failures else ''} | {stored} | {cpu} | "
        f"{'yes' if passes(args, r) else 'no'} |"
    )


def main():
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument(
        "--rates",
        default="5,10,20,25,30,35,40,45",
        help="offered submission rates per second, one step each, in order (default %(default)s)",
    )
    parser.add_argument(
        "--seconds", type=float, default=60, help="measured seconds per step (default 60)"
    )
    parser.add_argument(
        "--warmup", type=float, default=20, help="seconds of unjudged warm-up at the first rate"
    )
    parser.add_argument(
        "--session",
        type=float,
        default=10,
        help="seconds between a simulated citizen's submissions (default 10)",
    )
    parser.add_argument("--checks", type=int, default=2, help="status checks per submission")
    parser.add_argument("--p99", type=float, default=250, help="p99 target, ms (default 250)")
    parser.add_argument(
        "--all-steps", action="store_true", help="do not stop after two failing steps in a row"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--worker-class", default="sync", choices=("sync", "gthread"))
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=2026, help="which registry people apply")
    parser.add_argument("--keep", action="store_true", help="keep the run's applications")
    parser.add_argument(
        "--cache",
        choices=("database", "locmem"),
        default="database",
        help="diagnostic: 'locmem' keeps the throttle's counters in each worker's memory "
        "instead of the shared database cache the application uses (default database)",
    )
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]

    begun = time.time()
    from importlib.util import find_spec

    if find_spec("locust") is None or find_spec("psutil") is None:
        raise SystemExit(
            "locust is not installed: .venv/bin/pip install -r requirements-bench.lock "
            "-c requirements.lock"
        )
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or "bench" not in url.rsplit("/", 1)[-1]:
        raise SystemExit(
            "Set DATABASE_URL to the benchmark's PostgreSQL database (its name containing "
            "'bench'), e.g. postgres://postgres@127.0.0.1:5432/zrunva_bench"
        )
    WORK.mkdir(parents=True, exist_ok=True)
    print(machine(url))
    people = check_registry(url)
    manage(url, "migrate", "-v0")
    manage(url, "createcachetable")
    leftovers = cleanup(url)
    with connect(url) as conn:
        conn.execute("TRUNCATE zrunva_cache")  # throttle counters of earlier runs
    vacuum(url)
    if leftovers["applications_application"]:
        print(f"Deleted {leftovers['applications_application']:,} applications of an earlier run.")

    # Each step is given its own applicants: more than it can use at its rate.
    steps = [("warmup", rates[0], args.warmup)] + [(f"{r:g}", r, args.seconds) for r in rates]
    needs = [int(rate * (seconds + args.session * 3)) + 50 for _label, rate, seconds in steps]
    pool = applicants_draw(url, sum(needs), args.seed)
    with connect(url) as conn:
        applications = conn.execute("SELECT count(*) FROM applications_application").fetchone()[0]
    print(
        f"Registry: {people:,} people; {applications:,} applications stored before the run. "
        f"Applicants: {len(pool):,} registry adults drawn (seed {args.seed}), programmes in turn: "
        f"{', '.join(PROGRAMMES)}."
    )
    server = Server(args, url)
    print(
        f"Server: {server.describe()}, on 127.0.0.1:{args.port}, with locust on the same "
        f"{os.cpu_count()} cores."
    )
    print(
        "Throttling: all the load comes from 127.0.0.1, so "
        + " and ".join(f"{k}={v}" for k, v in THROTTLE.items())
        + " (per address and hour); PORTAL_THROTTLE_PERSON and PORTAL_THROTTLE_STATUS_NUMBER "
        "stay at their defaults (5 submissions per person and day, 10 status checks per "
        "number and hour): each applicant submits once and checks twice."
    )
    print(
        f"Steps: {args.seconds:g} s measured after the spawn ramp and each user's random start "
        f"(2 x {args.session:g} s); each citizen submits, checks {args.checks} times "
        f"{STATUS_GAP:g} s apart, and starts again every {args.session:g} s. Pass: no failure, "
        f"p99 < {args.p99:g} ms for submit and status, >= 95% of the offered rate, every "
        "acknowledged submission stored exactly once. Before each step: VACUUM (ANALYZE) of "
        f"the tables the portal writes ({', '.join(WRITTEN)}).\n"
    )
    run_started = time.time()
    server.start()
    server.sample()
    results = []
    try:
        print(HEADER, flush=True)
        for (label, rate, seconds), need, used in zip(
            steps, needs, itertools.accumulate([0, *needs]), strict=False
        ):
            step_args = argparse.Namespace(**{**vars(args), "seconds": seconds})
            vacuum(url)
            result = run_step(step_args, server, url, rate, pool[used : used + need], label)
            print(row(step_args, result), flush=True)
            if label == "warmup":
                continue
            results.append(result)
            # Two failing steps in a row end the run, unless other work on the machine was
            # using it then.
            failing = [not passes(args, r) and not disturbed(r) for r in results[-2:]]
            if len(failing) == 2 and all(failing) and not args.all_steps:
                break
        peaks = server.worker_peaks()
    finally:
        server.stop()
        if not args.keep:
            removed = cleanup(url, since=run_started)
            vacuum(url)
    if any(disturbed(r) for r in results):
        print(
            f"\n(busy machine): other processes used more than {BUSY:.0%} of a core during the "
            "step; its latencies are not the portal's alone. Run again when the machine is quiet."
        )
    passed = [r for r in results if passes(args, r)]
    best = max(passed, key=lambda r: r["rate"]) if passed else None
    print()
    if best:
        print(
            f"Highest rate with p99 < {args.p99:g} ms, no failure and every submission stored "
            f"exactly once: {best['rate']:g} submissions/s offered, {best['submitted']:.1f}/s "
            f"achieved, with {best['status']:.1f} status checks/s (submit p50/p99 "
            f"{best['submit_p50']:.0f}/{best['submit_p99']:.0f} ms, status "
            f"{best['status_p50']:.0f}/{best['status_p99']:.0f} ms)."
        )
    else:
        print(f"No step met p99 < {args.p99:g} ms with no failure.")
    counts = [r["count"] for r in results]
    print(
        f"Count check over the judged steps: {sum(c['acknowledged'] for c in counts):,} "
        f"acknowledged, {sum(c['stored'] for c in counts):,} stored, "
        f"{sum(c['missing'] for c in counts)} missing, "
        f"{sum(c['unacknowledged_stored'] for c in counts)} stored unacknowledged, "
        f"{sum(c['duplicates'] for c in counts)} duplicates; "
        f"{'all steps right' if all(c['ok'] for c in counts) else 'NOT ALL RIGHT'}."
    )
    print(
        f"gunicorn memory: peak {server.peak_rss:.0f} MiB resident, master and workers together "
        f"(sampled every 0.5 s); each worker's peak (VmHWM) "
        f"{', '.join(f'{p:.0f}' for p in peaks)} MiB."
    )
    print(
        f"Load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"run time {(time.time() - begun) / 60:.1f} min"
    )
    if not args.keep:
        print(f"Cleaned up: {removed}")
    print(f"locust logs, CSV statistics and raw samples: {WORK.relative_to(ROOT)}/")


if __name__ != "__main__" and os.environ.get("PORTAL_LOAD_SAMPLES"):
    # Imported by locust (`locust -f bench/portal_load.py`, started by main() below): the
    # simulated citizens. Kept apart, as importing locust monkey-patches the process (gevent).
    import gevent
    from locust import FastHttpUser, constant_throughput, events, task
    from locust.exception import StopUser

    APPLICANTS = json.loads(Path(os.environ["PORTAL_LOAD_APPLICANTS"]).read_text())
    SESSION = float(os.environ["PORTAL_LOAD_SESSION_SECONDS"])
    CHECKS = int(os.environ["PORTAL_LOAD_STATUS_CHECKS"])
    GAP = float(os.environ["PORTAL_LOAD_STATUS_GAP"])
    NEXT = itertools.count()
    SAMPLES: list = []  # (name, start, milliseconds, ok, http status)
    OUTCOMES: list = []  # (submission key, http status, application number)
    STARTED: list = []

    @events.test_start.add_listener
    def _started(**_kwargs):
        STARTED.append(time.time())

    @events.request.add_listener
    def _sample(name, response_time, exception, response=None, start_time=None, **_kwargs):
        status = getattr(response, "status_code", 0) or 0
        start = start_time or time.time() - response_time / 1000
        SAMPLES.append((name, start, response_time, exception is None, status))

    @events.quitting.add_listener
    def _dump(**_kwargs):
        Path(os.environ["PORTAL_LOAD_SAMPLES"]).write_text(
            json.dumps({"started": STARTED[:1], "samples": SAMPLES, "outcomes": OUTCOMES})
        )

    class Citizen(FastHttpUser):
        """Applies once for a programme, then follows the application twice; then the next."""

        wait_time = constant_throughput(1 / SESSION)

        def on_start(self):
            # locust starts users in batches, once a second: without a phase of its own each,
            # every citizen would submit in the same few hundred milliseconds of the second.
            gevent.sleep(random.uniform(0, SESSION))

        @task
        def apply_and_follow(self):
            index = next(NEXT)
            if index >= len(APPLICANTS):
                raise StopUser()
            a = APPLICANTS[index]
            body = {
                "programme": a["programme"],
                "municipality": a["municipality"],
                "applicant": {
                    "personal_number": a["personal_number"],
                    "first_name": a["first_name"],
                    "last_name": a["last_name"],
                    "birth_date": a["birth_date"],
                    "phone": a["phone"],
                    "email": "",
                    "language": "ka",
                },
                "members": [],
                "consent": True,
                "submission_key": a["key"],
            }
            number = None
            with self.client.post(
                "/api/v1/portal/applications", json=body, name="submit", catch_response=True
            ) as response:
                if response.status_code == 201:
                    number = response.json().get("number")
                if number:
                    response.success()
                else:
                    response.failure(f"{response.status_code}: {(response.text or '')[:300]}")
            OUTCOMES.append((a["key"], response.status_code or 0, number))
            if not number:
                return
            lookup = {"number": number, "personal_number": a["personal_number"]}
            for _ in range(CHECKS):
                gevent.sleep(GAP)
                with self.client.post(
                    "/api/v1/portal/applications/status",
                    json=lookup,
                    name="status",
                    catch_response=True,
                ) as response:
                    if response.status_code == 200 and response.json().get("number") == number:
                        response.success()
                    else:
                        response.failure(f"{response.status_code}: {(response.text or '')[:300]}")


if __name__ == "__main__":
    main()
