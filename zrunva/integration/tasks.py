from django_tasks import task

from zrunva.integration.imports import import_execute
from zrunva.integration.models import Import
from zrunva.integration.quality import quality_snapshot


@task()
def import_run(import_id: int) -> dict:
    """Executed by `db_worker`: the import's page follows its stage and progress."""
    return import_execute(job=Import.objects.get(pk=import_id)).summary


@task()
def linkage_run(run_id: int) -> dict:
    """Executed by `db_worker`: the run's page follows its stage and progress."""
    from zrunva.integration.linkage import linkage_execute
    from zrunva.integration.models import LinkageRun

    return linkage_execute(run=LinkageRun.objects.get(pk=run_id)).summary


@task()
def quality_snapshot_task(on: str | None = None) -> int:
    """The daily data-quality counts, for a scheduler that enqueues tasks rather than running
    commands (`quality_snapshot_task.enqueue()`); `on` is an ISO date, today if None."""
    from datetime import date

    return quality_snapshot(on=date.fromisoformat(on) if on else None)
