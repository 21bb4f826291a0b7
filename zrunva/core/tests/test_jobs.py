"""The batch-job base (zrunva.core.jobs), with an eligibility run as the job."""

import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.core.jobs import STALE, JobBusy, JobStatus, job_done, job_execute
from zrunva.programmes.models import Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(make_user):
    return Run.objects.create(on=date(2026, 11, 1), started_by=make_user(Role.ADMIN))


def test_stages_progress_and_timings_reach_the_row_and_the_summary(run):
    seen = []

    def work(job):
        job.stage("reading", 5)
        assert Run.objects.get(pk=run.pk).stage == "reading"  # visible while it works
        job.stage("writing", 70)
        with transaction.atomic():
            assert not job.finished_elsewhere()
            job.done({"written": 3})

    job_execute(run, work, progress=lambda stage, percent: seen.append((stage, percent)))
    run.refresh_from_db()
    assert (run.status, run.stage, run.progress) == (JobStatus.DONE, "done", 100)
    assert run.summary["written"] == 3 and set(run.summary["timings"]) == {"reading", "writing"}
    assert run.summary["seconds"] >= 0 and run.finished_at >= run.started_at
    assert seen == [("reading", 5), ("writing", 70), ("done", 100)]
    assert str(run.stage_label) == "done" and not run.is_active


def test_a_failure_is_recorded_and_the_job_resumes_when_executed_again(run):
    def broken(job):
        job.stage("reading", 5)
        raise ValueError("the registry is unreachable")

    with pytest.raises(ValueError):
        job_execute(run, broken)
    run.refresh_from_db()
    assert (run.status, run.error) == (JobStatus.FAILED, "the registry is unreachable")

    job_execute(run, lambda job: job.done({}))
    run.refresh_from_db()
    assert (run.status, run.error) == (JobStatus.DONE, "")


def test_a_job_done_is_not_executed_again(run):
    job_execute(run, lambda job: job.done({"first": True}))
    called = []
    job_execute(run, lambda job: called.append(job))
    run.refresh_from_db()
    assert called == [] and run.summary["first"] is True


def test_work_that_never_marks_the_job_done_fails_it(run):
    with pytest.raises(RuntimeError, match="did not mark it done"):
        job_execute(run, lambda job: job.stage("reading", 5))
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED and "without marking" in run.error


def test_another_execution_that_finished_first_is_seen(run):
    def work(job):
        Run.objects.filter(pk=run.pk).update(status=JobStatus.DONE, summary={"other": 1})
        with transaction.atomic():
            assert job.finished_elsewhere()

    job_execute(run, work)
    run.refresh_from_db()
    assert run.summary == {"other": 1}


def test_a_job_another_execution_is_running_is_refused_until_it_is_stale(run):
    Run.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    called = []
    with pytest.raises(JobBusy, match=f"#{run.pk} is already running"):
        job_execute(run, lambda job: called.append(job))
    assert called == []
    run.refresh_from_db()
    assert run.status == JobStatus.RUNNING  # the running execution's row is left alone

    # Its worker stopped long ago: the job is taken as interrupted and executed again.
    Run.objects.filter(pk=run.pk).update(started_at=timezone.now() - STALE - timedelta(minutes=1))
    job_execute(run, lambda job: job.done({"resumed": True}))
    run.refresh_from_db()
    assert (run.status, run.summary["resumed"]) == (JobStatus.DONE, True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_executions_at_once_do_the_work_once(make_user):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    run = Run.objects.create(on=date(2026, 11, 1), started_by=make_user(Role.ADMIN))
    barrier = threading.Barrier(2)
    worked, outcomes = [], []

    def work(job):
        worked.append(threading.get_ident())
        time.sleep(0.5)  # the other execution tries its claim while this one works
        with transaction.atomic():
            if not job.finished_elsewhere():
                job.done({})

    def execute():
        try:
            barrier.wait()
            job_execute(Run.objects.get(pk=run.pk), work)
            outcomes.append("done")
        except JobBusy:
            outcomes.append("busy")
        finally:
            connection.close()

    threads = [threading.Thread(target=execute) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(worked) == 1
    assert sorted(outcomes) == ["busy", "done"]
    assert Run.objects.get(pk=run.pk).status == JobStatus.DONE


def test_job_done_is_sent_once_by_the_execution_that_marked_it(run):
    seen = []

    def receiver(sender, *, job, **kwargs):
        seen.append(job.pk)
        raise RuntimeError("a receiver that fails")  # logged, not raised: the job stays done

    job_done.connect(receiver, sender=Run, dispatch_uid="test-job-done")
    try:
        job_execute(run, lambda job: job.done({}))
        job_execute(run, lambda job: job.done({}))  # done already: nothing executed, nothing sent
        other = Run.objects.create(on=run.on, started_by=run.started_by)

        def finished_by_another(job):
            Run.objects.filter(pk=other.pk).update(status=JobStatus.DONE)
            with transaction.atomic():
                assert job.finished_elsewhere()

        job_execute(other, finished_by_another)
    finally:
        job_done.disconnect(dispatch_uid="test-job-done", sender=Run)
    assert seen == [run.pk]
    run.refresh_from_db()
    assert run.status == JobStatus.DONE


def test_jobs_resume_queues_an_interrupted_job_again_once(run, settings):
    """`manage.py jobs_resume` (cron): a running job whose execution is gone is marked queued
    and its task queued, once; on SQLite "gone" means older than STALE (on PostgreSQL, its lock
    free: payments/tests/test_drill_worker.py)."""
    import io

    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    Run.objects.filter(pk=run.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now() - STALE - timedelta(minutes=1)
    )
    listed = io.StringIO()
    call_command("jobs_resume", "--dry-run", stdout=listed)
    assert f"programmes.Run #{run.pk}: interrupted" in listed.getvalue()
    assert not DBTaskResult.objects.exists()
    out = io.StringIO()
    call_command("jobs_resume", stdout=out)
    assert "1 interrupted job(s) queued again." in out.getvalue()
    run.refresh_from_db()
    assert run.status == JobStatus.QUEUED
    task = DBTaskResult.objects.get()
    assert task.task_path == "zrunva.programmes.tasks.eligibility_run"
    assert task.args_kwargs["args"] == [run.pk]
    call_command("jobs_resume", stdout=out)  # queued, not running: left alone
    assert DBTaskResult.objects.count() == 1
    if connection.vendor == "sqlite":
        Run.objects.filter(pk=run.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
        call_command("jobs_resume", stdout=out)
        run.refresh_from_db()
        assert run.status == JobStatus.RUNNING and DBTaskResult.objects.count() == 1
