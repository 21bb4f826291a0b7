"""The background worker's heartbeat: django-tasks-db's `db_worker` leaves no trace while it
waits for work, so readiness could not tell a live worker from a dead one. `manage.py worker`
runs `db_worker` with a `Heartbeat` beside it: a thread of the worker's process that writes
the worker's `WorkerHeartbeat` row every few seconds (from its own database connection, so a
task running for an hour does not silence it) and a clean stop that deletes the row.
"""

import logging
import threading
from datetime import datetime, timedelta

from django.db import Error as DatabaseError
from django.db import connection
from django.utils import timezone

from zrunva.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# A row this old belongs to a worker killed without stopping (SIGKILL, a lost machine).
FORGOTTEN_AFTER = timedelta(days=1)


def heartbeat_record(*, worker_id: str, started_at: datetime) -> None:
    """The worker `worker_id` is alive now."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"beat_at": now},
        create_defaults={"started_at": started_at, "beat_at": now},
    )


def heartbeat_end(*, worker_id: str) -> None:
    """The worker stopped: readiness no longer counts it."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def heartbeat_prune() -> int:
    """Forget the rows of workers that stopped without saying so, long ago."""
    deleted, _ = WorkerHeartbeat.objects.filter(
        beat_at__lt=timezone.now() - FORGOTTEN_AFTER
    ).delete()
    return deleted


def heartbeat_recent(*, max_age: timedelta) -> bool:
    """Whether some worker gave a sign of life within `max_age`."""
    return WorkerHeartbeat.objects.filter(beat_at__gte=timezone.now() - max_age).exists()


class Heartbeat:
    """Records `worker_id`'s heartbeat every `seconds` from a daemon thread until `stop()`.

    A beat the database refuses (restarting, locked) is logged and tried again at the next
    one, on a new connection: the worker itself goes on, and readiness shows the gap."""

    def __init__(self, *, worker_id: str, seconds: float):
        if seconds <= 0:
            raise ValueError(f"The heartbeat's interval must be positive, not {seconds}.")
        self.worker_id = worker_id
        self.seconds = seconds
        self.started_at = timezone.now()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-heartbeat", daemon=True)

    def start(self) -> None:
        heartbeat_prune()
        self._thread.start()

    def stop(self) -> None:
        """Stop beating and delete the row, so readiness sees the worker gone at once."""
        self._stopping.set()
        self._thread.join(timeout=self.seconds + 5)
        try:
            heartbeat_end(worker_id=self.worker_id)
        except DatabaseError:
            # The row goes stale instead; readiness stops counting it after its maximum age.
            logger.warning("The stopped worker's heartbeat was not deleted.", exc_info=True)

    def _run(self) -> None:
        try:
            while True:
                try:
                    heartbeat_record(worker_id=self.worker_id, started_at=self.started_at)
                except DatabaseError:
                    logger.warning("The worker's heartbeat was not recorded.", exc_info=True)
                    connection.close()
                if self._stopping.wait(self.seconds):
                    return
        finally:
            # This thread's own connection (connections are per thread).
            connection.close()
