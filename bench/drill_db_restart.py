"""Failure drill (issue 19, item 7): the database restarted under the portal's load loses no
acknowledged submission.

    .venv/bin/python bench/drill_db_restart.py [--submissions 600] [--threads 8]

Never touches the shared server: it makes a throw-away PostgreSQL cluster of its own (`initdb`
into a temporary directory, run as the `postgres` OS user when started as root, on a free port,
its socket in /tmp), migrates a database there and serves it with gunicorn and the production
settings (as bench/portal_load.py does: the per-address throttle raised, one address sending
everything). Then `--threads` clients submit `--submissions` portal applications
(`POST /api/v1/portal/applications`, each with its own submission key); once a third are
answered, the cluster is restarted (`pg_ctl restart -m fast`: connections cut, the server shut
down cleanly and started again) while the submissions go on. At the end it checks:

1. every submission answered 201 with a number (acknowledged) is stored, under that number;
2. every other answer is an error (5xx or a refusal), never a success without a stored row;
3. sent again with the same key once the database is back, every unacknowledged submission
   gets a number, the one stored if its first attempt had been committed before the answer was
   lost: one application per key, none twice.

The figures (answers by status, the restart's length, the window of errors) are printed and
written to var/drills/db_restart.json; bench/README.md keeps them. Everything it started is
stopped, and the cluster deleted, whatever happens.
"""

import argparse
import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "drills"
VENV_BIN = Path(sys.executable).parent
PROGRAMMES = ("tsa", "child_benefit", "state_pension", "disability_package", "idp_allowance")
THROTTLE = {"PORTAL_THROTTLE_ADDRESS": "10000000", "PORTAL_THROTTLE_STATUS_ADDRESS": "10000000"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the postgres OS user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
            return str(candidate)
        raise SystemExit(f"{name} not found: install PostgreSQL's server programs.")
    return found


class Cluster:
    """A throw-away PostgreSQL cluster in a temporary directory."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="zrunva-drill-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.log = self.dir / "postgres.log"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")

    def run(self, *args: str) -> None:
        subprocess.run(as_postgres(list(args)), check=True, capture_output=True)  # noqa: S603

    def init(self) -> None:
        self.run(pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                 "-E", "UTF8", "--no-sync")  # fmt: skip

    def ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1"
        self.run(pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                 "-w", "-t", "120", *args)  # fmt: skip

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self.run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def manage(url: str, *command: str) -> None:
    env = os.environ | {
        "DJANGO_DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": url,
    }
    subprocess.run(  # noqa: S603 (our interpreter and manage.py)
        [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
    )


class Gunicorn:
    def __init__(self, url: str, port: int, workers: int, threads: int):
        self.port = port
        self.env = os.environ | {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": f"{url}?conn_max_age=60",
            "LOG_LEVEL": "WARNING",
            **THROTTLE,
        }
        self.command = [
            str(VENV_BIN / "gunicorn"), "config.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", str(threads),
            "--error-logfile", str(WORK / "gunicorn.log"),
        ]  # fmt: skip
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (the venv's gunicorn, fixed arguments)
            self.command,
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            status, _ = post(self.port, "/api/v1/portal/applications/status",
                             {"number": "ZR-00000-00000", "personal_number": "00000000000"})  # fmt: skip
            if status == 404:  # an unknown pair: Django answers
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        raise SystemExit(f"gunicorn did not start; see {WORK / 'gunicorn.log'}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def post(port: int, path: str, body: dict, timeout: float = 60) -> tuple[int, dict | str]:
    """The status and the answer (JSON, else text); status 0 if no HTTP answer came."""
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode(errors="replace")
    except OSError as error:
        return 0, f"{type(error).__name__}: {error}"
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text[:300]


def applicants(count: int, municipalities: list[str]) -> list[dict]:
    return [
        {
            "programme": PROGRAMMES[i % len(PROGRAMMES)],
            "municipality": municipalities[i % len(municipalities)],
            "applicant": {
                "personal_number": f"{61_000_000_000 + i:011d}",
                "first_name": "ნინო",
                "last_name": "ბერიძე",
                "birth_date": f"{1950 + i % 50}-0{1 + i % 9}-1{i % 9}",
                "phone": f"5{90_000_000 + i:08d}",
                "email": "",
                "language": "ka",
            },
            "members": [],
            "consent": True,
            "submission_key": str(uuid.uuid4()),
        }
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=600)
    parser.add_argument("--threads", type=int, default=8, help="clients submitting at once")
    parser.add_argument(
        "--rate", type=float, default=15.0, help="submissions offered a second (paced)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-threads", type=int, default=4)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    cluster = Cluster()
    server = None
    try:
        cluster.init()
        cluster.ctl("start")
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE zrunva_drill")
        url = cluster.url("zrunva_drill")
        manage(url, "migrate", "--noinput")
        manage(url, "createcachetable")
        with psycopg.connect(url) as conn:
            codes = [r[0] for r in conn.execute("SELECT code FROM geo_municipality ORDER BY code")]
        print(f"cluster on port {cluster.port} migrated in {time.monotonic() - started:.0f} s")
        server = Gunicorn(url, free_port(), args.workers, args.worker_threads)
        server.start()

        bodies = applicants(args.submissions, codes)
        answers: dict[str, tuple[int, dict | str, float, float]] = {}
        answered = threading.Event()
        restart: dict = {}
        t0 = time.monotonic()

        def submit(numbered: tuple[int, dict]) -> None:
            index, body = numbered
            # Paced, so that submissions arrive before, during and after the restart.
            time.sleep(max(0.0, t0 + index / args.rate - time.monotonic()))
            begin = time.monotonic() - t0
            status, answer = post(server.port, "/api/v1/portal/applications", body)
            answers[body["submission_key"]] = (status, answer, begin, time.monotonic() - t0)
            if len(answers) >= args.submissions // 3:
                answered.set()

        def restarter() -> None:
            answered.wait()
            restart["begin"] = time.monotonic() - t0
            cluster.ctl("-m", "fast", "restart")
            restart["end"] = time.monotonic() - t0

        thread = threading.Thread(target=restarter)
        thread.start()
        with ThreadPoolExecutor(args.threads) as pool:
            list(pool.map(submit, enumerate(bodies)))
        thread.join()
        load_seconds = time.monotonic() - t0

        def acknowledged(key: str) -> str | None:
            status, answer, *_ = answers[key]
            return answer.get("number") if status == 201 and isinstance(answer, dict) else None

        with psycopg.connect(url) as conn:
            stored = dict(
                conn.execute(
                    "SELECT submission_key::text, number FROM applications_application"
                ).fetchall()
            )
        keys = [b["submission_key"] for b in bodies]
        acked = {k: acknowledged(k) for k in keys if acknowledged(k)}
        lost = [k for k, number in acked.items() if stored.get(k) != number]
        failed = [k for k in keys if k not in acked]
        false_success = [k for k in failed if 200 <= answers[k][0] < 300]
        committed_unacknowledged = [k for k in failed if k in stored]
        by_status: dict[str, int] = {}
        for status, *_ in answers.values():
            by_status[str(status)] = by_status.get(str(status), 0) + 1
        errors_at = [answers[k][3] for k in failed]
        after = [k for k in keys if answers[k][2] > restart["end"]]

        # The clients send the unacknowledged ones again, with the same keys.
        retried = {}
        for body in bodies:
            key = body["submission_key"]
            if key in failed:
                status, answer = post(server.port, "/api/v1/portal/applications", body)
                retried[key] = answer.get("number") if status == 201 else f"{status}: {answer}"
        with psycopg.connect(url) as conn:
            final = dict(
                conn.execute(
                    "SELECT submission_key::text, number FROM applications_application"
                ).fetchall()
            )
            total = conn.execute("SELECT count(*) FROM applications_application").fetchone()[0]
        retry_wrong = [
            k for k, number in retried.items() if final.get(k) != number or
            (k in stored and stored[k] != number)
        ]  # fmt: skip
        result = {
            "submissions": args.submissions,
            "clients": args.threads,
            "offered_per_second": args.rate,
            "gunicorn": f"{args.workers} gthread workers x {args.worker_threads} threads",
            "load_seconds": round(load_seconds, 1),
            "answers_by_status": dict(sorted(by_status.items())),
            "acknowledged": len(acked),
            "acknowledged_lost": len(lost),
            "failed": len(failed),
            "failed_answered_as_success": len(false_success),
            "failed_but_committed": len(committed_unacknowledged),
            "restart_seconds": round(restart["end"] - restart["begin"], 2),
            "restart_at": round(restart["begin"], 2),
            "errors_window": [round(min(errors_at), 2), round(max(errors_at), 2)]
            if errors_at
            else None,
            "sent_after_restart": len(after),
            "failed_after_restart": sum(1 for k in after if k in failed),
            "retried": len(retried),
            "retried_wrong": len(retry_wrong),
            "applications_stored": total,
            "one_per_key": total == len(final) == args.submissions,
            "load_average": os.getloadavg(),
        }
        print(json.dumps(result, indent=2, ensure_ascii=False))
        (WORK / "db_restart.json").write_text(json.dumps(result, indent=2))
        ok = (
            not lost
            and not false_success
            and not retry_wrong
            and result["one_per_key"]
            and len(answers) == args.submissions
        )
        if not ok:
            raise SystemExit("DRILL FAILED: see the figures above")
        print("drill passed: no acknowledged submission lost, none stored twice")
    finally:
        if server is not None:
            server.stop()
        cluster.destroy()


if __name__ == "__main__":
    main()
