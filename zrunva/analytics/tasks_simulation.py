from django_tasks import task

from zrunva.analytics.models import SimulationRun
from zrunva.analytics.scenarios import simulation_execute


@task()
def simulation_run(run_id: int) -> dict:
    """Executed by `db_worker`: the simulation's page follows its stage and progress."""
    run = simulation_execute(run=SimulationRun.objects.get(pk=run_id))
    return {"id": run.pk, "status": run.status}
