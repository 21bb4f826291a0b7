from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "zrunva.programmes"
    verbose_name = _("Programmes")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.programmes.models import Parameter, ParameterValue, Programme

        auditlog.register(Parameter)
        auditlog.register(ParameterValue)
        auditlog.register(Programme)
