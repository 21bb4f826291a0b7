from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuestionnairesConfig(AppConfig):
    name = "zrunva.questionnaires"
    verbose_name = _("Questionnaires")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.questionnaires.models import Form, FormVersion, Response

        auditlog.register(Form)
        auditlog.register(FormVersion, exclude_fields=["definition"])
        auditlog.register(Response, exclude_fields=["answers"])
