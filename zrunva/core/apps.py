from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zrunva.core"
    verbose_name = _("Core")

    def ready(self):
        from zrunva.core import text

        text.install()

        from health_check.checks import Database

        from zrunva.core.extensions import register
        from zrunva.core.health import MigrationsApplied, WorkerHeartbeat

        # What /readyz checks (core.health); higher apps add theirs to the same slot.
        register("readiness", "database", Database, order=10)
        register("readiness", "migrations", MigrationsApplied, order=20)
        register("readiness", "worker", WorkerHeartbeat, order=30)

        from zrunva.core import metrics, partitions

        # The partitioned tables' gauges (the apps register their tables).
        metrics.register("partitions", partitions.metrics, order=95)

        from django.core.signals import request_finished
        from django_tasks.signals import task_finished, task_started

        from zrunva.core import logs

        # The worker's log lines for a task carry `task-<id>` as their request id.
        task_started.connect(logs.task_started, dispatch_uid="core.logs.task_started")
        task_finished.connect(logs.task_finished, dispatch_uid="core.logs.task_finished")
        request_finished.connect(logs.request_finished, dispatch_uid="core.logs.request_finished")
