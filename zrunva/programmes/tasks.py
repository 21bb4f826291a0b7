from django_tasks import task

from zrunva.programmes.models import Run
from zrunva.programmes.runs import run_execute


@task()
def eligibility_run(run_id: int) -> dict:
    """Executed by `db_worker`: the run's page follows its stage and progress."""
    run = run_execute(run=Run.objects.get(pk=run_id))
    return run.summary
