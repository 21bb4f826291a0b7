from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GrievancesConfig(AppConfig):
    name = "zrunva.grievances"
    verbose_name = _("Grievances and appeals")

    def ready(self):
        from zrunva.core import dashboard as home
        from zrunva.grievances.dashboard import tiles

        # What waits for the user in this app, on the staff home page.
        home.register("grievances", tiles, order=20)

        from zrunva.core import metrics as prometheus
        from zrunva.grievances.metrics import metrics

        # Its gauges on Prometheus' /metrics, computed at each scrape.
        prometheus.register("grievances", metrics, order=20)

        from auditlog.registry import auditlog

        from zrunva.grievances import models

        auditlog.register(models.Grievance)

        from zrunva.audit import subject_access
        from zrunva.grievances.selectors import subject_access_grievances

        subject_access.register(
            "grievances", _("Grievances and appeals"), subject_access_grievances, order=50
        )

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, Panel, register

        register(
            "nav",
            "grievances:queue",
            NavItem(
                _("Grievances"),
                "grievances:queue",
                permissions.allows(permissions.GRIEVANCES_HANDLE),
            ),
            order=60,
        )
        # The person's and the household's grievances on their pages, scoped as the queue.
        for slot, name in (
            ("person_panels", "grievances:person_grievances"),
            ("household_panels", "grievances:household_grievances"),
        ):
            register(
                slot,
                name,
                Panel(
                    _("Grievances and appeals"),
                    name,
                    permissions.allows(permissions.GRIEVANCES_HANDLE),
                ),
                order=25,
            )
