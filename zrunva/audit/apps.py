from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "zrunva.audit"
    verbose_name = _("Audit")

    def ready(self):
        from zrunva.audit.dashboard import tiles
        from zrunva.core import dashboard as home

        # What waits for the user in this app, on the staff home page.
        home.register("audit", tiles, order=5)

        from zrunva.audit.partitions import TRAIL
        from zrunva.core import partitions

        # The trail's months kept ahead by `manage.py partitions`, watched by the metrics.
        partitions.register(TRAIL, order=10)

        from auditlog.registry import auditlog

        from zrunva.audit.models import SubjectAccessRequest

        auditlog.register(SubjectAccessRequest)

        from zrunva.audit import subject_access
        from zrunva.audit.selectors import subject_access_section

        subject_access.register(
            "subject_access_requests",
            _("Requests to see this data"),
            subject_access_section,
            order=95,
        )

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, register

        register(
            "nav",
            "audit:log",
            NavItem(_("Audit log"), "audit:log", permissions.allows(permissions.AUDIT_VIEW)),
            order=110,
        )
        register(
            "nav",
            "audit:requests",
            NavItem(
                _("Subject-access requests"),
                "audit:requests",
                permissions.allows(permissions.SUBJECT_ACCESS),
            ),
            order=130,
        )
