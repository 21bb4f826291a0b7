"""Failure drill (issue 19, item 7): the worker killed in the middle of an eligibility run and of
a payroll's preparation, on PostgreSQL, with a real `manage.py db_worker`.

The kill is made deterministic without sleeps: the test holds a SHARE lock on the audit table,
so the worker, having written all its decisions (or payment lines) in its transaction and
marked the job done there, waits at its last step, the audit row of the job; the test sees it
waiting (`pg_stat_activity`), SIGKILLs the worker, lets the lock go and waits for the server
to end the orphaned session, which rolls its transaction back. The job is then still marked
running, but no session holds its execution lock (`core.jobs.job_interrupted`): queued again,
a new worker resumes it at once (not after `STALE`), and it is written once."""

import io
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.applications.models import Enrolment
from zrunva.applications.tests.factories import enrolled_application
from zrunva.assessment.population import assessments_generate
from zrunva.core.jobs import JobStatus, job_interrupted, job_requeue
from zrunva.payments import services
from zrunva.payments.models import Payment, Payroll
from zrunva.payments.tests.factories import IBAN
from zrunva.programmes.models import Decision, Run
from zrunva.programmes.runs import run_execute, run_start
from zrunva.registry import population

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL only (advisory locks)"
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[3]
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
WAIT = 60  # seconds: a bound for a step on a loaded machine, not a pause


def _dsn() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgresql://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def _worker(*extra: str) -> subprocess.Popen:
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": _dsn(),
    }
    return subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _until(check, what: str):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def _kill_at_the_audit_row(enqueue) -> None:
    """Run the task on a worker, and kill the worker when it waits to write the job's audit
    row (all else written, uncommitted); return once its session has ended."""
    blocker = psycopg.connect(_dsn())
    # pg_stat_activity is read as of a transaction's first look: watch from autocommit.
    watcher = psycopg.connect(_dsn(), autocommit=True)
    worker = None
    try:
        blocker.execute("LOCK TABLE auditlog_logentry IN SHARE MODE")
        enqueue()
        worker = _worker()

        def waiting():
            row = watcher.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO %auditlog_logentry%'"
            ).fetchone()
            return row and row[0]

        try:
            pid = _until(waiting, "the worker to wait at the audit row")
        except AssertionError:
            activity = watcher.execute(
                "SELECT pid, datname, state, wait_event_type, wait_event, left(query, 100)"
                " FROM pg_stat_activity WHERE backend_type = 'client backend'"
            ).fetchall()
            worker.kill()
            raise AssertionError((activity, worker.communicate()[1].decode()[-3000:])) from None
        worker.send_signal(signal.SIGKILL)
        worker.wait(WAIT)
        blocker.rollback()  # the lock goes; the orphaned session ends and rolls back
        _until(
            lambda: (
                not blocker.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]
                ).fetchone()
                or blocker.rollback()
            ),
            "the killed worker's session to end",
        )
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
            worker.wait()
        blocker.close()
        watcher.close()


def _resume() -> None:
    """Queue the interrupted job again as the operator's cron does (`manage.py jobs_resume`),
    and let a new worker execute what is queued."""
    out = io.StringIO()
    call_command("jobs_resume", stdout=out)
    assert "1 interrupted job(s) queued again." in out.getvalue(), out.getvalue()
    worker = _worker("--batch")
    try:
        _, errors = worker.communicate(timeout=WAIT * 2)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, errors.decode()[-2000:]


def test_an_eligibility_run_killed_on_the_worker_resumes_and_decides_once(make_user, settings):
    settings.TASKS = DB_TASKS
    from zrunva.programmes.tasks import eligibility_run

    admin = make_user(Role.ADMIN)
    population.population_generate(households=150, seed=19, progress=False)
    assessments_generate(assessor=admin, seed=19, share=0.9)
    run = run_start(actor=admin, on=timezone.localdate(), enqueue=False)

    _kill_at_the_audit_row(lambda: eligibility_run.enqueue(run.pk))
    run.refresh_from_db()
    # The stages after "deciding" were written in the transaction that rolled back.
    assert run.status == JobStatus.RUNNING and run.stage == "deciding"
    assert not Decision.objects.exists()  # its transaction rolled back whole
    assert job_interrupted(run)

    _resume()
    run.refresh_from_db()
    assert run.status == JobStatus.DONE, run.error
    decided = Decision.objects.count()
    assert decided > 0 and run.summary["changed"] > 0
    twice = (
        Decision.objects.values("programme", "household", "person", "period")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not twice.exists()
    # What is stored is what a run decides: a run now changes nothing.
    again = run_execute(run=run_start(actor=admin, on=timezone.localdate(), enqueue=False))
    assert again.summary["changed"] == 0 and Decision.objects.count() == decided
    assert Run.objects.filter(status=JobStatus.DONE).count() == 2


def test_a_payroll_killed_on_the_worker_resumes_and_pays_each_month_once(make_user, settings):
    from schwifty import IBAN as Iban

    settings.TASKS = DB_TASKS
    from zrunva.payments.tasks import payroll_prepare

    officer = make_user(Role.SSA_OFFICER)
    months = set()
    for number in range(3):
        enrolment = Enrolment.objects.get(application=enrolled_application())
        services.payment_account_set(
            actor=officer,
            person=enrolment.person,
            method="bank",
            iban=Iban.generate(
                "GE", bank_code=IBAN[4:6], account_code=f"{number + 1:016d}"
            ).compact,
            valid_from=enrolment.starts,
        )
        months.add(enrolment.starts)
    payroll = services.payroll_start(actor=officer, month=months.pop(), enqueue=False)

    _kill_at_the_audit_row(lambda: payroll_prepare.enqueue(payroll.pk))
    payroll.refresh_from_db()
    assert payroll.status == JobStatus.RUNNING and payroll.stage == "writing"
    assert not Payment.objects.exists()
    assert job_interrupted(payroll)

    _resume()
    payroll.refresh_from_db()
    assert payroll.status == JobStatus.DONE, payroll.error
    assert payroll.step == "prepared"
    lines = Payment.objects.filter(payroll=payroll)
    assert lines.count() == 3 == payroll.summary["lines"]
    twice = lines.values("enrolment", "month").annotate(n=Count("id")).filter(n__gt=1)
    assert not twice.exists()
    assert Payroll.objects.count() == 1
    assert settings.TASKS == DB_TASKS


def test_a_running_job_whose_execution_is_alive_is_busy_however_old(make_user):
    """The other side of the rule: a session holding the job's lock is a live execution, and
    `STALE` does not let a second one start beside it."""
    from zrunva.core.jobs import STALE, JobBusy, job_execute

    started = timezone.now() - STALE - timedelta(hours=1)
    run = Run.objects.create(
        on=timezone.localdate(),
        started_by=make_user(Role.ADMIN),
        status=JobStatus.RUNNING,
        started_at=started,
    )

    def work(job):
        with transaction.atomic():
            job.done({})

    execution = psycopg.connect(_dsn(), autocommit=True)
    try:
        execution.execute(
            "SELECT pg_advisory_lock(hashtextextended(%s, 0))", [f"{Run._meta.db_table}:{run.pk}"]
        )
        assert not job_interrupted(run)
        assert not job_requeue(run)
        with pytest.raises(JobBusy, match="already running"):
            job_execute(run, work)
    finally:
        execution.close()  # the execution's session ends
    _until(lambda: job_interrupted(run), "the lock to go with its session")
    assert job_execute(run, work).status == JobStatus.DONE
