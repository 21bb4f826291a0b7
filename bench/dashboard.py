"""The national monitoring dashboard under load (issue 18's speed target): p50/p95/p99 of the
analyst's national page /analytics/ (every cell under ten suppressed, with the secondary
suppression) and of the public /open/ page, over HTTP against gunicorn on PostgreSQL, with the
load generator in a second process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench_dashboard \\
        .venv/bin/python bench/dashboard.py

The database named in DATABASE_URL is dropped and created anew (its name must contain "bench";
`--reuse` keeps one this script built, and only migrates it). Then:
1. build (timed): the dashboards' pre-aggregated tables (analytics.models.aggregates) as a
   registry of 1,000,000 households gives them: HOUSEHOLDS spread over the 64 municipalities
   in proportion to Geostat's population; for 36 months, one row per municipality and state
   programme (and per municipality and its own council's programme: 64 programmes added) with
   recipients and amounts at illustrative take-up rates; grievances per month, municipality,
   category and status; the social work caseload per month and municipality; the registry's
   coverage per municipality. The page reads only these tables, so its cost depends on their
   rows, not on the registry's: the refresh that writes them (`refresh_analytics`, after runs
   and payrolls) is not what this measures. Then VACUUM (ANALYZE);
2. gunicorn serves config.wsgi with config.settings.production on 127.0.0.1 (2 sync workers,
   CONN_MAX_AGE 60, static files by WhiteNoise); a load generator in a second process (this
   script, `--client`) signs in through the login page as an analyst and, from 2 keep-alive
   connections at once (one per worker), after 50 warm-up requests: (a) GETs /analytics/ with
   its default filters (the last 12 months, the whole country) `--requests` times: after the
   first, from the cache of rendered indicators (kept per filters until the tables' next
   refresh); (b) `--requests` national pages each with filters not asked before (month range,
   region, the map's indicator): each computed from the tables and rendered, the cache's
   misses; (c) GETs /open/ as the public `--requests` times; (d) the floor: a static file.
It prints p50/p95/p99/max and the verdict (target: p99 at most 100 ms).
"""

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = ROOT / "var" / "bench-dashboard"
HOUSEHOLDS = 1_000_000
PEOPLE_PER_HOUSEHOLD = 2.6
MONTHS = 36
TARGET_MS = 100.0
WARMUP = 50

import catalogue  # noqa: E402 (after sys.path: the catalogue bench's server and helpers)
from catalogue import (  # noqa: E402
    HEADER,
    Server,
    database_recreate,
    django_setup,
    figures,
    line,
    machine,
    vacuum,
)
from questionnaires import PASSWORD, _header, sign_in  # noqa: E402 (the same sign-in)

catalogue.WORK = WORK  # gunicorn's log and the collected static files go here

# Share of households (or people, for a personal programme) receiving each state programme in
# a month: illustrative, of the order of Georgia's published figures.
TAKE_UP = {"tsa": 0.12, "state_pension": 0.28, "child_benefit": 0.09}


def build(seed: int) -> dict:
    """The pre-aggregated tables, written with bulk_create: returns the counts and seconds."""
    from datetime import date
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from zrunva.analytics.aggregates import month_start, months_before, next_month
    from zrunva.analytics.models import (
        AggregateRefresh,
        BenefitMonth,
        CaseloadMonth,
        GrievanceMonth,
        RegistryCoverage,
    )
    from zrunva.geo.models import Municipality
    from zrunva.grievances.choices import Category, Status
    from zrunva.programmes.models import Programme

    rng = random.Random(seed)
    started = time.perf_counter()
    municipalities = list(Municipality.objects.order_by("code"))
    population = sum(m.population for m in municipalities)
    households = {m.pk: round(HOUSEHOLDS * m.population / population) for m in municipalities}
    council = [
        Programme(
            code=f"bench-council-{m.code}",
            name_ka=f"{m.name_ka}: სოციალური დახმარება",
            name_en=f"{m.name_en}: social assistance",
            level="household",
            criteria="household.size >= 1",
            formula="50",
            legal_basis="Synthetic (bench/dashboard.py).",
            municipality=m,
            valid_from=date(2020, 1, 1),
            illustrative=True,
        )
        for m in municipalities
    ]
    Programme.objects.bulk_create(council, batch_size=1000)
    state = list(Programme.objects.filter(municipality__isnull=True))
    council = {p.municipality_id: p for p in Programme.objects.filter(code__startswith="bench-")}
    last = month_start(timezone.localdate())
    months = []
    month = months_before(last, MONTHS - 1)
    while month <= last:
        months.append(month)
        month = next_month(month)
    benefits, grievances, caseload = [], [], []
    for m in municipalities:
        homes = households[m.pk]
        people = round(homes * PEOPLE_PER_HOUSEHOLD)
        for month in months:
            for programme in state:
                share = TAKE_UP.get(programme.code, 0.02)
                base = people if programme.level == "person" else homes
                recipients = max(0, round(base * share * rng.uniform(0.9, 1.1)))
                benefits.append(
                    BenefitMonth(
                        month=month,
                        municipality_id=m.pk,
                        programme_id=programme.pk,
                        source="payments",
                        recipients=recipients,
                        households=min(homes, recipients),
                        amount=Decimal(recipients * rng.randint(50, 320)),
                    )
                )
            small = rng.randint(0, 40)  # the council's programme: some under ten
            benefits.append(
                BenefitMonth(
                    month=month,
                    municipality_id=m.pk,
                    programme_id=council[m.pk].pk,
                    source="enrolments",
                    recipients=small,
                    households=small,
                    amount=Decimal(small * 50),
                )
            )
            for category in Category:
                for status in Status:
                    count = rng.randint(0, 25)
                    if count:
                        grievances.append(
                            GrievanceMonth(
                                month=month,
                                municipality_id=m.pk,
                                category=category.value,
                                status=status.value,
                                grievances=count,
                            )
                        )
            caseload.append(
                CaseloadMonth(
                    month=month,
                    municipality_id=m.pk,
                    opened=rng.randint(0, 30),
                    closed=rng.randint(0, 30),
                    open_at_end=rng.randint(5, 200),
                )
            )
    coverage = [
        RegistryCoverage(
            municipality_id=m.pk,
            people=round(households[m.pk] * PEOPLE_PER_HOUSEHOLD),
            households=households[m.pk],
            assessed=round(households[m.pk] * 0.7),
            scored=round(households[m.pk] * 0.55),
            open_cases=rng.randint(5, 200),
        )
        for m in municipalities
    ]
    with transaction.atomic():
        BenefitMonth.objects.bulk_create(benefits, batch_size=5000)
        GrievanceMonth.objects.bulk_create(grievances, batch_size=5000)
        CaseloadMonth.objects.bulk_create(caseload, batch_size=5000)
        RegistryCoverage.objects.bulk_create(coverage)
        AggregateRefresh.objects.create(
            seconds=0,
            rows={
                "benefits": len(benefits),
                "coverage": len(coverage),
                "grievances": len(grievances),
                "caseload": len(caseload),
            },
            reason="bench/dashboard.py",
        )
    return {
        "benefits": len(benefits),
        "grievances": len(grievances),
        "caseload": len(caseload),
        "programmes": len(state) + len(council),
        "seconds": time.perf_counter() - started,
    }


def varied(count: int, seed: int) -> list[str]:
    """`count` different national pages: month ranges, a region or none, the map's indicator;
    none asked before, so each is computed from the tables and rendered (not from the cache)."""
    from zrunva.analytics.indicators import MAP_INDICATORS
    from zrunva.geo.models import Region

    regions = [""] + [str(pk) for pk in Region.objects.filter(municipalities__isnull=False)
                      .distinct().values_list("pk", flat=True)]  # fmt: skip
    paths = set()
    rng = random.Random(seed)
    while len(paths) < count:
        last_year, last_month = 2026 - rng.randint(0, 1), rng.randint(1, 12)
        span = rng.randint(1, 12)
        index = last_year * 12 + last_month - 1 - (span - 1)
        first = f"{index // 12}-{index % 12 + 1:02d}"
        region = rng.choice(regions)
        paths.add(
            f"/analytics/?first={first}&last={last_year}-{last_month:02d}&region={region}"
            f"&map={rng.choice(list(MAP_INDICATORS))}"
        )
    return sorted(paths, key=lambda _p: rng.random())


def users() -> None:
    from zrunva.accounts.choices import Role
    from zrunva.accounts.models import User

    user, _ = User.objects.get_or_create(username="bench-analyst", defaults={"role": Role.ANALYST})
    user.set_password(PASSWORD)
    user.save()


def _send(port, requests, position, lock, samples, errors, signed) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    jar = sign_in(conn, "bench-analyst") if signed else {}
    while True:
        with lock:
            i = next(position, None)
        if i is None:
            return
        label, path = requests[i]
        started = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": _header(jar)} if jar else {})
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
    count = args.requests
    plan = json.loads(Path(args.plan).read_text())
    sets = {
        "warmup": ([("warmup", "/analytics/")] * WARMUP, True),
        "floor": ([("floor", "/static/zrunva/site.css")] * count, False),
        "national": ([("analyst: /analytics/", "/analytics/")] * count, True),
        "varied": ([("analyst: each filter new", path) for path in plan["varied"]], True),
        "public": ([("public: /open/", "/open/")] * count, False),
    }
    results = {}
    for name, (requests, signed) in sets.items():
        samples, errors = [], []
        shared = (args.port, requests, iter(range(len(requests))), threading.Lock())
        threads = [
            threading.Thread(target=_send, args=(*shared, samples, errors, signed))
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


def main() -> None:
    import subprocess

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--port", type=int, default=8718)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="keep the tables built before")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client(args)
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
    from zrunva.analytics.models import BenefitMonth

    if not args.reuse or not BenefitMonth.objects.exists():
        print(f"\n1. The dashboards' tables for {HOUSEHOLDS:,} households, {MONTHS} months")
        built = build(args.seed)
        print(
            f"  {built['benefits']:,} benefit rows ({built['programmes']} programmes), "
            f"{built['grievances']:,} grievance rows, {built['caseload']:,} caseload rows: "
            f"{built['seconds']:.1f} s"
        )
    users()
    # No page of indicators kept from an earlier run (`--reuse`): set (b) must find none.
    from django.core.cache import cache

    cache.clear()
    vacuum(url)
    plan = WORK / "plan.json"
    plan.write_text(json.dumps({"varied": varied(args.requests, args.seed)}))
    server = Server(url, args.port, args.workers)
    print(
        f"\n2. gunicorn, {args.workers} sync workers, production settings; load generator: a "
        f"second process, {args.connections} keep-alive connections; {WARMUP} warm-up requests"
    )
    server.start()
    out = WORK / "http.json"
    try:
        subprocess.run(  # noqa: S603 (this script, fixed arguments)
            [sys.executable, __file__, "--client", "--out", str(out), "--port", str(args.port)]
            + ["--connections", str(args.connections), "--requests", str(args.requests)]
            + ["--plan", str(plan)],
            check=True,
            env=os.environ.copy(),
            cwd=ROOT,
        )
    finally:
        server.stop()
    results = json.loads(out.read_text())
    for name, result in results.items():
        if result["errors"]:
            raise SystemExit(f"{name}: {len(result['errors'])} errors, e.g. {result['errors'][:3]}")
    print("\nResults over HTTP (gunicorn), milliseconds:")
    print(HEADER)
    summary = {}
    for name in ("floor", "national", "varied", "public"):
        result = results[name]
        f = figures([ms for _, ms in result["samples"]])
        summary[name] = f
        print(
            line(result["samples"][0][0], f)
            + f"   ({len(result['samples']) / result['seconds']:.1f}/s)"
        )
    for name, what in (("national", "as filtered before"), ("varied", "each filter new")):
        p99 = summary[name]["p99"]
        verdict = "PASS" if p99 <= TARGET_MS else "FAIL"
        print(
            f"National dashboard, {what}: p99 {p99:.1f} ms (target ≤ {TARGET_MS:.0f} ms): {verdict}"
        )
    (WORK / "summary.json").write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
