from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "zrunva.audit"
    verbose_name = _("Audit")

    def ready(self):
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
