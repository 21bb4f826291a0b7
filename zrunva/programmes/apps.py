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

        from zrunva.audit import subject_access
        from zrunva.programmes.selectors import subject_access_decisions

        subject_access.register(
            "decisions",
            _("Eligibility decisions and their changes"),
            subject_access_decisions,
            order=30,
        )
