"""Social work at national scale (issue 16's speed targets): the supervisor's cases page and the
monthly indicators page over 50,000 cases and 500,000 timeline entries, over HTTP against
gunicorn on PostgreSQL, with the load generator in a second process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench_cases \\
        .venv/bin/python bench/cases.py

The database named in DATABASE_URL is dropped and created anew (its name must contain "bench";
`--reuse` keeps one this script built, and only migrates it). Then:
1. build (timed, with a progress bar): a synthetic registry (`population_generate`, 40,000
   households); 300 social workers and their supervisors (one to eight workers, at least one an
   office) over the State Care Agency's offices (agency "sca"), in proportion to the offices'
   cases; an analyst; 50,000 cases of people of the offices' municipalities, opened over the
   last 24 months, with realistic mixes (most closed or in implementation; violence and
   trafficking sensitive, as 2% of the others), first contacts, closures with outcomes, review
   dates, care plans with two to four actions, referrals to services (most completed), the
   opening, first contact and closure events, and 500,000 timeline entries spread by each
   case's length; every table written with COPY (no row saved one by one); then VACUUM
   (ANALYZE) (this server runs with autovacuum off), and the dashboards' tables refreshed as
   cron's nightly `refresh_analytics` does (the indicators of past months kept);
2. gunicorn serves config.wsgi with config.settings.production on 127.0.0.1 (2 sync workers,
   CONN_MAX_AGE 60, static files by WhiteNoise); a load generator in a second process (this
   script, `--client`) signs in through the login page as the supervisor of the office with the
   most cases and as the analyst and, from 2 keep-alive connections at once (one per worker),
   after warm-up: (a) GETs /cases/ as the supervisor, (b) GETs /cases/indicators/ over the last
   12 months as the supervisor (their area) and as the analyst (the whole country), (c) the
   floor: a static file;
3. the comparators, in one process with production settings (`--in-process`): the same pages
   through Django's test `Client`, one at a time, no HTTP and no gunicorn.
It prints p50/p95/p99/max, the ratios and the verdicts (target: p99 at most 200 ms). See
bench/README.md for measured figures.
"""

import argparse
import http.client
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = ROOT / "var" / "bench-cases"
HOUSEHOLDS = 40_000
CASES = 50_000
ENTRIES = 500_000
WORKERS = 300
WORKERS_PER_SUPERVISOR = 8
TARGET_MS = 200.0
WARMUP = 10
MONTHS = 12

import catalogue  # noqa: E402 (after sys.path: the catalogue bench's server and helpers)
from catalogue import (  # noqa: E402
    HEADER,
    Server,
    database_recreate,
    django_setup,
    figures,
    line,
    machine,
    server_env,
    vacuum,
)
from questionnaires import PASSWORD, _header, sign_in  # noqa: E402 (the same sign-in)

catalogue.WORK = WORK  # gunicorn's log and the collected static files go here


# -- 1. The registry, the staff, the cases and their timelines ------------------------------

# (value, weight) mixes, as the State Care Agency's caseload is made (illustrative).
CATEGORIES = [
    ("elderly", 30),
    ("child", 25),
    ("disability", 20),
    ("violence", 9),
    ("trafficking", 1),
    ("street", 4),
    ("other", 11),
]
SPECIALISATION = {
    "elderly": "elderly",
    "child": "children",
    "street": "children",
    "disability": "disability",
    "violence": "violence",
    "trafficking": "violence",
    "other": "general",
}
SOURCES = [("hotline", 25), ("police", 15), ("school", 10), ("self", 25), ("referral", 15)]
SOURCES += [("outreach", 10)]
RISKS = [("high", 20), ("medium", 50), ("low", 30)]
# Stage, weight, and how many days ago such a case was opened (from, to).
STAGES = [
    ("closed", 58, (30, 730)),
    ("implementation", 25, (45, 730)),
    ("review", 4, (60, 730)),
    ("plan", 4, (20, 120)),
    ("assessment", 5, (5, 60)),
    ("intake", 4, (0, 20)),
]
OUTCOMES = [("met", 40), ("partly", 20), ("referred", 12), ("moved", 8), ("declined", 8)]
OUTCOMES += [("died", 5), ("other", 7)]
ENTRY_KINDS = [("home", 30), ("office", 15), ("phone", 30), ("note", 20), ("document", 5)]
NOTES = [
    "ოჯახი მოინახულა, საჭიროებები შეფასდა.",
    "Called the school: attendance improved.",
    "ექიმთან ვიზიტი დაიგეგმა.",
    "Home visit: heating repaired, food parcel delivered.",
    "მეზობელმა დაადასტურა, რომ ყველაფერი რიგზეა.",
    "The family agreed to the day centre.",
]
INTAKES = [
    "A neighbour called: an older man alone, not seen for days.",
    "სკოლამ შეგვატყობინა: ბავშვი ხშირად აცდენს.",
    "Police report of violence at home; the mother and two children moved to a shelter.",
    "ოჯახს არ აქვს გათბობა და საკვები.",
]


def _pick(rng: random.Random, mix: list[tuple]) -> str:
    return rng.choices([m[0] for m in mix], weights=[m[1] for m in mix])[0]


class Copy:
    """COPY of rows into one table through Django's connection (psycopg 3), with explicit
    ids; the identity sequence moved past them at the end."""

    def __init__(self, table: str, columns: list[str]):
        self.table, self.columns, self.rows = table, columns, 0

    def __enter__(self):
        from django.db import connection

        self.cursor = connection.cursor()
        self.copy_cm = self.cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN")
        self.copy = self.copy_cm.__enter__()
        return self

    def write(self, row) -> None:
        self.copy.write_row(row)
        self.rows += 1

    def __exit__(self, *exc):
        self.copy_cm.__exit__(*exc)
        if exc[0] is None and "id" in self.columns:
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{self.table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {self.table}))"
            )
        self.cursor.close()


def staff(seed: int, cases_by_office: dict[int, int]) -> dict:
    """The workers (300, in proportion to the offices' cases, at least three an office), their
    supervisors and the analyst, in one bulk_create with one password hash."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from zrunva.accounts.choices import Role

    rng = random.Random(seed)
    User = get_user_model()
    total = sum(cases_by_office.values())
    offices = sorted(cases_by_office, key=lambda o: -cases_by_office[o])
    share = {o: max(3, round(WORKERS * cases_by_office[o] / total)) for o in offices}
    share[offices[0]] += WORKERS - sum(share.values())  # the biggest office takes the rounding
    hashed = make_password(PASSWORD)
    first = ["ნინო", "გიორგი", "მარიამ", "დავით", "ანა", "ლევან", "თამარ", "ირაკლი"]
    last = ["ბერიძე", "კაპანაძე", "ლომიძე", "გელაშვილი", "მამედოვი", "ხუციშვილი"]
    users = []
    for office in offices:
        supervisors = math.ceil(share[office] / WORKERS_PER_SUPERVISOR)
        for role, count in ((Role.SUPERVISOR, supervisors), (Role.SOCIAL_WORKER, share[office])):
            for i in range(count):
                users.append(
                    User(
                        username=f"bench-{role}-{office}-{i}",
                        password=hashed,
                        role=role,
                        office_id=office,
                        first_name=rng.choice(first),
                        last_name=rng.choice(last),
                    )
                )
    users.append(User(username="bench-analyst", password=hashed, role=Role.ANALYST))
    User.objects.bulk_create(users, batch_size=1000)
    workers: dict[int, list[int]] = {}
    supervisors: dict[int, list[int]] = {}
    for pk, role, office in User.objects.filter(username__startswith="bench-").values_list(
        "pk", "role", "office_id"
    ):
        if role == Role.SOCIAL_WORKER:
            workers.setdefault(office, []).append(pk)
        elif role == Role.SUPERVISOR:
            supervisors.setdefault(office, []).append(pk)
    return {"workers": workers, "supervisors": supervisors, "biggest": offices[0]}


def services_for_referrals() -> list[int]:
    """Eight published services of a provider (the catalogue's test builders: a handful of
    rows), for the referrals."""
    from zrunva.geo.models import Municipality
    from zrunva.services.tests import factories

    provider = factories.provider()
    municipalities = list(Municipality.objects.order_by("code")[:8])
    return [
        factories.service(provider, municipality=m, name_en=f"Day centre {i}").pk
        for i, m in enumerate(municipalities)
    ]


def build(seed: int) -> dict:
    """The registry, the staff, the cases with everything about them (COPY); the counts and
    the seconds each step took."""
    import numpy as np
    from django.db import connection, transaction
    from django.utils import timezone
    from tqdm import tqdm

    from zrunva.geo.models import Office
    from zrunva.registry.models import Membership
    from zrunva.registry.population import population_generate

    timings: dict[str, float] = {}
    started = time.perf_counter()
    population_generate(households=HOUSEHOLDS, seed=seed, batch=20_000, progress=True)
    timings["registry"] = time.perf_counter() - started

    started = time.perf_counter()
    rng = random.Random(seed)
    office_of: dict[int, int] = {}
    for office, municipality in Office.objects.filter(agency="sca").values_list(
        "pk", "municipalities"
    ):
        office_of.setdefault(municipality, office)
    people = list(
        Membership.objects.filter(
            end_date__isnull=True,
            person__personal_number__isnull=False,
            household__municipality_id__in=list(office_of),
        ).values_list(
            "person_id",
            "household_id",
            "household__municipality_id",
            "person__personal_number",
            "person__first_name",
            "person__last_name",
        )
    )
    rng.shuffle(people)
    if len(people) < CASES:
        raise SystemExit(f"Only {len(people):,} people: raise HOUSEHOLDS.")
    people = people[:CASES]
    cases_by_office: dict[int, int] = {}
    for p in people:
        cases_by_office[office_of[p[2]]] = cases_by_office.get(office_of[p[2]], 0) + 1
    team = staff(seed, cases_by_office)
    services = services_for_referrals()
    now = timezone.now()
    today = timezone.localdate()
    hours = {"high": 24, "medium": 72, "low": 168}
    np_rng = np.random.default_rng(seed)
    counts = {"cases": 0, "events": 0, "plans": 0, "actions": 0, "referrals": 0, "entries": 0}

    cases = []  # (id, opened_at, end, worker, entered_by, stage) for what follows
    with transaction.atomic(), tqdm(total=CASES + ENTRIES, unit=" rows", desc="  cases") as bar:
        columns = [
            "id", "number", "personal_number", "first_name", "last_name", "phone", "email",
            "assigned_to_id", "entered_by_id", "person_id", "household_id", "category",
            "specialisation", "source", "risk", "sensitive", "stage", "intake", "office_id",
            "municipality_id", "opened_at", "first_contact_due", "first_contact_at",
            "next_review", "closed_at", "outcome", "closing_note",
        ]  # fmt: skip
        events = []
        with Copy("cases_socialcase", columns) as out:
            for pk, (person, household, municipality, number, first, last) in enumerate(
                people, start=1
            ):
                office = office_of[municipality]
                category = _pick(rng, CATEGORIES)
                specialisation = SPECIALISATION[category]
                if category not in ("violence", "trafficking") and rng.random() < 0.15:
                    specialisation = "general"
                risk = _pick(rng, RISKS)
                stage = rng.choices([s[0] for s in STAGES], weights=[s[1] for s in STAGES])[0]
                low, high = next(s[2] for s in STAGES if s[0] == stage)
                opened = now - timedelta(days=rng.uniform(low, high))
                due = opened + timedelta(hours=hours[risk])
                contact = opened + timedelta(hours=hours[risk] * rng.uniform(0.05, 1.3))
                # An intake waits for its first contact while it is due; one in ten of those
                # past due still has none (the page's "first contact overdue").
                if stage == "intake" and (
                    contact > now or rng.random() < (0.1 if due < now else 0.7)
                ):
                    contact = None
                closed = None
                if stage == "closed":
                    age = (now - opened).days
                    closed = opened + timedelta(days=rng.uniform(14, max(15, min(300, age - 1))))
                review = None
                if stage in ("plan", "implementation", "review"):
                    review = today + timedelta(days=rng.randint(-8, 150))
                worker = rng.choice(team["workers"][office])
                supervisor = rng.choice(team["supervisors"][office])
                # Unassigned: intakes of the last three days, until the supervisor gives them.
                fresh = stage == "intake" and now - opened < timedelta(days=3)
                assigned = None if fresh and rng.random() < 0.6 else worker
                entered = rng.choice([worker, supervisor])
                out.write(
                    (
                        pk, f"SC-B{pk:05d}-{rng.randrange(10**5):05d}", number, first, last,
                        "", "", assigned, entered, person, household, category,
                        specialisation, _pick(rng, SOURCES), risk,
                        category in ("violence", "trafficking") or rng.random() < 0.02,
                        stage, rng.choice(INTAKES), office, municipality, opened, due, contact,
                        review, closed, _pick(rng, OUTCOMES) if closed else "",
                        "The goals were reviewed with the family." if closed else "",
                    )
                )  # fmt: skip
                events.append((pk, "opened", "intake", entered, opened))
                if contact:
                    events.append((pk, "contact", "", worker, contact))
                if closed:
                    events.append((pk, "closed", "closed", supervisor, closed))
                cases.append((pk, opened, closed or now, worker, stage, review))
                bar.update()
        counts["cases"] = out.rows
        with Copy("cases_caseevent", ["id", "case_id", "kind", "stage", "actor_id", "at", "note"]) as out:  # fmt: skip
            for i, (case, kind, stage, actor, at) in enumerate(events, start=1):
                out.write((i, case, kind, stage, actor, at, ""))
        counts["events"] = out.rows

        plans, actions, referrals = [], [], []
        for case, opened, end, worker, stage, review in cases:
            if stage in ("intake", "assessment") or (stage == "closed" and rng.random() < 0.15):
                continue
            written = min(end, opened + timedelta(days=rng.uniform(7, 30)))
            plan = len(plans) + 1
            plans.append(
                (plan, case, "Support at home; school every day; a day centre twice a week.",
                 review or (written + timedelta(days=90)).date(), worker, written)
            )  # fmt: skip
            for _a in range(rng.randint(2, 4)):
                if stage == "closed" or rng.random() < 0.4:
                    done = min(end, written + timedelta(days=rng.uniform(5, 90))).date()
                    status = "done" if rng.random() < 0.85 or stage != "closed" else "dropped"
                    actions.append((plan, status, done, done if status == "done" else None))
                else:
                    actions.append((plan, "open", today + timedelta(days=rng.randint(-5, 95)), None))  # fmt: skip
            if rng.random() < 0.3:
                referred = min(end, written + timedelta(days=rng.uniform(1, 20)))
                status = rng.choices(["completed", "declined", "accepted", "sent"], [60, 10, 20, 10])[0]  # fmt: skip
                if stage == "closed" and status in ("accepted", "sent"):
                    status = "completed"
                answered = None
                if status != "sent":
                    answered = min(now, referred + timedelta(days=rng.uniform(2, 60)))
                referrals.append((case, rng.choice(services), worker, referred, status, answered))
        with Copy("cases_careplan", ["id", "case_id", "goals", "review_on", "written_by_id", "written_at"]) as out:  # fmt: skip
            for row in plans:
                out.write(row)
        counts["plans"] = out.rows
        with Copy("cases_planaction", ["id", "plan_id", "text", "responsible", "service_id", "due", "status", "done_on"]) as out:  # fmt: skip
            for i, (plan, status, due, done) in enumerate(actions, start=1):
                out.write((i, plan, "A home visit each week", "The social worker", None, due, status, done))  # fmt: skip
        counts["actions"] = out.rows
        with Copy("cases_referral", ["id", "case_id", "service_id", "note", "waiting_list", "referred_by_id", "referred_at", "status", "answered_by_id", "answered_at", "answer"]) as out:  # fmt: skip
            for i, (case, service, worker, at, status, answered) in enumerate(referrals, start=1):
                out.write((i, case, service, "Needs a place at the day centre.", False, worker, at, status, None, answered, "Done." if answered else ""))  # fmt: skip
        counts["referrals"] = out.rows

        # 500,000 entries spread over the cases by their length in days (a longer case has more).
        days = np.array([(end - opened).days + 1 for _c, opened, end, *_r in cases])
        per_case = np_rng.multinomial(ENTRIES, days / days.sum())
        kinds = [k for k, _w in ENTRY_KINDS]
        weights = np.array([w for _k, w in ENTRY_KINDS], dtype=float)
        with Copy("cases_entry", ["id", "case_id", "kind", "happened_on", "note", "file", "author_id", "written_at"]) as out:  # fmt: skip
            pk = 0
            for (case, opened, _end, worker, *_r), n, length in zip(cases, per_case, days, strict=True):  # fmt: skip
                offsets = np_rng.integers(0, length, size=n)
                picked = np_rng.choice(len(kinds), size=n, p=weights / weights.sum())
                for offset, kind in zip(offsets.tolist(), picked.tolist(), strict=True):
                    pk += 1
                    at = min(now, opened + timedelta(days=offset, hours=2))
                    out.write((pk, case, kinds[kind], at.date(), NOTES[pk % len(NOTES)], "", worker, at))  # fmt: skip
                bar.update(int(n))
        counts["entries"] = out.rows
        connection.queries_log.clear()
    timings["cases"] = time.perf_counter() - started
    biggest = team["biggest"]
    supervisor = min(team["supervisors"][biggest])
    from django.contrib.auth import get_user_model

    return {
        **counts,
        "timings": timings,
        "offices": len(cases_by_office),
        "workers": sum(len(w) for w in team["workers"].values()),
        "supervisors": sum(len(s) for s in team["supervisors"].values()),
        "biggest": Office.objects.get(pk=biggest).code,
        "biggest_cases": cases_by_office[biggest],
        "supervisor": get_user_model().objects.get(pk=supervisor).username,
    }


# -- 2. The load generator and the in-process comparators -----------------------------------


def _send(args, plan, name, position, lock, samples, errors) -> None:
    """One connection's loop: the next request of the set, until none is left."""
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
    jars: dict[str, dict] = {}
    requests = plan[name]
    while True:
        with lock:
            i = next(position, None)
        if i is None:
            return
        label, user, path = requests[i]
        if user and user not in jars:
            jars[user] = sign_in(conn, user)
        headers = {"Cookie": _header(jars[user])} if user else {}
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        ms = (time.perf_counter() - started) * 1000
        with lock:
            samples.append((label, ms))
            if response.status != 200:
                errors.append((label, path, response.status))


def client(args) -> None:
    """The load generator (a child process): each set from `--connections` keep-alive
    connections at once; writes the samples as JSON."""
    plan = json.loads(Path(args.client).read_text())
    results: dict[str, dict] = {}
    for name in ("warmup", "floor", "home", "indicators_supervisor", "indicators_analyst"):
        samples: list = []
        errors: list = []
        position, lock = iter(range(len(plan[name]))), threading.Lock()
        threads = [
            threading.Thread(target=_send, args=(args, plan, name, position, lock, samples, errors))
            for _ in range(args.connections)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        results[name] = {
            "samples": samples,
            "errors": errors,
            "seconds": time.perf_counter() - started,
        }
    Path(args.out).write_text(json.dumps(results))


def in_process(args) -> None:
    """The comparators (a child process, production settings): the same pages through the
    test Client, one at a time, no HTTP and no gunicorn (a few warm-up requests first)."""
    django_setup("config.settings.production")
    from django.contrib.auth import get_user_model
    from django.test import Client

    plan = json.loads(Path(args.in_process).read_text())
    browsers: dict[str, Client] = {}
    out: dict = {}
    for name in ("home", "indicators_supervisor", "indicators_analyst"):
        samples, errors = [], []
        for n, (label, user, path) in enumerate(plan[name]):
            if user not in browsers:
                browsers[user] = Client()
                browsers[user].force_login(get_user_model().objects.get(username=user))
            started = time.perf_counter()
            response = browsers[user].get(path)
            ms = (time.perf_counter() - started) * 1000
            if n >= 3:  # the first few warm the process
                samples.append((label, ms))
            if response.status_code != 200:
                errors.append((label, path, response.status_code))
        out[name] = {"samples": samples, "errors": errors}
    Path(args.out).write_text(json.dumps(out))


def child(flag: str, plan: Path, out: Path, args, env: dict) -> dict:
    subprocess.run(  # noqa: S603 (this script, fixed arguments)
        [sys.executable, __file__, flag, str(plan), "--out", str(out), "--port", str(args.port)]
        + ["--connections", str(args.connections)],
        check=True,
        env=env,
        cwd=ROOT,
    )
    return json.loads(out.read_text())


def requests_plan(supervisor: str, pages: int, national: int) -> dict:
    from zrunva.cases.indicators import Filters

    months = Filters.last_months(MONTHS)
    indicators = f"/cases/indicators/?first={months.first:%Y-%m}&last={months.last:%Y-%m}"
    home = ("cases page, supervisor", supervisor, "/cases/")
    mine = ("indicators, supervisor", supervisor, indicators)
    national_page = ("indicators, analyst", "bench-analyst", indicators)
    return {
        "warmup": [home, mine, national_page] * WARMUP,
        "floor": [("static file", "", "/static/zrunva/site.css")] * pages,
        "home": [home] * pages,
        "indicators_supervisor": [mine] * pages,
        "indicators_analyst": [national_page] * national,
    }


# -- 3. Report ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=200, help="requests of each page over HTTP")
    parser.add_argument(
        "--national-pages", type=int, default=40, help="the analyst's (slow) indicators pages"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--port", type=int, default=8716)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="keep the cases built before")
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--in-process", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client(args)
        return
    if args.in_process:
        in_process(args)
        return

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or "bench" not in url.rsplit("/", 1)[-1]:
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database whose name contains 'bench'.")
    WORK.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_DEBUG", "1")
    if not args.reuse:
        database_recreate(url)
    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"Machine: {machine(url)}")
    built_path = WORK / "built.json"
    if args.reuse and built_path.exists():
        built = json.loads(built_path.read_text())
    else:
        print(
            f"\n1. Building a registry of {HOUSEHOLDS:,} households, {WORKERS} social workers "
            f"and their supervisors, {CASES:,} cases and {ENTRIES:,} timeline entries (COPY)"
        )
        built = build(args.seed)
        built_path.write_text(json.dumps(built))
        t = built["timings"]
        rows = sum(built[k] for k in ("cases", "events", "plans", "actions", "referrals", "entries"))  # fmt: skip
        print(
            f"  registry (population_generate): {t['registry']:.1f} s\n"
            f"  {built['offices']} SCA offices, {built['workers']} social workers, "
            f"{built['supervisors']} supervisors; {built['cases']:,} cases, {built['events']:,} "
            f"events, {built['plans']:,} care plans, {built['actions']:,} actions, "
            f"{built['referrals']:,} referrals, {built['entries']:,} entries: {t['cases']:.1f} s "
            f"({rows / t['cases']:,.0f} rows/s)"
        )
    # This server runs with autovacuum off: vacuumed here, as autovacuum would after the load.
    started = time.perf_counter()
    vacuum(url)
    print(f"  VACUUM (ANALYZE) of the database: {time.perf_counter() - started:.1f} s")
    # The dashboards' tables as cron's nightly `refresh_analytics` leaves them: among them the
    # social work indicators of the months before this one, which the indicators page reads.
    from zrunva.analytics.aggregates import refresh_aggregates
    from zrunva.cases.indicators import counted

    done = refresh_aggregates(reason="bench/cases.py")
    kept = counted()
    print(
        f"  refresh_analytics: {done.seconds:.1f} s; the social work indicators of the months "
        f"before {kept.before:%Y-%m}: {kept.cells:,} rows of months and places, "
        f"{kept.outcomes:,} of outcomes, {kept.seconds:.2f} s"
    )
    print(
        f"  measured as {built['supervisor']}, a supervisor of {built['biggest']} "
        f"({built['biggest_cases']:,} cases), and as bench-analyst (the whole country)"
    )
    plan = requests_plan(built["supervisor"], args.pages, args.national_pages)
    plan_path = WORK / "plan.json"
    plan_path.write_text(json.dumps(plan))
    server = Server(url, args.port, args.workers)
    print(
        f"\n2. gunicorn, {args.workers} sync workers, production settings (DEBUG off, "
        f"CONN_MAX_AGE 60); load generator: a second process, {args.connections} keep-alive "
        f"connections at once; {len(plan['warmup'])} warm-up requests first"
    )
    server.start()
    try:
        http_results = child("--client", plan_path, WORK / "http.json", args, os.environ.copy())
    finally:
        server.stop()
    print("3. In one process, production settings: the same pages through the test Client")
    inproc = child("--in-process", plan_path, WORK / "in-process.json", args, server_env(url))
    summary = report(http_results, inproc)
    (WORK / "summary.json").write_text(json.dumps(summary, indent=1))


def report(http_results: dict, inproc: dict) -> dict:
    for name, result in [*http_results.items(), *inproc.items()]:
        if result.get("errors"):
            raise SystemExit(f"{name}: {len(result['errors'])} errors, e.g. {result['errors'][:3]}")
    floor = figures([ms for _, ms in http_results["floor"]["samples"]])
    summary = {"floor": floor}
    print("\nOver HTTP (gunicorn), milliseconds:")
    print(HEADER)
    print(line("floor: static file", floor))
    met = True
    for name, title in (
        ("home", "(a) /cases/, the supervisor"),
        ("indicators_supervisor", f"(b) indicators, {MONTHS} months, the supervisor"),
        ("indicators_analyst", f"(b) indicators, {MONTHS} months, the analyst"),
    ):
        result = http_results[name]
        print(f"{title}: {len(result['samples']):,} requests in {result['seconds']:.1f} s "
              f"({len(result['samples']) / result['seconds']:.1f}/s)")  # fmt: skip
        total = figures([ms for _, ms in result["samples"]])
        own = figures([ms for _, ms in inproc[name]["samples"]])
        print(line("HTTP, 2 connections", total))
        print(line("in-process test Client", own))
        summary[name], summary[f"{name}_in_process"] = total, own
        verdict = "met" if total["p99"] <= TARGET_MS else "NOT met"
        met = met and total["p99"] <= TARGET_MS
        print(
            f"  target p99 <= {TARGET_MS:.0f} ms: {verdict} ({total['p99']:.1f} ms); p50 "
            f"{total['p50'] / floor['p50']:.0f}x the static-file floor's; HTTP p50 / "
            f"in-process p50 {total['p50'] / own['p50']:.2f}"
        )
    print(f"\nEvery target: {'met' if met else 'NOT met'}")
    return summary


if __name__ == "__main__":
    main()
