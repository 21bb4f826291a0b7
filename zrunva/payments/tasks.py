from django_tasks import task

from zrunva.payments.models import Payroll
from zrunva.payments.payroll import payroll_execute


@task()
def payroll_prepare(payroll_id: int) -> dict:
    """Executed by `db_worker`: the payroll's page follows its stage and progress."""
    payroll = payroll_execute(payroll=Payroll.objects.get(pk=payroll_id))
    return payroll.summary
