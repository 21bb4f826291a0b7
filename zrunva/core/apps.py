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
