from django_tasks import task

from zrunva.integration.imports import import_execute
from zrunva.integration.models import Import


@task()
def import_run(import_id: int) -> dict:
    """Executed by `db_worker`: the import's page follows its stage and progress."""
    return import_execute(job=Import.objects.get(pk=import_id)).summary
