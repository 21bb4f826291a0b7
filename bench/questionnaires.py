"""Survey results and the answering page's submit at 100,000 responses (issue 15's speed
targets): results by municipality with small cells hidden, read from the kept tallies, against
the same counts taken straight from the responses' JSON; and the submit of a 60-question form
over HTTP against gunicorn on PostgreSQL, with the load generator in a second process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zrunva_bench_questionnaires \\
        .venv/bin/python bench/questionnaires.py

The database named in DATABASE_URL is dropped and created anew (its name must contain "bench";
`--reuse` keeps one this script built, and only migrates it). Then:
1. build (timed, with a progress bar): a 60-question form (one and several choices, bounded
   numbers, yes/no, scales, dates, texts, seven "show if" conditions; `definition.check` must
   pass), published; a survey over all 64 municipalities, open, an interviewer assigned to
   each; 100,000 submitted synthetic responses spread over the municipalities (six with 3 to 9,
   so suppression has work), written with `bulk_create` in batches of 5,000 (a sample of
   1,000 checked by `answers.check` first); then `services.tallies_rebuild` (timed), and
   VACUUM (ANALYZE) (this server runs with autovacuum off);
2. correctness: every tally cell against the same cell counted by one SQL GROUP BY over
   the responses' JSON (`jsonb_each` / `jsonb_array_elements_text`), printed OK/FAIL, per
   question for a few;
3. gunicorn serves config.wsgi with config.settings.production on 127.0.0.1 (2 sync workers,
   CONN_MAX_AGE 60, static files served by WhiteNoise); a load generator in a second process
   (this script, `--client`) signs in through the login page as the interviewer and as an
   analyst who does not own the survey, and from 2 keep-alive connections at once (one per
   worker) sends, after warm-up: (a) POSTs of /questionnaires/surveys/<id>/answer/ with
   action=submit and a whole valid answer set (a 302 is a submit kept), (b) GETs of the
   results page, (c) the floor: a static file;
4. the comparators, in one process with production settings (`--in-process`):
   `selectors.results(actor=<the analyst>, survey=…)` repeated (the target: p50 and p99 at
   most 1 s), the SQL GROUP BY from the responses (what results would cost without tallies),
   and the same submits and results pages through Django's test `Client`;
5. the correctness check of 2. again, after those submits.
It prints p50/p95/p99/max and the ratios. See bench/README.md for measured figures.
"""

import argparse
import http.client
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = ROOT / "var" / "bench-questionnaires"
VENV_BIN = Path(sys.executable).parent
RESPONSES = 100_000
BATCH = 5_000
SMALL_AREAS = 6  # municipalities given 3 to 9 responses: suppression hides them
SAMPLE = 1_000  # generated answer sets checked by answers.check before the load
SUBMIT_TARGET_MS = 150.0
RESULTS_TARGET_MS = 1000.0
PASSWORD = "Zrunva-bench-pass-1"  # noqa: S105 (a synthetic user of a throwaway database)
WARMUP = 40

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

catalogue.WORK = WORK  # gunicorn's log and the collected static files go here


# -- 1. The form, the survey, the responses -------------------------------------------------


def _q(key: str, kind: str, label: str, **more) -> dict:
    return {"key": key, "kind": kind, "label_ka": f"{label} (ka)", "label_en": label, **more}


def _choices(*values: str) -> list[dict]:
    return [{"value": v, "label_ka": f"{v} (ka)", "label_en": v.title()} for v in values]


def form_definition() -> dict:
    """60 questions in 6 sections, as a household needs survey asks: 13 one-choice, 8
    several-choice, 8 numbers with bounds, 13 yes/no, 8 scales, 4 dates, 6 texts; 7 of them
    asked only if an earlier answer says so."""
    s1 = [
        _q("age", "number", "Age", required=True, min=0, max=110, integer=True),
        _q("sex", "single", "Sex", required=True, choices=_choices("female", "male")),
        _q(
            "household_size", "number", "Household size", required=True, min=1, max=20, integer=True
        ),
        _q("settlement", "single", "Settlement", choices=_choices("city", "town", "village")),
        _q("lives_alone", "yes_no", "Lives alone", required=True),
        _q(
            "education",
            "single",
            "Education",
            choices=_choices("none", "primary", "secondary", "vocational", "higher"),
        ),
        _q(
            "work",
            "single",
            "Work",
            choices=_choices("employed", "self", "unemployed", "retired", "student"),
        ),
        _q("income", "number", "Monthly income, GEL", min=0, max=20000),
        _q("pension", "yes_no", "Receives a pension", show_if="${age} >= 60"),
        _q("idp", "yes_no", "Internally displaced"),
    ]
    s2 = [
        _q("health", "scale", "Health", required=True, min=1, max=5),
        _q("chronic", "yes_no", "Chronic illness"),
        _q(
            "conditions",
            "multiple",
            "Conditions",
            choices=_choices("heart", "diabetes", "lungs", "joints", "sight", "hearing"),
            show_if="${chronic} = 'yes'",
        ),
        _q(
            "disability",
            "single",
            "Disability status",
            choices=_choices("none", "moderate", "significant", "severe"),
        ),
        _q("mobility", "scale", "Moving about", min=1, max=5),
        _q("doctor_visits", "number", "Doctor visits this year", min=0, max=100, integer=True),
        _q("last_visit", "date", "Last doctor visit", min="2020-01-01", max="2026-12-31"),
        _q("medicines", "yes_no", "Pays for medicines"),
        _q(
            "medicine_cost",
            "number",
            "Medicines a month, GEL",
            min=0,
            max=5000,
            show_if="${medicines} = 'yes'",
        ),
        _q("health_note", "text", "About health", max_length=200),
    ]
    s3 = [
        _q(
            "needs",
            "multiple",
            "Needs",
            choices=_choices("care", "transport", "food", "heating", "medicine", "company"),
        ),
        _q(
            "needs_first",
            "single",
            "First need",
            choices=_choices("care", "transport", "food", "heating", "medicine", "company"),
        ),
        _q(
            "care_hours",
            "number",
            "Care hours a week",
            min=0,
            max=168,
            integer=True,
            show_if="selected(${needs}, 'care')",
        ),
        _q(
            "carer",
            "single",
            "Who cares",
            choices=_choices("nobody", "family", "neighbour", "service"),
        ),
        _q(
            "services_used",
            "multiple",
            "Services used",
            choices=_choices("day_centre", "home_care", "meals", "rehab", "shelter"),
        ),
        _q("service_rating", "scale", "Services, rating", min=0, max=10),
        _q("waiting", "yes_no", "On a waiting list"),
        _q(
            "waiting_since",
            "date",
            "Waiting since",
            min="2015-01-01",
            max="2026-12-31",
            show_if="${waiting} = 'yes'",
        ),
        _q(
            "transport_mode",
            "single",
            "Travels by",
            choices=_choices("walk", "bus", "taxi", "family_car", "none"),
        ),
        _q("needs_note", "text", "Other needs", max_length=200),
    ]
    s4 = [
        _q(
            "dwelling",
            "single",
            "Dwelling",
            choices=_choices("flat", "house", "rented", "shelter", "other"),
        ),
        _q("rooms", "number", "Rooms", min=1, max=15, integer=True),
        _q("heating", "multiple", "Heating", choices=_choices("gas", "wood", "electric", "none")),
        _q("water", "yes_no", "Running water"),
        _q("toilet_inside", "yes_no", "Toilet inside"),
        _q("step_free", "yes_no", "Step-free entrance"),
        _q("dwelling_state", "scale", "State of the dwelling", min=1, max=5),
        _q(
            "repairs",
            "multiple",
            "Repairs needed",
            choices=_choices("roof", "windows", "walls", "floor", "wiring"),
        ),
        _q("moved_in", "date", "Moved in", min="1950-01-01", max="2026-12-31"),
        _q("dwelling_note", "text", "About the dwelling", max_length=200),
    ]
    s5 = [
        _q(
            "benefits",
            "multiple",
            "Benefits received",
            choices=_choices("tsa", "child", "disability", "idp", "municipal"),
        ),
        _q("debt", "yes_no", "In debt"),
        _q(
            "debt_kind",
            "multiple",
            "Debts to",
            choices=_choices("bank", "shop", "utilities", "family"),
            show_if="${debt} = 'yes'",
        ),
        _q("food_secure", "scale", "Enough food", min=1, max=5),
        _q(
            "expenses_first",
            "single",
            "Largest expense",
            choices=_choices("food", "utilities", "medicine", "rent", "loans", "school"),
        ),
        _q("savings", "single", "Savings", choices=_choices("none", "month", "months", "year")),
        _q("children", "number", "Children under 18", min=0, max=12, integer=True),
        _q("school", "yes_no", "All children at school", show_if="${children} > 0"),
        _q("finance_rating", "scale", "Getting by", min=1, max=5),
        _q("finance_note", "text", "About money", max_length=200),
    ]
    s6 = [
        _q(
            "contact",
            "single",
            "Sees friends or family",
            choices=_choices("daily", "weekly", "monthly", "rarely"),
        ),
        _q("lonely", "scale", "Loneliness", min=1, max=5),
        _q("internet", "yes_no", "Uses the internet"),
        _q(
            "language",
            "single",
            "Language at home",
            choices=_choices("ka", "az", "hy", "ru", "other"),
        ),
        _q(
            "informed",
            "multiple",
            "Hears about services from",
            choices=_choices("tv", "social", "office", "neighbours", "worker"),
        ),
        _q("trust", "scale", "Trust in the municipality", min=0, max=10),
        _q(
            "interview_day",
            "date",
            "Interview day",
            min="2026-01-01",
            max="2026-12-31",
            required=True,
        ),
        _q("interviewer_note", "text", "Interviewer's note", max_length=200),
        _q("follow_up", "yes_no", "Wants a follow-up visit", required=True),
        _q("comment", "text", "Anything else", max_length=200),
    ]
    sections = [s1, s2, s3, s4, s5, s6]
    titles = ["About you", "Health", "Needs and care", "Home", "Money", "Contact"]
    return {
        "sections": [
            {"title_ka": f"{t} (ka)", "title_en": t, "questions": qs}
            for t, qs in zip(titles, sections, strict=True)
        ]
    }


TEXTS = [
    "ყველაფერი რიგზეა",
    "სჭირდება დახმარება ზამთარში",
    "Needs help in winter",
    "მეზობელი ეხმარება",
    "Lives far from the bus stop",
    "ითხოვს ექიმის ვიზიტს",
]


class Answering:
    """Synthetic answer sets, stored as `answers.check` stores them (choices in the form's
    order, yes/no as booleans, numbers as numbers), each condition read with the app's own
    `conditions.holds`, so the unasked are never answered."""

    def __init__(self, definition: dict, rng: random.Random):
        from zrunva.questionnaires import conditions

        self.rng, self.holds = rng, conditions.holds
        self.questions = [
            (q, conditions.parse(q["show_if"]) if q.get("show_if") else None)
            for section in definition["sections"]
            for q in section["questions"]
        ]

    def _value(self, q: dict):
        rng, kind = self.rng, q["kind"]
        if kind == "single":
            return rng.choice(q["choices"])["value"]
        if kind == "multiple":
            values = [c["value"] for c in q["choices"]]
            chosen = set(rng.sample(values, rng.randint(1, min(3, len(values)))))
            return [v for v in values if v in chosen]
        if kind == "number":
            low, high = q.get("min", 0), q.get("max", 100)
            high = min(high, low + 90) if q["key"] != "income" else 2500
            if q.get("integer"):
                return rng.randint(int(low), int(high))
            return round(rng.uniform(low, high), 2)
        if kind == "yes_no":
            return rng.random() < 0.45
        if kind == "scale":
            return rng.randint(q.get("min", 1), q.get("max", 5))
        if kind == "date":
            first, last = date.fromisoformat(q["min"]), date.fromisoformat(q["max"])
            return (first + timedelta(days=rng.randrange((last - first).days + 1))).isoformat()
        return rng.choice(TEXTS)

    def answers(self) -> dict:
        given: dict = {}
        for q, condition in self.questions:
            if condition is not None and not self.holds(condition, given):
                continue
            if not q.get("required") and self.rng.random() < 0.08:
                continue  # an optional question left unanswered
            given[q["key"]] = self._value(q)
        return given


def as_posted(definition: dict, given: dict) -> dict:
    """A stored answer set as the answering page posts it."""
    data: dict = {}
    for section in definition["sections"]:
        for q in section["questions"]:
            if q["key"] not in given:
                continue
            value = given[q["key"]]
            if isinstance(value, bool):
                value = "yes" if value else "no"
            data[q["key"]] = value if isinstance(value, list) else str(value)
    return data


def spread(municipalities: list, rng: random.Random) -> list[int]:
    """Responses per municipality: six with 3 to 9, the rest by a skewed weight (Tbilisi's
    districts and the large towns answer most), summing to RESPONSES."""
    small = [rng.randint(3, 9) for _ in range(SMALL_AREAS)]
    weights = [rng.uniform(0.2, 1.0) ** 2 for _ in municipalities[SMALL_AREAS:]]
    rest = RESPONSES - sum(small)
    counts = [int(rest * w / sum(weights)) for w in weights]
    counts[0] += rest - sum(counts)
    return small + counts


def build(seed: int) -> dict:
    """The users, the form, the survey and its responses (bulk_create), then the tallies
    rebuilt: the counts and the seconds each step took."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone
    from tqdm import tqdm

    from zrunva.accounts.choices import Role
    from zrunva.geo.models import Municipality, Office
    from zrunva.questionnaires import answers, definition, services
    from zrunva.questionnaires.choices import ResponseStatus, SurveyStatus
    from zrunva.questionnaires.models import Response

    rng = random.Random(seed)
    User = get_user_model()
    owner = User.objects.create_user("bench-owner", password=PASSWORD, role=Role.ANALYST)
    User.objects.create_user("bench-analyst", password=PASSWORD, role=Role.ANALYST)
    # With an office: production asks national social workers for a second factor.
    User.objects.create_user(
        "bench-interviewer",
        password=PASSWORD,
        role=Role.SOCIAL_WORKER,
        office=Office.objects.order_by("pk").first(),
    )
    interviewer = User.objects.get(username="bench-interviewer")
    questions = form_definition()
    errors = definition.check(questions)
    if errors:
        raise SystemExit(f"The form does not check: {errors[:3]}")
    count = sum(len(s["questions"]) for s in questions["sections"])
    form = services.form_create(
        actor=owner, code="bench-needs", name_ka="საჭიროებები", name_en="Needs", questions=questions
    )
    version = services.version_publish(actor=owner, version=form.versions.get())
    municipalities = list(Municipality.objects.order_by("code"))
    rng.shuffle(municipalities)
    counts = spread(municipalities, rng)
    today = timezone.localdate()
    survey = services.survey_create(
        actor=owner,
        form=form,
        code="bench-needs-2026",
        name_ka="საჭიროებების კვლევა",
        name_en="Needs survey",
        opens=today - timedelta(days=30),
        closes=today + timedelta(days=365),
        targets={m: max(10, n) for m, n in zip(municipalities, counts, strict=True)},
    )
    for m in municipalities:
        services.survey_assign(actor=owner, survey=survey, interviewer=interviewer, municipality=m)
    services.survey_status_set(actor=owner, survey=survey, status=SurveyStatus.OPEN)

    answering = Answering(questions, rng)
    for _ in range(SAMPLE):
        given = answering.answers()
        clean, faults = answers.check(questions, given)
        if faults or clean != given:
            raise SystemExit(f"A generated answer set does not check: {faults or given}")
    print(f"  {count} questions, definition.check passes; {SAMPLE:,} answer sets checked: OK")

    places = [m.pk for m, n in zip(municipalities, counts, strict=True) for _ in range(n)]
    rng.shuffle(places)
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic(), tqdm(total=RESPONSES, unit=" responses", desc="  responses") as bar:
        for first in range(0, RESPONSES, BATCH):
            Response.objects.bulk_create(
                Response(
                    version=version,
                    survey=survey,
                    answers=answering.answers(),
                    status=ResponseStatus.SUBMITTED,
                    municipality_id=place,
                    entered_by=interviewer,
                    submitted_at=now,
                )
                for place in places[first : first + BATCH]
            )
            connection.queries_log.clear()
            bar.update(len(places[first : first + BATCH]))
    responses_seconds = time.perf_counter() - started
    started = time.perf_counter()
    cells = services.tallies_rebuild(survey)
    rebuild_seconds = time.perf_counter() - started
    return {
        "survey": survey.pk,
        "questions": count,
        "responses": Response.objects.filter(survey=survey).count(),
        "municipalities": len(set(places)),
        "small": sorted(counts[:SMALL_AREAS]),
        "cells": cells,
        "responses_seconds": responses_seconds,
        "rebuild_seconds": rebuild_seconds,
    }


# -- 2. Results from the responses themselves (the comparator and the check) ----------------


def direct_sql(survey_id: int, kinds: dict[str, str]) -> tuple[str, list]:
    """One GROUP BY over the submitted responses' JSON giving the cells `tallies.cells` adds:
    (municipality, key, value, respondents, sum). Categories by their value (yes/no from
    booleans), several choices by each value chosen and "" for answered, anything else ""."""
    rows = ", ".join(["(%s, %s)"] * len(kinds))
    query = f"""
        WITH kinds(key, kind) AS (VALUES {rows}),
        submitted AS (
            SELECT municipality_id, answers FROM questionnaires_response
            WHERE survey_id = %s AND status = 'submitted'
        ),
        cells AS (
            SELECT municipality_id, '' AS key, '' AS value, NULL::numeric AS number
            FROM submitted
            UNION ALL
            SELECT r.municipality_id, a.key,
                   CASE k.kind
                       WHEN 'yes_no' THEN CASE a.value WHEN 'true' THEN 'yes' ELSE 'no' END
                       WHEN 'single' THEN a.value
                       WHEN 'scale' THEN a.value
                       ELSE ''
                   END,
                   CASE k.kind WHEN 'number' THEN a.value::numeric END
            FROM submitted r CROSS JOIN LATERAL jsonb_each_text(r.answers) a
            JOIN kinds k ON k.key = a.key
            UNION ALL
            SELECT r.municipality_id, k.key, c.value, NULL
            FROM submitted r JOIN kinds k ON k.kind = 'multiple' AND r.answers ? k.key
            CROSS JOIN LATERAL jsonb_array_elements_text(r.answers -> k.key) c
        )
        SELECT municipality_id, key, value, count(*), coalesce(sum(number), 0)
        FROM cells GROUP BY 1, 2, 3
    """  # noqa: S608 (placeholders only: the VALUES list's length is the form's)
    params = [x for pair in kinds.items() for x in pair] + [survey_id]
    return query, params


def kinds_of(survey) -> dict[str, str]:
    from zrunva.questionnaires.selectors import version_published

    version = version_published(survey.form)
    return {q["key"]: q["kind"] for s in version.definition["sections"] for q in s["questions"]}


def check_tallies(survey_id: int) -> bool:
    """Every kept tally against the direct count: printed OK/FAIL, whole and per question for a
    few of each kind."""
    from django.db import connection

    from zrunva.questionnaires.models import Survey, Tally

    survey = Survey.objects.get(pk=survey_id)
    kinds = kinds_of(survey)
    with connection.cursor() as cursor:
        cursor.execute(*direct_sql(survey_id, kinds))
        direct = {(m, k, v): (n, t) for m, k, v, n, t in cursor.fetchall()}
    kept = {
        (m, k, v): (n, t)
        for m, k, v, n, t in Tally.objects.filter(survey=survey).values_list(
            "municipality_id", "key", "value", "count", "total"
        )
    }
    shown = ["", "sex", "needs", "income", "lives_alone", "health", "conditions", "last_visit"]
    for key in shown:
        ours = {c: v for c, v in kept.items() if c[1] == key}
        theirs = {c: v for c, v in direct.items() if c[1] == key}
        verdict = "OK" if ours == theirs else "FAIL"
        print(f"  {key or '(responses)'} ({kinds.get(key, 'count')}): {len(ours):,} cells, "
              f"{sum(n for n, _t in ours.values()):,} respondents: {verdict}")  # fmt: skip
    whole = kept == direct
    print(f"  all {len(kept):,} tally cells equal the direct count: {'OK' if whole else 'FAIL'}")
    return whole


# -- 3. The server, the load generator and the in-process comparators -----------------------


def _cookies(response, jar: dict) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _sep, rest = header.partition("=")
        jar[name] = rest.split(";", 1)[0]


def _header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _token(body: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not found:
        raise SystemExit("No CSRF token on the page.")
    return found.group(1)


def sign_in(conn, username: str) -> dict:
    """Sign in through the login page, as a browser does: the session and CSRF cookies."""
    jar: dict = {}
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    _cookies(response, jar)
    token = _token(response.read().decode())
    body = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    headers = {"Cookie": _header(jar), "Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", "/accounts/login/", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    _cookies(response, jar)
    if response.status != 302 or "sessionid" not in jar:
        raise SystemExit(f"Signing in as {username} failed: HTTP {response.status}")
    return jar


def _send(args, plan, name, position, lock, samples, errors) -> None:
    """One connection's loop: the next request of the set, until none is left."""
    conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
    answer_path = f"/questionnaires/surveys/{plan['survey']}/answer/"
    jar, token = {}, ""
    if name in ("warmup", "submit"):
        jar = sign_in(conn, "bench-interviewer")
        conn.request("GET", answer_path, headers={"Cookie": _header(jar)})
        response = conn.getresponse()
        token = _token(response.read().decode())
    elif name == "results":
        jar = sign_in(conn, "bench-analyst")
    requests = plan[name]
    while True:
        with lock:
            i = next(position, None)
        if i is None:
            return
        label, method, path, form = requests[i]
        headers = {"Cookie": _header(jar)} if jar else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": token}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        ms = (time.perf_counter() - started) * 1000
        expected = 302 if method == "POST" else 200
        with lock:
            samples.append((label, ms))
            if response.status != expected:
                errors.append((label, path, response.status))


def client(args) -> None:
    """The load generator (a child process): each set from `--connections` keep-alive
    connections at once; writes the samples as JSON."""
    plan = json.loads(Path(args.client).read_text())
    results: dict[str, dict] = {}
    for name in ("warmup", "floor", "submit", "results"):
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
    """The comparators (a child process, production settings): `selectors.results` repeated,
    the direct SQL GROUP BY repeated, then the submits and results pages through the test
    Client, one at a time, no HTTP and no gunicorn."""
    django_setup("config.settings.production")
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from zrunva.questionnaires import selectors
    from zrunva.questionnaires.models import Survey

    plan = json.loads(Path(args.in_process).read_text())
    survey = Survey.objects.get(pk=plan["survey"])
    analyst = get_user_model().objects.get(username="bench-analyst")
    out: dict = {}

    def timed(fn, repeat: int, warm: int = 2) -> list[float]:
        for _ in range(warm):
            fn()
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    found = selectors.results(actor=analyst, survey=survey)
    hidden = sum(
        c.hidden for t in [found["responses"], *found["questions"]] for r in t.rows for c in r.cells
    )
    cells = sum(len(r.cells) for t in [found["responses"], *found["questions"]] for r in t.rows)
    out["results_shape"] = {
        "tables": 1 + len(found["questions"]),
        "rows": len(found["responses"].rows),
        "cells": cells,
        "hidden": hidden,
    }
    out["selector"] = timed(lambda: selectors.results(actor=analyst, survey=survey), args.repeat)
    query, params = direct_sql(survey.pk, kinds_of(survey))

    def sql():
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            cursor.fetchall()

    out["sql"] = timed(sql, max(5, args.repeat // 3), warm=1)

    reader = Client()
    reader.force_login(analyst)
    writer = Client()
    writer.force_login(get_user_model().objects.get(username="bench-interviewer"))
    for name, browser in (("submit", writer), ("results", reader)):
        samples, errors = [], []
        for label, method, path, form in plan[name]:
            started = time.perf_counter()
            response = browser.get(path) if method == "GET" else browser.post(path, form)
            samples.append((label, (time.perf_counter() - started) * 1000))
            if response.status_code != (302 if method == "POST" else 200):
                errors.append((label, path, response.status_code))
        out[name] = {"samples": samples, "errors": errors}
    Path(args.out).write_text(json.dumps(out))


def child(flag: str, plan: Path, out: Path, args, env: dict) -> dict:
    subprocess.run(  # noqa: S603 (this script, fixed arguments)
        [sys.executable, __file__, flag, str(plan), "--out", str(out), "--port", str(args.port)]
        + ["--connections", str(args.connections), "--repeat", str(args.repeat)],
        check=True,
        env=env,
        cwd=ROOT,
    )
    return json.loads(out.read_text())


def requests_plan(survey_id: int, submits: int, pages: int, seed: int) -> dict:
    """The measured requests: submits of fresh answer sets (each municipality drawn), results
    pages, static files; and the warm-up submits."""
    from zrunva.questionnaires.models import Survey

    survey = Survey.objects.get(pk=survey_id)
    from zrunva.questionnaires.selectors import version_published

    questions = version_published(survey.form).definition
    rng = random.Random(seed + 1)
    answering = Answering(questions, rng)
    municipalities = list(survey.areas.values_list("municipality_id", flat=True))
    path = f"/questionnaires/surveys/{survey_id}/answer/"

    def submit():
        form = as_posted(questions, answering.answers())
        form.update(municipality=str(rng.choice(municipalities)), action="submit")
        return ("submit: 60 questions", "POST", path, form)

    return {
        "survey": survey_id,
        "warmup": [submit() for _ in range(WARMUP)],
        "submit": [submit() for _ in range(submits)],
        "results": [("results page", "GET", f"/questionnaires/surveys/{survey_id}/results/", None)]
        * pages,
        "floor": [("static file", "GET", "/static/zrunva/site.css", None)] * max(1, submits // 2),
    }


# -- 4. Report ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submits", type=int, default=1000, help="submits measured over HTTP")
    parser.add_argument("--pages", type=int, default=60, help="results pages over HTTP")
    parser.add_argument("--repeat", type=int, default=30, help="in-process results() calls")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--port", type=int, default=8715)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="keep a survey built before")
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
    from zrunva.questionnaires.models import Survey

    survey = Survey.objects.filter(code="bench-needs-2026").first()
    if not args.reuse or survey is None:
        print(
            f"\n1. Building a 60-question form, a survey over 64 municipalities and "
            f"{RESPONSES:,} submitted responses (bulk_create, batches of {BATCH:,})"
        )
        built = build(args.seed)
        print(
            f"  {built['responses']:,} responses in {built['municipalities']} municipalities "
            f"(the six smallest: {built['small']}): {built['responses_seconds']:.1f} s "
            f"({built['responses'] / built['responses_seconds']:,.0f} rows/s)\n"
            f"  tallies_rebuild: {built['cells']:,} cells in {built['rebuild_seconds']:.1f} s "
            f"({built['responses'] / built['rebuild_seconds']:,.0f} responses/s)"
        )
        survey = Survey.objects.get(pk=built["survey"])
    # This server runs with autovacuum off: vacuumed here, as autovacuum would after the load.
    started = time.perf_counter()
    vacuum(url)
    print(f"  VACUUM (ANALYZE) of the database: {time.perf_counter() - started:.1f} s")
    print("\n2. The kept tallies against one SQL GROUP BY over the responses' JSON")
    correct = check_tallies(survey.pk)

    plan = requests_plan(survey.pk, args.submits, args.pages, args.seed)
    plan_path = WORK / "plan.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False))
    server = Server(url, args.port, args.workers)
    print(
        f"\n3. gunicorn, {args.workers} sync workers, production settings (DEBUG off, "
        f"CONN_MAX_AGE 60); load generator: a second process, {args.connections} keep-alive "
        f"connections at once; {WARMUP} warm-up submits first"
    )
    server.start()
    try:
        http_results = child("--client", plan_path, WORK / "http.json", args, os.environ.copy())
    finally:
        server.stop()
    print("4. In one process, production settings: results(), the direct SQL, the test Client")
    inproc = child("--in-process", plan_path, WORK / "in-process.json", args, server_env(url))
    # Again after the 2,040 submits (two at a time over HTTP): the kept tallies still exact.
    print("\n5. The kept tallies against the direct count after the submits")
    correct = check_tallies(survey.pk) and correct
    summary = report(http_results, inproc, correct)
    (WORK / "summary.json").write_text(json.dumps(summary, indent=1))


def report(http_results: dict, inproc: dict, correct: bool) -> dict:
    for name, result in [*http_results.items(), *inproc.items()]:
        if isinstance(result, dict) and result.get("errors"):
            raise SystemExit(f"{name}: {len(result['errors'])} errors, e.g. {result['errors'][:3]}")
    shape = inproc["results_shape"]
    selector, sql = figures(inproc["selector"]), figures(inproc["sql"])
    print(
        f"\nResults by municipality, small cells hidden ({shape['tables']} tables of "
        f"{shape['rows']} rows, {shape['cells']:,} cells, {shape['hidden']:,} hidden), "
        f"milliseconds:"
    )
    print(HEADER)
    print(line("selectors.results (tallies)", selector))
    print(line("direct SQL GROUP BY (JSON)", sql))
    verdict = "met" if selector["p99"] <= RESULTS_TARGET_MS else "NOT met"
    print(
        f"  target <= {RESULTS_TARGET_MS:.0f} ms: {verdict} (p99 {selector['p99']:.1f} ms); "
        f"the direct SQL alone takes {sql['p50'] / selector['p50']:.1f}x results()'s p50"
    )
    floor = figures([ms for _, ms in http_results["floor"]["samples"]])
    summary = {"floor": floor, "selector": selector, "sql": sql, "correct": correct}
    print("\nOver HTTP (gunicorn), milliseconds:")
    print(HEADER)
    print(line("floor: static file", floor))
    for name, title, target in (
        ("submit", "(a) submit POST", SUBMIT_TARGET_MS),
        ("results", "(b) results page", RESULTS_TARGET_MS),
    ):
        result = http_results[name]
        print(f"{title}: {len(result['samples']):,} requests in {result['seconds']:.1f} s "
              f"({len(result['samples']) / result['seconds']:.1f}/s)")  # fmt: skip
        total = figures([ms for _, ms in result["samples"]])
        own = figures([ms for _, ms in inproc[name]["samples"]])
        print(line("HTTP, 2 connections", total))
        print(line("in-process test Client", own))
        summary[name], summary[f"{name}_in_process"] = total, own
        verdict = "met" if total["p99"] <= target else "NOT met"
        print(
            f"  target p99 <= {target:.0f} ms: {verdict} ({total['p99']:.1f} ms); p50 "
            f"{total['p50'] / floor['p50']:.0f}x the static-file floor's; HTTP p50 / "
            f"in-process p50 {total['p50'] / own['p50']:.2f}"
        )
    print(f"\nTallies equal the direct count: {'OK' if correct else 'FAIL'}")
    return summary


if __name__ == "__main__":
    main()
