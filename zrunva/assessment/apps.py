from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "zrunva.assessment"
    verbose_name = _("Assessment")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.assessment.models import Assessment, ScoringModel

        auditlog.register(Assessment)
        auditlog.register(ScoringModel)
