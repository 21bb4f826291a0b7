import os
from argparse import ArgumentTypeError

from django.conf import settings
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from zrunva.core.heartbeat import Heartbeat


def positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a number of seconds.") from None
    if not 0 < seconds < float("inf"):
        raise ArgumentTypeError(f"{value!r}: give a positive number of seconds.")
    return seconds


class Command(DbWorkerCommand):
    help = (
        "Run the background worker (django-tasks-db's db_worker, with the same options) and "
        "record its heartbeat in the database every --heartbeat-seconds, for /readyz."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--heartbeat-seconds",
            type=positive_seconds,
            default=settings.WORKER_HEARTBEAT_SECONDS,
            help="How often the worker records that it is alive (default: %(default)s).",
        )
        # A production process: reloading on code changes is asked for, never assumed.
        parser.set_defaults(reload=False)

    def handle(self, *args, heartbeat_seconds: float, **options):
        # With --reload the parent process only watches files; the child runs the worker.
        if options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            return super().handle(*args, **options)
        heartbeat = Heartbeat(worker_id=options["worker_id"], seconds=heartbeat_seconds)
        heartbeat.start()
        try:
            return super().handle(*args, **options)
        finally:
            heartbeat.stop()
