from django_tasks import task

from zrunva.notifications import services


@task()
def outbox_send() -> dict:
    """Send what is due; if messages wait for a later attempt, come back then."""
    counts = services.outbox_send()
    waiting = services.next_due()
    if waiting is not None:
        outbox_send.using(run_after=waiting.next_attempt_at).enqueue()
    return counts
