from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuestionnairesConfig(AppConfig):
    name = "zrunva.questionnaires"
    verbose_name = _("Questionnaires")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, register
        from zrunva.questionnaires import models

        auditlog.register(models.Form)
        auditlog.register(models.FormVersion, exclude_fields=["definition"])
        auditlog.register(models.Response, exclude_fields=["answers"])
        auditlog.register(models.Survey, m2m_fields={"owners"})
        auditlog.register(models.SurveyArea)
        auditlog.register(models.Assignment)
        from zrunva.audit import subject_access
        from zrunva.questionnaires.selectors import subject_access_responses

        subject_access.register(
            "questionnaires", _("Questionnaire responses"), subject_access_responses, order=55
        )
        register(
            "nav",
            "questionnaires:survey_list",
            NavItem(
                _("Surveys"),
                "questionnaires:survey_list",
                permissions.allows(permissions.SURVEYS_ANSWER),
            ),
            order=70,
        )
