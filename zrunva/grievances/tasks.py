from django_tasks import task

from zrunva.grievances import services


@task()
def grievances_escalate() -> dict:
    """Escalate the grievances not answered by their due date; run daily (the worker has no
    clock of its own: a timer enqueues it, or runs `manage.py escalate_grievances`)."""
    return services.grievances_escalate()
