"""The batch-job base (zrunva.core.jobs), with an eligibility run as the job."""

from datetime import date

import pytest
from django.db import transaction

from zrunva.accounts.choices import Role
from zrunva.core.jobs import JobStatus, job_execute
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
