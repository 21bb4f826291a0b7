from django_tasks import task

from zrunva.analytics.aggregates import refresh_aggregates


@task()
def aggregates_refresh(reason: str) -> dict:
    """Executed by `db_worker` after an eligibility run or a payroll: the dashboards' tables
    rebuilt (on the worker, so the run or payroll that asked for it ends without waiting)."""
    return refresh_aggregates(reason=reason).rows
