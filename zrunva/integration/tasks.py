from django_tasks import task

from zrunva.integration.quality import quality_snapshot


@task()
def quality_snapshot_task(on: str | None = None) -> int:
    """The daily data-quality counts, for a scheduler that enqueues tasks rather than running
    commands (`quality_snapshot_task.enqueue()`); `on` is an ISO date, today if None."""
    from datetime import date

    return quality_snapshot(on=date.fromisoformat(on) if on else None)
