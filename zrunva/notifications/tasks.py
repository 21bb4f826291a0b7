from django_tasks import task

from zrunva.notifications import services


@task()
def outbox_send() -> dict:
    """Send what is due; if messages wait for a later attempt, come back then."""
    counts = services.outbox_send()
    waiting = services.next_due()
    # The database backend can wait; the immediate one (tests) cannot, and need not.
    if waiting is not None and outbox_send.get_backend().supports_defer:
        outbox_send.using(run_after=waiting.next_attempt_at).enqueue()
    return counts
