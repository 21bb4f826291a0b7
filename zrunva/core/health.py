"""Liveness and readiness, on django-health-check.

- `/healthz` (liveness): the process answers. It runs no check: a database outage must not make
  the orchestrator restart every web process, which would not help and would lose requests.
- `/readyz` (readiness): the checks registered in the `readiness` slot (core.extensions): here
  the database, the migrations and the worker's heartbeat; `notifications` adds the outbox's
  backlog. 503 until all pass.

The answers name each check and its state, nothing else: a failure says what is wrong in words
that help an operator and not a stranger (no host, no counts, no migration names). The views
are plain GETs outside the language prefixes: no session is read, nothing is audited or
throttled, and the second-factor middleware lets them through.
"""

import dataclasses
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import checks
from django.db import Error as DatabaseError
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from zrunva.core import extensions
from zrunva.core.heartbeat import heartbeat_recent


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration this code knows is applied: a new release's processes wait for the
    one-shot `migrate` before they take traffic."""

    alias: str = "default"

    async def run(self):
        # On the request's own thread and connection (thread_sensitive), closed with it.
        await sync_to_async(self.check)()

    def check(self) -> None:
        try:
            executor = MigrationExecutor(connections[self.alias])
            unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as e:
            raise ServiceUnavailable("The database did not answer.") from e
        if unapplied:
            raise ServiceUnavailable("Migrations are waiting to be applied.")


@dataclasses.dataclass
class WorkerHeartbeat(HealthCheck):
    """A background worker (`manage.py worker`) gave a sign of life within
    WORKER_HEARTBEAT_MAX_AGE_SECONDS: without one, no message is sent and no run progresses."""

    async def run(self):
        await sync_to_async(self.check)()

    def check(self) -> None:
        max_age = timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS)
        try:
            alive = heartbeat_recent(max_age=max_age)
        except DatabaseError as e:
            raise ServiceUnavailable("The database did not answer.") from e
        if not alive:
            raise ServiceUnavailable("No background worker has given a sign of life recently.")


@checks.register(checks.Tags.compatibility)
def heartbeat_settings_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """One late beat must not make the site "not ready": the maximum age holds two beats."""
    every = settings.WORKER_HEARTBEAT_SECONDS
    max_age = settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS
    if every <= 0 or max_age < 2 * every:
        return [
            checks.Error(
                f"WORKER_HEARTBEAT_MAX_AGE_SECONDS ({max_age:g}) must be at least twice "
                f"WORKER_HEARTBEAT_SECONDS ({every:g}), which must be positive.",
                id="zrunva.E001",
            )
        ]
    return []


class LivenessView(HealthCheckView):
    checks = ()


class ReadinessView(HealthCheckView):
    @property
    def checks(self):
        return extensions.values("readiness")

    async def get(self, request, *args, **kwargs):
        response = await super().get(request, *args, **kwargs)
        # The library answers 500 to a failed check; "not ready" is 503 (Service Unavailable),
        # which load balancers read as "try another", not as a bug in the application.
        if response.status_code == 500:
            response.status_code = 503
        return response
