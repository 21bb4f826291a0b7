"""Liveness and readiness (zrunva.core.health) and the worker's heartbeat (core.heartbeat)."""

import copy
import time
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.utils import timezone
from health_check import checks
from health_check.checks import Database
from health_check.exceptions import ServiceUnavailable

from zrunva.accounts.choices import Role
from zrunva.core.health import MigrationsApplied, WorkerHeartbeat, heartbeat_settings_check
from zrunva.core.heartbeat import Heartbeat, heartbeat_end, heartbeat_prune, heartbeat_record
from zrunva.core.models import WorkerHeartbeat as HeartbeatRow

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def beat(worker_id="w1", *, ago=timedelta(0)):
    now = timezone.now() - ago
    return HeartbeatRow.objects.create(worker_id=worker_id, started_at=now, beat_at=now)


def ready(client):
    response = client.get("/readyz", HTTP_ACCEPT="application/json")
    return response.status_code, response.json()


def test_liveness_answers_without_the_database(client):
    # No django_db mark: any query would fail the test.
    response = client.get("/healthz", HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json() == {}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_when_every_check_passes(client):
    beat()
    status, body = ready(client)
    assert status == 200
    assert body == {
        "Database(alias='default')": "OK",
        "MigrationsApplied(alias='default')": "OK",
        "WorkerHeartbeat()": "OK",
        "OutboxBacklog()": "OK",
    }


@pytest.mark.django_db
def test_not_ready_without_a_worker_and_the_answer_tells_no_internals(client):
    status, body = ready(client)
    assert status == 503
    assert body["WorkerHeartbeat()"] == (
        "Unavailable: No background worker has given a sign of life recently."
    )
    assert body["Database(alias='default')"] == "OK"
    text = client.get("/readyz", HTTP_ACCEPT="text/plain").content.decode()
    settings_dict = connections["default"].settings_dict
    for internal in (settings_dict["NAME"], settings_dict["USER"] or "", "Traceback"):
        assert not internal or internal not in text


@pytest.mark.django_db
@override_settings(WORKER_HEARTBEAT_MAX_AGE_SECONDS=60)
def test_a_stale_heartbeat_is_no_sign_of_life():
    beat(ago=timedelta(seconds=61))
    with pytest.raises(ServiceUnavailable, match="sign of life"):
        WorkerHeartbeat().check()
    beat("w2", ago=timedelta(seconds=50))
    WorkerHeartbeat().check()


@pytest.mark.django_db
def test_not_ready_while_a_migration_waits():
    MigrationsApplied().check()
    recorder = MigrationRecorder(connections["default"])
    recorder.migration_qs.filter(app="core", name="0002_worker_heartbeat").delete()
    with pytest.raises(ServiceUnavailable, match="Migrations are waiting to be applied."):
        MigrationsApplied().check()


@pytest.mark.django_db
def test_the_database_check_fails_when_the_database_does_not_answer(monkeypatch):
    Database().run()
    default = connections["default"]
    unreachable = copy.deepcopy(default.settings_dict)
    if default.vendor == "sqlite":
        unreachable["NAME"] = "/nonexistent/zrunva/db.sqlite3"
    else:
        unreachable["NAME"] = "zrunva_deploy_missing"
    # The check's own code against a server that refuses the connection.
    monkeypatch.setattr(checks, "connections", {"default": type(default)(unreachable)})
    with pytest.raises(ServiceUnavailable) as failed:
        Database().run()
    assert unreachable["NAME"] not in str(failed.value)  # the answer names no database


@pytest.mark.django_db
def test_probes_are_not_audited_nor_redirected_to_a_second_factor(login_as, settings):
    settings.MFA_REQUIRED = True
    beat()
    admin = login_as(Role.ADMIN)  # must give a second factor before any page
    before = LogEntry.objects.count()
    assert admin.get("/registry/").status_code == 302
    assert admin.get("/healthz").status_code == 200
    assert admin.get("/readyz").status_code == 200
    assert LogEntry.objects.count() == before


@override_settings(SECURE_SSL_REDIRECT=True)
def test_probes_over_plain_http_are_not_redirected(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/en/portal/").status_code == 301


@pytest.mark.django_db
def test_heartbeat_rows_are_recorded_ended_and_pruned():
    started = timezone.now()
    heartbeat_record(worker_id="w1", started_at=started)
    first = HeartbeatRow.objects.get(worker_id="w1")
    heartbeat_record(worker_id="w1", started_at=timezone.now())
    again = HeartbeatRow.objects.get(worker_id="w1")
    assert again.started_at == started and again.beat_at >= first.beat_at
    beat("killed-yesterday", ago=timedelta(days=1, minutes=1))
    assert heartbeat_prune() == 1
    heartbeat_end(worker_id="w1")
    assert not HeartbeatRow.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_heartbeat_thread_beats_until_stopped():
    heartbeat = Heartbeat(worker_id="thread", seconds=0.05)
    heartbeat.start()
    try:
        beats = set()
        deadline = time.monotonic() + 10
        while len(beats) < 2 and time.monotonic() < deadline:
            row = HeartbeatRow.objects.filter(worker_id="thread").first()
            if row is not None:
                beats.add(row.beat_at)
            time.sleep(0.02)
        assert len(beats) >= 2, "the heartbeat did not beat twice"
    finally:
        heartbeat.stop()
    assert not HeartbeatRow.objects.filter(worker_id="thread").exists()


def test_the_heartbeat_needs_a_positive_interval():
    with pytest.raises(ValueError, match="must be positive, not 0"):
        Heartbeat(worker_id="w", seconds=0)


@override_settings(TASKS=DB_TASKS)
def test_the_worker_command_refuses_a_bad_heartbeat_interval():
    with pytest.raises(CommandError, match="'0': give a positive number of seconds."):
        call_command("worker", "--heartbeat-seconds", "0")
    with pytest.raises(CommandError, match="'soon' is not a number of seconds."):
        call_command("worker", "--heartbeat-seconds", "soon")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(TASKS=DB_TASKS)
def test_the_worker_command_runs_db_worker_and_leaves_no_heartbeat_when_it_stops():
    call_command(
        "worker",
        "--batch",
        "--no-startup-delay",
        "--worker-id",
        "batch-1",
        "--heartbeat-seconds",
        "0.05",
        verbosity=0,
    )
    assert not HeartbeatRow.objects.exists()


def test_the_heartbeats_maximum_age_must_hold_two_beats(settings):
    settings.WORKER_HEARTBEAT_SECONDS = 15
    settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS = 30
    assert heartbeat_settings_check(None) == []
    settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS = 20
    (error,) = heartbeat_settings_check(None)
    assert error.msg == (
        "WORKER_HEARTBEAT_MAX_AGE_SECONDS (20) must be at least twice "
        "WORKER_HEARTBEAT_SECONDS (15), which must be positive."
    )
