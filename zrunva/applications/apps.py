from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "zrunva.applications"
    verbose_name = _("Applications")

    def ready(self):
        from zrunva.applications.dashboard import tiles
        from zrunva.core import dashboard as home

        # What waits for the user in this app, on the staff home page.
        home.register("applications", tiles, order=10)

        from zrunva.applications.metrics import metrics
        from zrunva.core import metrics as prometheus

        # Its gauges on Prometheus' /metrics, computed at each scrape.
        prometheus.register("applications", metrics, order=10)

        from auditlog.registry import auditlog

        from zrunva.applications import models

        auditlog.register(models.Application)
        auditlog.register(models.Enrolment)
        auditlog.register(models.BulkEnrolment)
        auditlog.register(models.Document, exclude_fields=["file"])

        from zrunva.applications.selectors import subject_access_applications
        from zrunva.audit import subject_access

        subject_access.register(
            "applications",
            _("Applications, documents and enrolments"),
            subject_access_applications,
            order=40,
        )

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, Panel, register

        register(
            "nav",
            "applications:queue",
            NavItem(
                _("Applications"),
                "applications:queue",
                permissions.allows(permissions.APPLICATIONS_PROCESS),
            ),
            order=30,
        )
        register(
            "nav",
            "applications:enrolments",
            NavItem(
                _("Enrolments"),
                "applications:enrolments",
                permissions.allows(permissions.APPLICATIONS_PROCESS),
            ),
            order=40,
        )
        register(
            "nav",
            "applications:delays",
            NavItem(
                _("Delays"), "applications:delays", permissions.allows(permissions.DELAYS_VIEW)
            ),
            order=50,
        )

        # The person's and the household's applications and enrolments on their pages, for
        # those who process applications (scoped there as the queue is).
        process = permissions.allows(permissions.APPLICATIONS_PROCESS)
        for slot, name, title, order in (
            ("person_panels", "applications:person_applications", _("Applications"), 21),
            ("person_panels", "applications:person_enrolments", _("Enrolments"), 22),
            ("household_panels", "applications:household_applications", _("Applications"), 21),
            ("household_panels", "applications:household_enrolments", _("Enrolments"), 22),
        ):
            register(slot, name, Panel(title, name, process), order=order)
