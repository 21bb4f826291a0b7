"""Catalogue of social services and the rights screener under load (issue 14's speed targets):
p50/p95/p99 of the public catalogue's filtered search pages and of the anonymous screener, over
HTTP against gunicorn on PostgreSQL, with the load generator in a second process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench_catalogue \\
        .venv/bin/python bench/catalogue.py

The database named in DATABASE_URL is dropped and created anew (its name must contain "bench";
`--reuse` keeps one this script built, and only migrates it). Then:
1. build (timed, with a progress bar): 1,000 approved providers and 20,000 approved services
   over all 64 municipalities (`bulk_create` in batches of 1,000, target groups through the
   M2M table the same way): names in both languages from the shipped service types (a fifth of
   them day centres, `დღის ცენტრი`), one to three target groups each, a cost, places, access
   features, a third with their own coordinates, a third at a settlement; and 300 municipal
   programmes (household and person rules over the attributes the screener asks about) spread
   over the 64 municipalities, beside the five shipped state programmes; then VACUUM (ANALYZE)
   (this server runs with autovacuum off), also with `--reuse`;
2. gunicorn serves config.wsgi with config.settings.production on 127.0.0.1 (2 sync workers,
   CONN_MAX_AGE 60, static files collected and served by WhiteNoise as in production);
3. a load generator in a second process (this script, `--client`) sends, after 200 untimed
   warm-up requests, the requests of each measured set from 2 connections at once (one per
   worker, so latency is service time, not queueing), keep-alive, in a random order fixed by
   the seed:
   (a) catalogue search: `/portal/services/` with each filter alone and some together:
       municipality, type, target group, free, step-free, has places, text in Latin
       (`dghis tsentri`) and in Georgian (`დღის ცენტრი`), `near=` a municipality (distance
       order), the region, page 3; each class equally often, the municipality drawn per request;
   (b) the screener: a POST of `/portal/screener/` for one household (four shapes: a family
       with children, a pensioner, an adult with a disability, an IDP family; the municipality
       drawn per request), decided against the five state programmes and the municipality's own
       (about 5 of the 300): its CSRF token taken from one GET first, as a browser does;
   (c) the floor: a static file (site.css) from the same gunicorn, through WhiteNoise: what a
       request costs with no view, template or query;
4. the comparator measured in the same run: the same requests through Django's test `Client`
   in one process (`--in-process`, production settings, no HTTP, no gunicorn, no concurrency).
It prints p50/p95/p99/max per class and set, the ratios (HTTP p50 / floor p50; HTTP p50 /
in-process p50), and pass/fail against p99 <= 100 ms.
See bench/README.md for measured figures.
"""

import argparse
import http.client
import json
import os
import platform
import random
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = ROOT / "var" / "bench-catalogue"
VENV_BIN = Path(sys.executable).parent
SERVICES = 20_000
PROVIDERS = 1_000
PROGRAMMES = 300
BATCH = 1_000
TARGET_MS = 100.0
WARMUP = 200
DAY_CENTRE_KA, DAY_CENTRE_EN = "დღის ცენტრი", "Day centre"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def figures(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values),
    }


def database_recreate(url: str) -> None:
    import psycopg
    from psycopg import sql

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


def vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def django_setup(settings: str = "config.settings.base") -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    import django

    django.setup()


# -- 1. The catalogue and the municipal programmes ------------------------------------------

# Household and person rules over what the screener asks (household size, rating score,
# ages, disability, IDP status), as councils' programmes read: (level, criteria, formula).
PROGRAMME_RULES = [
    ("household", "household.rating_score <= {score} and household.size >= {size}", "{amount}"),
    (
        "household",
        "count(members, member.age < 18) >= {size}",
        "{amount} * count(members, member.age < 18)",
    ),
    ("person", "person.age >= {age}", "{amount}"),
    (
        "person",
        'person.disability_degree == "severe" or person.disability_degree == "significant"',
        "{amount}",
    ),
    ("person", "person.is_idp and person.age >= 18", "{amount}"),
]


def build(seed: int) -> dict:
    """The providers, services and their target groups, and the municipal programmes, written
    with bulk_create in batches: returns the counts and the seconds each took."""
    from decimal import Decimal

    from django.db import connection, transaction
    from tqdm import tqdm

    from zrunva.core.romanisation import search_key
    from zrunva.geo.models import Municipality, Settlement
    from zrunva.programmes.models import Programme
    from zrunva.services.choices import Cost, Language, ProviderKind
    from zrunva.services.models import Provider, Service, ServiceType, TargetGroup

    rng = random.Random(seed)
    municipalities = list(Municipality.objects.order_by("code"))
    settlements: dict[int, list] = {}
    for s in Settlement.objects.filter(is_synthetic=False).order_by("pk"):
        settlements.setdefault(s.municipality_id, []).append(s)
    types = list(ServiceType.objects.order_by("code"))
    day_care = next(t for t in types if t.code == "day_care")
    groups = list(TargetGroup.objects.order_by("code"))
    started = time.perf_counter()
    with transaction.atomic():
        providers = []
        for i in range(PROVIDERS):
            m = rng.choice(municipalities)
            name_ka = f"{m.name_ka}ს სოციალური მომსახურების ცენტრი №{i + 1}"
            name_en = f"{m.name_en} Social Services Centre no. {i + 1}"
            providers.append(
                Provider(
                    name_ka=name_ka,
                    name_en=name_en,
                    kind=rng.choice(ProviderKind.values),
                    identification_code=f"{400000000 + i}",
                    municipality=m,
                    address_ka=f"{m.name_ka}, რუსთაველის ქ. {i % 90 + 1}",
                    address_en=f"{m.name_en}, Rustaveli St. {i % 90 + 1}",
                    phone=f"+99532{rng.randrange(10**6):06d}",
                    published=True,
                    search_key=f"{search_key(name_ka)} {search_key(name_en)}",
                )
            )
        Provider.objects.bulk_create(providers, batch_size=BATCH)
        by_municipality: dict[int, list] = {}
        for p in providers:
            by_municipality.setdefault(p.municipality_id, []).append(p)
        links = Service.target_groups.through
        with tqdm(total=SERVICES, unit=" services", desc="  services") as bar:
            for first in range(0, SERVICES, BATCH):
                batch, chosen = [], []
                for i in range(first, min(first + BATCH, SERVICES)):
                    # Every municipality has services: the first 64 one each, then at random.
                    m = municipalities[i] if i < len(municipalities) else rng.choice(municipalities)
                    kind = day_care if rng.random() < 0.2 else rng.choice(types)
                    ka, en = kind.name_ka, kind.name_en
                    if kind is day_care:
                        ka, en = DAY_CENTRE_KA, DAY_CENTRE_EN
                    here = settlements.get(m.pk, [])
                    where = rng.random()
                    place = rng.choice(here) if here and where < 2 / 3 else None
                    own = where < 1 / 3 and place is not None and place.latitude is not None
                    capacity = rng.choice([None, 10, 20, 40, 80])
                    name_ka = f"{ka} „{m.name_ka}“ №{i + 1}"
                    name_en = f"{en} '{m.name_en}' no. {i + 1}"
                    provider = rng.choice(by_municipality.get(m.pk) or providers)
                    batch.append(
                        Service(
                            name_ka=name_ka,
                            name_en=name_en,
                            provider=provider,
                            service_type=kind,
                            description_ka=f"{ka}: მომსახურება {m.name_ka}ში.",
                            description_en=f"{en}: a service in {m.name_en}.",
                            eligibility_ka="მუნიციპალიტეტის მცხოვრებლები.",
                            eligibility_en="Residents of the municipality.",
                            how_to_apply_ka="დარეკეთ.",
                            how_to_apply_en="Call us.",
                            cost=rng.choice(Cost.values),
                            capacity=capacity,
                            admitted=rng.randint(0, capacity) if capacity else 0,
                            languages=rng.sample(Language.values, rng.randint(1, 2)),
                            step_free=rng.random() < 0.4,
                            accessible_toilet=rng.random() < 0.3,
                            sign_language=rng.random() < 0.1,
                            municipality=m,
                            settlement=place,
                            address_ka=f"{m.name_ka}, ჭავჭავაძის გამზ. {i % 120 + 1}",
                            address_en=f"{m.name_en}, Chavchavadze Ave. {i % 120 + 1}",
                            latitude=(place.latitude + Decimal("0.001")) if own else None,
                            longitude=(place.longitude + Decimal("0.001")) if own else None,
                            published=True,
                            search_key=(
                                f"{search_key(name_ka)} {search_key(name_en)}"
                            ),  # as Service.save() sets it: bulk_create does not call save()
                        )
                    )
                    chosen.append(rng.sample(groups, rng.randint(1, 3)))
                Service.objects.bulk_create(batch)
                links.objects.bulk_create(
                    links(service_id=s.pk, targetgroup_id=g.pk)
                    for s, gs in zip(batch, chosen, strict=True)
                    for g in gs
                )
                connection.queries_log.clear()
                bar.update(len(batch))
    services_seconds = time.perf_counter() - started

    started = time.perf_counter()
    today = date.today()
    programmes = []
    for i in range(PROGRAMMES):
        m = municipalities[i % len(municipalities)]
        level, criteria, formula = PROGRAMME_RULES[i % len(PROGRAMME_RULES)]
        values = {
            "score": rng.choice([57001, 65001, 100001, 150001]),
            "size": rng.randint(1, 3),
            "age": rng.choice([65, 70, 75, 80]),
            "amount": rng.choice([20, 30, 50, 100, 150]),
        }
        programmes.append(
            Programme(
                code=f"{m.code}_aid_{i + 1}",
                name_ka=f"{m.name_ka}ს სოციალური დახმარება №{i + 1}",
                name_en=f"{m.name_en} social assistance no. {i + 1}",
                level=level,
                criteria=criteria.format(**values),
                formula=formula.format(**values),
                legal_basis=f"{m.name_en} Municipal Council resolution (synthetic, benchmark)",
                municipality=m,
                budget=Decimal(rng.randrange(50_000, 2_000_000)),
                valid_from=date(today.year, 1, 1),
                illustrative=True,
            )
        )
    Programme.objects.bulk_create(programmes)
    programmes_seconds = time.perf_counter() - started
    return {
        "providers": Provider.objects.count(),
        "services": Service.objects.filter(published=True).count(),
        "links": Service.target_groups.through.objects.count(),
        "programmes": Programme.objects.filter(municipality__isnull=False).count(),
        "state_programmes": Programme.objects.filter(municipality__isnull=True).count(),
        "municipalities": Service.objects.values("municipality").distinct().count(),
        "services_seconds": services_seconds,
        "programmes_seconds": programmes_seconds,
    }


def check_programmes() -> None:
    """Every synthetic programme compiles: the screener decides each, none skipped."""
    from zrunva.programmes.eligibility import compiled_programmes

    skipped: list = []
    compiled = compiled_programmes(on=date.today(), skipped=skipped)
    if skipped:
        raise SystemExit(f"Programmes that do not compile: {skipped[:3]}")
    print(f"  {len(compiled)} programmes in force compile (state and municipal).")


# -- 2. The requests ------------------------------------------------------------------------

SCREENER_HOUSEHOLDS = {
    "family": {
        "income": "300",
        "rating_score": "48000",
        "members": [
            {"age": "38", "sex": "M"},
            {"age": "35", "sex": "F"},
            {"age": "9", "sex": "F"},
            {"age": "4", "sex": "M"},
        ],
    },
    "pensioner": {
        "income": "0",
        "score_unknown": "on",
        "members": [{"age": "72", "sex": "F", "pension_kind": "old_age"}],
    },
    "disability": {
        "income": "150",
        "rating_score": "90000",
        "members": [{"age": "45", "sex": "M", "disability_degree": "significant"}],
    },
    "idp": {
        "income": "200",
        "rating_score": "70000",
        "members": [
            {"age": "50", "sex": "F", "is_idp": "on"},
            {"age": "16", "sex": "M", "is_idp": "on"},
        ],
    },
}


def screener_form(shape: str, municipality: int) -> dict:
    household = SCREENER_HOUSEHOLDS[shape]
    members = household["members"]
    data = {
        "municipality": str(municipality),
        "is_highland": "no",
        "income": household["income"],
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "15",
    }
    for key in ("rating_score", "score_unknown"):
        if key in household:
            data[key] = household[key]
    for i, member in enumerate(members):
        row = {"disability_degree": "none", "pension_kind": "none", **member}
        data.update({f"members-{i}-{k}": v for k, v in row.items()})
    return data


def requests_plan(count: int, seed: int) -> dict:
    """The measured requests, per set: [(class, method, path, form or None)], in a random
    order fixed by the seed, each class equally often."""
    from zrunva.geo.models import Municipality, Region
    from zrunva.geo.selectors import municipalities_with_centre
    from zrunva.services.models import ServiceType, TargetGroup

    rng = random.Random(seed)
    municipalities = list(Municipality.objects.values_list("pk", flat=True))
    with_centre = list(municipalities_with_centre().values_list("pk", flat=True))
    types = list(ServiceType.objects.values_list("pk", flat=True))
    groups = list(TargetGroup.objects.values_list("pk", flat=True))
    regions = list(Region.objects.values_list("pk", flat=True))
    classes = {
        "no filter": lambda: {},
        "municipality": lambda: {"municipality": rng.choice(municipalities)},
        "municipality + type": lambda: {
            "municipality": rng.choice(municipalities),
            "service_type": rng.choice(types),
        },
        "target group": lambda: {"target_group": rng.choice(groups)},
        "region + target group": lambda: {
            "region": rng.choice(regions),
            "target_group": rng.choice(groups),
        },
        "free + step-free + places": lambda: {"free": "on", "accessible": "on", "places": "on"},
        "text, Latin": lambda: {"q": "dghis tsentri"},
        "text, Georgian": lambda: {"q": DAY_CENTRE_KA},
        "text + municipality": lambda: {
            "q": rng.choice(["dghis tsentri", DAY_CENTRE_KA, "reabilitatsia"]),
            "municipality": rng.choice(municipalities),
        },
        "near (distance order)": lambda: {"near": rng.choice(with_centre)},
        "near + target group + free": lambda: {
            "near": rng.choice(with_centre),
            "target_group": rng.choice(groups),
            "free": "on",
        },
        "page 3": lambda: {"page": 3},
    }
    catalogue = [
        (name, "GET", "/portal/services/?" + urllib.parse.urlencode(make()), None)
        for _ in range(max(1, count // len(classes)))
        for name, make in classes.items()
    ]
    shapes = list(SCREENER_HOUSEHOLDS)
    screener = [
        (
            f"household: {shapes[i % len(shapes)]}",
            "POST",
            "/portal/screener/",
            screener_form(shapes[i % len(shapes)], rng.choice(municipalities)),
        )
        for i in range(max(1, count // 3))
    ]
    floor = [("static file", "GET", "/static/zrunva/site.css", None)] * max(1, count // 2)
    for requests in (catalogue, screener):
        rng.shuffle(requests)
    return {"catalogue": catalogue, "screener": screener, "floor": floor}


# -- 3. The server and the load generator ---------------------------------------------------


def server_env(url: str) -> dict:
    separator = "&" if "?" in url else "?"
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"{url}{separator}conn_max_age=60",
        "STATIC_ROOT": str(WORK / "static"),
        "LOG_LEVEL": "WARNING",
    }


class Server:
    """gunicorn on 127.0.0.1, production settings, `workers` sync workers."""

    def __init__(self, url: str, port: int, workers: int):
        self.url, self.port, self.workers = url, port, workers
        self.process = None

    def start(self) -> None:
        env = server_env(self.url)
        subprocess.run(  # noqa: S603 (this project's manage.py, fixed arguments)
            [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"],
            check=True,
            env=env,
            cwd=ROOT,
        )
        log = open(WORK / "gunicorn.log", "a")  # noqa: SIM115 (open while it runs)
        self.process = subprocess.Popen(  # noqa: S603 (the venv's gunicorn, fixed arguments)
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--error-logfile",
                str(WORK / "gunicorn.log"),
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/static/zrunva/site.css")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise SystemExit(f"gunicorn did not start; see {WORK / 'gunicorn.log'}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def _csrf(conn) -> tuple[str, str]:
    """The CSRF cookie and the form's token, from a GET of the screener as a browser gets them."""
    conn.request("GET", "/portal/screener/")
    response = conn.getresponse()
    body = response.read().decode()
    cookie = next(
        c.split(";")[0]
        for c in response.headers.get_all("Set-Cookie") or []
        if c.startswith("csrftoken=")
    )
    marker = 'name="csrfmiddlewaretoken" value="'
    start = body.index(marker) + len(marker)
    return cookie, body[start : body.index('"', start)]


def _send(port: int, requests: list, position, lock, samples: list, errors: list) -> None:
    """One connection's loop: the next request of the set, until none is left."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    cookie, token = _csrf(conn)
    while True:
        with lock:
            i = next(position, None)
        if i is None:
            return
        label, method, path, form = requests[i]
        headers = {"Cookie": cookie}
        body = None
        if form is not None:
            body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": token})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        ms = (time.perf_counter() - started) * 1000
        with lock:
            samples.append((label, ms))
            if response.status != 200:
                errors.append((label, path, response.status))


def client(args) -> None:
    """The load generator (a child process): every request of the plan's sets from
    `--connections` keep-alive connections at once; writes the samples as JSON."""
    plan = json.loads(Path(args.client).read_text())
    results: dict[str, dict] = {}
    for name in ("warmup", "floor", "catalogue", "screener"):
        requests = plan[name]
        samples: list = []
        errors: list = []
        shared = (args.port, requests, iter(range(len(requests))), threading.Lock())
        threads = [
            threading.Thread(target=_send, args=(*shared, samples, errors))
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
    """The comparator (a child process, production settings): the same catalogue and screener
    requests through Django's test Client, one at a time, no HTTP and no gunicorn."""
    django_setup("config.settings.production")
    from django.test import Client

    plan = json.loads(Path(args.in_process).read_text())
    browser = Client()
    results = {}
    for name in ("warmup", "catalogue", "screener"):
        samples, errors = [], []
        for label, method, path, form in plan[name]:
            started = time.perf_counter()
            response = browser.get(path) if method == "GET" else browser.post(path, form)
            samples.append((label, (time.perf_counter() - started) * 1000))
            if response.status_code != 200:
                errors.append((label, path, response.status_code))
        results[name] = {"samples": samples, "errors": errors}
    Path(args.out).write_text(json.dumps(results))


def child(flag: str, plan: Path, out: Path, args, env: dict) -> dict:
    subprocess.run(  # noqa: S603 (this script, fixed arguments)
        [sys.executable, __file__, flag, str(plan), "--out", str(out), "--port", str(args.port)]
        + ["--connections", str(args.connections)],
        check=True,
        env=env,
        cwd=ROOT,
    )
    return json.loads(out.read_text())


# -- 4. Report ------------------------------------------------------------------------------


def machine(url: str) -> str:
    from importlib.metadata import version

    import psycopg

    with psycopg.connect(url) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        shared = conn.execute("SHOW shared_buffers").fetchone()[0]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    commit = subprocess.run(  # noqa: S603 (git, fixed arguments)
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (
        f"Python {platform.python_version()}, PostgreSQL {server} (shared_buffers {shared}), "
        f"{os.cpu_count()} cores, {memory:.0f} GiB; gunicorn {version('gunicorn')}, "
        f"Django {version('django')}; commit {commit or '?'}; load average "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def by_class(samples: list) -> dict[str, list[float]]:
    classes: dict[str, list[float]] = {}
    for label, ms in samples:
        classes.setdefault(label, []).append(ms)
    return classes


def line(label: str, f: dict) -> str:
    return (
        f"  {label:<30} {f['n']:>6,} {f['p50']:>8.1f} {f['p95']:>8.1f} {f['p99']:>8.1f} "
        f"{f['max']:>8.1f}"
    )


HEADER = f"  {'class':<30} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2400, help="catalogue requests")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--port", type=int, default=8714)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="keep a catalogue built before")
    parser.add_argument("--no-in-process", action="store_true", help="skip the comparator")
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
    from zrunva.services.models import Service

    if not args.reuse or not Service.objects.exists():
        print(
            f"\n1. Building {SERVICES:,} approved services of {PROVIDERS:,} providers and "
            f"{PROGRAMMES} municipal programmes (bulk_create, batches of {BATCH:,})"
        )
        built = build(args.seed)
        print(
            f"  {built['services']:,} services in {built['municipalities']} municipalities, "
            f"{built['links']:,} target-group links, {built['providers']:,} providers: "
            f"{built['services_seconds']:.1f} s ({built['services'] / built['services_seconds']:,.0f}"
            f" services/s); {built['programmes']} municipal programmes beside "
            f"{built['state_programmes']} of the state: {built['programmes_seconds']:.2f} s"
        )
    check_programmes()
    # This server runs with autovacuum off: vacuumed here, as autovacuum would have done after
    # the load (an unvacuumed table has no visibility map: every scan checks every row's
    # transaction, and index-only scans read the heap), and analysed for the planner.
    started = time.perf_counter()
    vacuum(url)
    print(f"  VACUUM (ANALYZE) of the database: {time.perf_counter() - started:.1f} s")

    plan = requests_plan(args.requests, args.seed)
    plan["warmup"] = (plan["catalogue"][:WARMUP] + plan["screener"][: WARMUP // 4])[:WARMUP]
    plan_path = WORK / "plan.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False))
    server = Server(url, args.port, args.workers)
    print(
        f"\n2. gunicorn, {args.workers} sync workers, production settings (DEBUG off, "
        f"CONN_MAX_AGE 60); load generator: a second process, {args.connections} keep-alive "
        f"connections at once; {WARMUP} warm-up requests first"
    )
    server.start()
    try:
        http_results = child("--client", plan_path, WORK / "http.json", args, os.environ.copy())
    finally:
        server.stop()
    inproc = None
    if not args.no_in_process:
        print("3. The same requests through Django's test Client in one process (comparator)")
        inproc = child("--in-process", plan_path, WORK / "in-process.json", args, server_env(url))
    summary = report(http_results, inproc)
    (WORK / "summary.json").write_text(json.dumps(summary, indent=1))


def report(http_results: dict, inproc: dict | None) -> dict:
    for name, result in http_results.items():
        if result["errors"]:
            raise SystemExit(f"{name}: {len(result['errors'])} errors, e.g. {result['errors'][:3]}")
    if inproc:
        for name, result in inproc.items():
            if result["errors"]:
                raise SystemExit(f"in-process {name}: errors, e.g. {result['errors'][:3]}")
    floor = figures([ms for _, ms in http_results["floor"]["samples"]])
    summary = {"floor": floor}
    print("\nResults over HTTP (gunicorn), milliseconds:")
    print(HEADER)
    print(line("floor: static file", floor))
    for name, title in (("catalogue", "(a) catalogue search"), ("screener", "(b) screener POST")):
        result = http_results[name]
        print(f"{title}: {len(result['samples']):,} requests in {result['seconds']:.1f} s "
              f"({len(result['samples']) / result['seconds']:.1f}/s)")  # fmt: skip
        for label, values in sorted(by_class(result["samples"]).items()):
            print(line(label, figures(values)))
        total = figures([ms for _, ms in result["samples"]])
        print(line("ALL", total))
        summary[name] = total
        own = None
        if inproc:
            own = figures([ms for _, ms in inproc[name]["samples"]])
            print(line("in-process test Client, ALL", own))
            summary[f"{name}_in_process"] = own
        verdict = "met" if total["p99"] <= TARGET_MS else "NOT met"
        print(
            f"  target p99 <= {TARGET_MS:.0f} ms: {verdict} ({total['p99']:.1f} ms); "
            f"p50 {total['p50'] / floor['p50']:.1f}x the static-file floor's"
            + (f"; HTTP p50 / in-process p50 {total['p50'] / own['p50']:.2f}" if own else "")
        )
    return summary


if __name__ == "__main__":
    main()
