"""The production entry points (issue 19, "Deployment"). Where no container engine runs, the
commands the image and compose.yaml would run are run here, read from those files: the image's
ENTRYPOINT (deploy/entrypoint.sh, which holds every process's command) with each service's
command, in the environment compose gives it. A second test checks the files themselves; a
third runs Django's deployment checks on the production settings.
"""

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import pytest
import yaml
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.db import connection
from dockerfile_parse import DockerfileParser

from zrunva.core.models import WorkerHeartbeat

ROOT = Path(settings.BASE_DIR)
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
NGINX = (ROOT / "deploy" / "nginx" / "zrunva.conf.template").read_text()
# What the processes inherit from this shell; the rest is what compose gives them (not the
# test settings' SECRET_KEY, DJANGO_DEBUG or DJANGO_SETTINGS_MODULE).
INHERITED = ("HOME", "LANG", "LC_ALL", "TMPDIR")


def final_stage() -> dict[str, str]:
    """The Dockerfile's last stage (the image that runs): instruction -> its last value."""
    parser = DockerfileParser(path=str(ROOT / "Dockerfile"))
    stages = [i for i, step in enumerate(parser.structure) if step["instruction"] == "FROM"]
    return {step["instruction"]: step["value"] for step in parser.structure[stages[-1] :]}


def container_command(service: str) -> list[str]:
    """What `service`'s container runs: the image's ENTRYPOINT and the service's command (the
    image's CMD without one), the image's working directory read as this checkout."""
    image = final_stage()
    entrypoint = json.loads(image["ENTRYPOINT"])
    command = COMPOSE["services"][service].get("command") or json.loads(image["CMD"])
    program = PurePosixPath(entrypoint[0]).relative_to(image["WORKDIR"])
    return [str(ROOT / program), *entrypoint[1:], *command]


def env_file() -> dict[str, str]:
    lines = (ROOT / "deploy" / "zrunva.env.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def production_env(
    service: str, tmp_path: Path, *, login: tuple[str, str] | None = None, **overrides: str
) -> dict[str, str]:
    """The environment compose gives `service` (the example env file and the service's own
    variables), its secret files written under `tmp_path`, the database being the test's,
    reached as `login` (role, password) when given, else as the test's own user."""
    env = {k: v for k, v in os.environ.items() if k in INHERITED}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env |= env_file() | COMPOSE["services"][service]["environment"]
    (tmp_path / "secret_key").write_text(secrets.token_urlsafe(64) + "\n")
    (tmp_path / "static").mkdir(exist_ok=True)
    env |= {
        "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
    }
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        user, password = login or (db["USER"] or "", db["PASSWORD"] or "")
        (tmp_path / "db_password").write_text(f"{password}\n")
        env["PGPASSWORD_FILE"] = str(tmp_path / "db_password")
        env["DATABASE_URL"] = (
            f"postgres://{quote(user, safe='')}@{db['HOST'] or 'localhost'}:"
            f"{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"
        )
    else:
        # No PostgreSQL here (the checks need no database): no password file to read.
        del env["PGPASSWORD_FILE"]
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    return env | overrides


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A started entry point, its output in a file, stopped by `stop()` (always called)."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path):
        self.log = log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(  # noqa: S603 - the checkout's entry point
                command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)  # its own group: gunicorn's workers
                self.popen.wait()
        return self.popen.returncode


def get(port: int, path: str, *, host: str) -> tuple[int, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        # As the proxy forwards a request it received over TLS (deploy/nginx).
        headers={"Host": host, "X-Forwarded-Proto": "https", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - http
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def run_probe(probe: list[str], env: dict[str, str]) -> int:
    return subprocess.run(probe, env=env, capture_output=True).returncode  # noqa: S603


def wait_for(condition, *, seconds: float, what: str, processes: list[Process]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        for process in processes:
            assert process.popen.poll() is None, f"{what}: it exited\n{process.output()}"
        time.sleep(0.25)
    logs = "\n".join(process.output() for process in processes)
    pytest.fail(f"{what}: not within {seconds} s\n{logs}")


@pytest.fixture
def app_role(transactional_db):
    """A login role of the kind compose's web and worker connect as (DB_APP_ROLE): owning
    nothing, granted by the audit app what the data needs (zrunva/audit/database.py), and
    dropped afterwards (roles belong to the whole server, not to the test database)."""
    from zrunva.audit.database import app_role_grant

    role, password = f"zrunva_deploy_{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s", [password])
    try:
        assert app_role_grant(connection, role)
        yield role, password
    finally:
        with connection.cursor() as cursor:
            # Its grants and default privileges in this database first, then the role.
            cursor.execute(f"DROP OWNED BY {role}")
            cursor.execute(f"DROP ROLE {role}")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="production runs on PostgreSQL; the web process and the worker share the test "
    "database only through a server",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_production_web_process_and_worker_serve_and_become_ready(tmp_path, app_role):
    port = free_port()
    host = env_file()["ALLOWED_HOSTS"].split(",")[0]
    # Both connect as the application's role, as in compose.yaml: what they do at start and
    # at work needs no right the role lacks (the audit trail's rewrite, the schema).
    role = {"login": app_role, "DB_APP_ROLE": app_role[0]}
    web_env = production_env("web", tmp_path, **role, BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1")
    worker_env = production_env("worker", tmp_path, **role, WORKER_HEARTBEAT_SECONDS="0.5")
    probe = [*container_command("web")[:1], "probe", "/healthz"]
    assert COMPOSE["services"]["web"]["healthcheck"]["test"][2:] == probe[1:]

    web = Process(container_command("web"), web_env, tmp_path / "web.log")
    worker = None
    try:
        wait_for(
            lambda: run_probe(probe, web_env) == 0,
            seconds=20, what="/healthz (the container's probe)", processes=[web],
        )  # fmt: skip
        status, body = get(port, "/readyz", host=host)
        assert status == 503 and "WorkerHeartbeat()" in body, body  # no worker yet

        worker = Process(container_command("worker"), worker_env, tmp_path / "worker.log")
        wait_for(
            lambda: get(port, "/readyz", host=host)[0] == 200,
            seconds=20, what="/readyz once the worker beats", processes=[web, worker],
        )  # fmt: skip
        status, page = get(port, "/portal/", host=host)
        assert status == 200 and '<html lang="ka"' in page
        with connection.cursor() as cursor:
            # The worker holds its connection between beats: it works as the role.
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", [app_role[0]]
            )
            assert cursor.fetchone()[0] >= 1, "no process connected as the application's role"

        assert worker.stop() == 0, worker.output()
        assert not WorkerHeartbeat.objects.exists()  # a clean stop takes its heartbeat away
        assert get(port, "/readyz", host=host)[0] == 503
    finally:
        if worker is not None:
            worker.stop()
        web.stop()


def test_the_image_and_compose_run_the_tested_entry_points():
    image = final_stage()
    entrypoint = str(ENTRYPOINT)
    assert container_command("web") == [entrypoint, "web"]
    assert container_command("worker") == [entrypoint, "worker"]
    assert container_command("migrate") == [entrypoint, "migrate"]
    services = COMPOSE["services"]
    assert not any("entrypoint" in service for service in services.values())
    assert services["web"]["healthcheck"]["test"] == [
        "CMD", f"{image['WORKDIR']}/deploy/entrypoint.sh", "probe", "/healthz",
    ]  # fmt: skip

    # The image: the locked dependencies, translations and static files built in; not root.
    parser = DockerfileParser(path=str(ROOT / "Dockerfile"))
    assert parser.baseimage == "python:3.11-slim"
    build = "\n".join(s["value"] for s in parser.structure if s["instruction"] == "RUN")
    for step in ("pip install -r requirements.lock", "compilemessages", "collectstatic"):
        assert step in build
    assert image["USER"] not in ("root", "0") and image["USER"]
    baked = " ".join(s["value"] for s in parser.structure if s["instruction"] in ("ENV", "ARG"))
    assert not re.search(r"SECRET_KEY|PASSWORD", baked)

    # Migrations once, before the web process and the worker, as the tables' owner.
    for name in ("web", "worker"):
        assert services[name]["depends_on"] == {
            "migrate": {"condition": "service_completed_successfully"}
        }
    migrate = services["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"

    def user(service):
        return re.match(r"postgres://([^:@]+)@", service["environment"]["DATABASE_URL"])[1]

    owner = services["db"]["environment"]["POSTGRES_USER"]
    assert user(migrate) == owner
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        assert user(services[name]) == environment["DB_APP_ROLE"] != owner
        assert "SECRET_KEY" not in environment and "SECRET_KEY_FILE" in environment
    assert services["db"]["environment"]["DB_APP_ROLE"] == user(services["web"])

    # The proxy: TLS, the body cap the README explains, static files, health passed through.
    proxy = services["proxy"]
    assert (
        "./deploy/nginx/zrunva.conf.template:/etc/nginx/templates/default.conf.template:ro"
        in (proxy["volumes"])
    )
    tls = NGINX[NGINX.index("listen 443 ssl") :]
    server_cap = re.search(r"^    client_max_body_size (\d+)m;", tls, re.MULTILINE)
    documents = settings.DOCUMENTS_PER_APPLICATION * settings.DOCUMENT_MAX_BYTES
    assert server_cap and documents < int(server_cap[1]) * 1024 * 1024 <= 30 * 1024 * 1024
    assert f"client_max_body_size {settings.IMPORT_MAX_UPLOAD_MB}m;" in tls
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in tls
    assert "location /static/ {\n        alias /srv/static/;" in tls
    assert NGINX.count("location ~ ^/(healthz|readyz)$") == 2


def test_the_production_settings_pass_the_deployment_checks(tmp_path):
    env = production_env("web", tmp_path)
    check = [
        *container_command("web")[:1],
        "manage",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    ]
    done = subprocess.run(  # noqa: S603 - the checkout's entry point
        check, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout


def test_behind_the_proxy_sign_in_lockouts_count_the_clients_address(rf, settings):
    request = rf.post(
        "/accounts/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    assert get_client_ip_address(request) == "10.0.0.2"  # no proxy trusted: the socket's
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # BEHIND_TLS_PROXY
    assert get_client_ip_address(request) == "203.0.113.7"


def test_the_entry_point_refuses_an_unreadable_secret_a_secret_given_twice_and_a_bad_role(
    tmp_path,
):
    def run(*args, **env):
        return subprocess.run(  # noqa: S603 - the checkout's entry point
            [str(ENTRYPOINT), *args],
            env={"PATH": os.environ["PATH"], **env},
            capture_output=True,
            text=True,
            timeout=30,
        )

    missing = run("probe", SECRET_KEY_FILE=str(tmp_path / "missing"))
    assert missing.returncode != 0 and "No such file or directory" in missing.stderr
    (tmp_path / "key").write_text("k" * 60)
    twice = run("probe", SECRET_KEY="k" * 60, SECRET_KEY_FILE=str(tmp_path / "key"))
    assert twice.returncode == 64
    assert twice.stderr == "entrypoint: both SECRET_KEY and SECRET_KEY_FILE are set; keep one.\n"
    unknown = run("serve")
    assert unknown.returncode == 64
    assert unknown.stderr == (
        "entrypoint: unknown role 'serve' (web, worker, migrate, manage, probe).\n"
    )
