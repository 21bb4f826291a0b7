"""The batch-job base: what every long piece of work shares, so that eligibility runs and, next,
payrolls, imports, record linkage and reform simulations are configurations of it rather than
copies of `programmes/runs.py` (../shared/STYLE.md, "Shared kits").

A job is a row (`Job`: status, stage, progress, summary with the stages' timings, error, when
it started and finished) executed by the background worker (`django-tasks`, `db_worker`) or a
command, through `job_execute`:

- the work reports its **stages** (`JobContext.stage("reading", 5)`): the row shows the stage
  and the percentage, so the job's page (`templates/jobs/progress.html`, polled with htmx) and
  its API (`zrunva.core.api.JobOut`) follow it, and the stage's time is kept for the summary;
- the work writes its results and marks the job **done in the same transaction**
  (`JobContext.done(summary)`), after checking under a lock that no other execution finished it
  first (`JobContext.finished_elsewhere()`): executing a job twice writes once;
- an exception marks it **failed** with the error, and leaves nothing half-written (the work's
  transaction rolls back);
- to **resume** a failed or interrupted job, execute it again: a job done is left as it is, and
  the work, being idempotent, starts over from what is stored;
- an execution first **claims** the job in one conditional update (queued, failed, or running
  with its execution gone): two executions at once (a retried task while the first is alive,
  a command beside the worker) cannot both do the work; the second is refused with `JobBusy`.

On PostgreSQL an execution holds a session advisory lock on its job while it runs; the server
releases it when the execution's connection ends, so a job marked running whose lock is free
was interrupted (its worker killed, its machine lost) and is resumed at once by executing it
again (`job_interrupted`; the failure drill in payments/tests/test_drill_worker.py). Elsewhere (SQLite,
one machine) a running job is taken as interrupted after `STALE`. The lock needs the session:
behind a connection pooler in transaction mode, point the worker at PostgreSQL directly.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

Progress = Callable[[str, int], None]

# A job running for longer than this is taken as interrupted (its worker or command stopped
# without marking it failed) and may be executed again. The longest job measured, an import of
# a million rows, takes about 16 minutes (bench/README.md).
STALE = timedelta(hours=6)


class JobBusy(ValidationError):
    """Another execution of the job is running (a `ValidationError`, so commands and views show
    its message as they show any refusal)."""


# Sent once a job's work has finished and marked it done (not for a job found already done):
# `sender` is the job's class, `job` the job. Higher apps refresh what they derive from it
# (the analytics app its dashboards' tables after eligibility runs).
job_done = Signal()


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """A batch job's row. A concrete job adds what it works on (a date, an area, a file) and who
    started it, and names its stages' labels in `STAGES` for the progress page."""

    STAGES: dict[str, Any] = {}
    # The task (dotted path) that executes a job of this kind given its pk: `manage.py
    # jobs_resume` queues it again for a job whose execution was interrupted.
    TASK = ""

    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress, %"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)

    @property
    def stage_label(self) -> str:
        return str(self.STAGES.get(self.stage, self.stage))


def _lock_key(job: Job) -> str:
    return f"{job._meta.db_table}:{job.pk}"


def _lock_held() -> bool:
    return connection.vendor == "postgresql"


def _try_lock(job: Job) -> bool:
    """Take the job's execution lock (PostgreSQL) without waiting; False if another session
    holds it. Elsewhere there is no lock to take."""
    if not _lock_held():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [_lock_key(job)])
        return cursor.fetchone()[0]


def _unlock(job: Job) -> None:
    if _lock_held():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [_lock_key(job)])


def job_interrupted(job: Job) -> bool:
    """Whether a job marked running has lost its execution: on PostgreSQL no session holds its
    execution lock; elsewhere it has run for longer than `STALE`."""
    job.refresh_from_db(fields=["status", "started_at"])
    if job.status != JobStatus.RUNNING:
        return False
    if job.started_at is None:
        return True
    if not _lock_held():
        return job.started_at < timezone.now() - STALE
    if not _try_lock(job):
        return False
    _unlock(job)
    return True


def job_requeue(job: Job) -> bool:
    """Queue an interrupted job again (`job_interrupted`): marked queued and its `TASK`
    enqueued, in one transaction; False, and nothing done, if it is not running or its
    execution is alive. Checked under the job's execution lock (PostgreSQL), so no execution
    can claim it meanwhile."""
    from django.utils.module_loading import import_string

    if not type(job).TASK:
        raise ValueError(f"{type(job).__name__} names no TASK to queue it with")
    running = type(job).objects.filter(pk=job.pk, status=JobStatus.RUNNING)
    if not _lock_held():
        running = running.filter(Q(started_at__lt=timezone.now() - STALE) | Q(started_at=None))
    elif not _try_lock(job):
        return False
    try:
        with transaction.atomic():
            if not running.update(status=JobStatus.QUEUED, stage="", progress=0):
                return False
            import_string(type(job).TASK).enqueue(job.pk)
    finally:
        if _lock_held():
            _unlock(job)
    logger.warning("%s %s was interrupted: queued again", type(job).__name__, job.pk)
    return True


def job_set(job: Job, **fields) -> None:
    """Write some of a job's fields at once, outside the work's transaction when called outside
    it (the stage and progress are seen while the work runs)."""
    type(job).objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)


class JobContext:
    """What `job_execute` hands the work: stages, the done mark, the check for a finished job."""

    def __init__(self, job: Job, progress: Progress | None):
        self.job = job
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.started = time.monotonic()
        self._stage: str | None = None
        self._at = self.started
        self.marked = False  # this execution marked the job done (not another one)

    def _lap(self) -> None:
        now = time.monotonic()
        if self._stage:
            self.timings[self._stage] = round(now - self._at, 2)
        self._at = now

    def stage(self, name: str, percent: int) -> None:
        """The work has reached stage `name`, `percent` of the way."""
        self._lap()
        self._stage = name
        job_set(self.job, stage=name, progress=percent)
        if self.progress:
            self.progress(name, percent)

    def finished_elsewhere(self) -> bool:
        """Whether another execution marked the job done; locks its row until the transaction
        ends, so the check and the work's writes are one step. Call inside the transaction."""
        current = type(self.job).objects.select_for_update().get(pk=self.job.pk)
        if current.status == JobStatus.DONE:
            self.job.refresh_from_db()
            return True
        return False

    def done(self, summary: dict) -> None:
        """Mark the job done with its summary, the stages' timings and its seconds added. Call
        in the transaction that writes the results."""
        self._lap()
        self._stage = None
        self.marked = True
        summary = summary | {
            "timings": self.timings,
            "seconds": round(time.monotonic() - self.started, 1),
        }
        job_set(
            self.job,
            status=JobStatus.DONE,
            stage="done",
            progress=100,
            summary=summary,
            finished_at=timezone.now(),
        )


def job_execute(
    job: Job, work: Callable[[JobContext], None], *, progress: Progress | None = None
) -> Job:
    """Execute a queued, failed or interrupted job; a job already done is left as it is, one
    another execution is running is refused (`JobBusy`). `work` reports its stages and marks
    the job done (`JobContext`); if it raises, the job is marked failed with the error, and the
    exception goes on to the caller (the worker logs it)."""
    job.refresh_from_db()
    if job.status == JobStatus.DONE:
        return job
    # The execution lock is held for as long as this execution runs (released below, or by
    # the server when the connection ends), whatever transactions the work opens and closes.
    locked = not connection.in_atomic_block and _try_lock(job)
    try:
        return _execute(job, work, progress, locked=locked)
    finally:
        if locked:
            _unlock(job)


def _busy(job: Job) -> JobBusy:
    return JobBusy(
        _("%(job)s is already running (since %(since)s): wait for it to finish.")
        % {
            "job": f"{job._meta.verbose_name} #{job.pk}",
            "since": timezone.localtime(job.started_at).strftime("%Y-%m-%d %H:%M"),
        }
    )


def _execute(job: Job, work: Callable[[JobContext], None], progress, *, locked: bool) -> Job:
    now = timezone.now()
    claimable = (
        Q(status__in=[JobStatus.QUEUED, JobStatus.FAILED])
        | Q(status=JobStatus.RUNNING, started_at__lt=now - STALE)
        | Q(status=JobStatus.RUNNING, started_at__isnull=True)
    )
    if locked and _lock_held():
        # This execution holds the job's lock, so no other execution is alive: a job marked
        # running was interrupted and is resumed now.
        claimable |= Q(status=JobStatus.RUNNING)
    elif _lock_held() and not connection.in_atomic_block:
        # Another session holds the lock: its execution is alive, whatever its age.
        job.refresh_from_db()
        if job.status == JobStatus.DONE:
            return job
        raise _busy(job)
    claimed = (
        type(job)
        .objects.filter(claimable, pk=job.pk)
        .update(status=JobStatus.RUNNING, started_at=now, error="")
    )
    job.refresh_from_db()
    if not claimed:
        if job.status == JobStatus.DONE:  # another execution finished it meanwhile
            return job
        raise _busy(job)
    context = JobContext(job, progress)
    try:
        work(context)
    except Exception as error:
        logger.exception("%s %s failed", type(job).__name__, job.pk)
        with transaction.atomic():
            type(job).objects.filter(pk=job.pk).exclude(status=JobStatus.DONE).update(
                status=JobStatus.FAILED, error=str(error)[:2000], finished_at=timezone.now()
            )
        job.refresh_from_db()
        raise
    job.refresh_from_db()
    if job.status != JobStatus.DONE:
        job_set(
            job,
            status=JobStatus.FAILED,
            error="The work ended without marking the job done.",
            finished_at=timezone.now(),
        )
        raise RuntimeError(f"{type(job).__name__} {job.pk}: the work did not mark it done")
    if progress:
        progress("done", 100)
    if context.marked:
        # A receiver's failure is logged, never raised: the job is done and stays done.
        for receiver, result in job_done.send_robust(sender=type(job), job=job):
            if isinstance(result, Exception):
                logger.error(
                    "%s after %s %s failed: %r", receiver, type(job).__name__, job.pk, result
                )
    return job


@contextmanager
def progress_bar(*, label: str = "", quiet: bool = False) -> Iterator[Progress]:
    """A terminal progress bar for a job a command executes: yields the `progress` callback
    `job_execute` takes; the bar shows the stage (after `label`, if given) and the percentage."""
    from tqdm import tqdm

    with tqdm(total=100, unit="%", disable=quiet) as bar:

        def progress(stage: str, percent: int) -> None:
            bar.set_description(f"{label}: {stage}" if label else stage)
            bar.update(max(0, percent - bar.n))

        yield progress
