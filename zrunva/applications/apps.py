from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "zrunva.applications"
    verbose_name = _("Applications")

    def ready(self):
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
