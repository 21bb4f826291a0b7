from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "zrunva.assessment"
    verbose_name = _("Assessment")

    def ready(self):
        from zrunva.assessment.dashboard import tiles
        from zrunva.core import dashboard as home

        # What waits for the user in this app, on the staff home page.
        home.register("assessment", tiles, order=30)

        from auditlog.registry import auditlog

        from zrunva.assessment.models import Assessment, ScoringModel

        auditlog.register(Assessment)
        auditlog.register(ScoringModel)

        from zrunva.assessment.selectors import subject_access_assessments
        from zrunva.audit import subject_access

        subject_access.register(
            "assessments", _("Assessments and rating scores"), subject_access_assessments, order=20
        )

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, Panel, register

        register(
            "nav",
            "assessment:due",
            NavItem(
                _("Re-assessments due"),
                "assessment:due",
                permissions.allows(permissions.REGISTRY_VIEW),
            ),
            order=70,
        )
        register(
            "household_panels",
            "assessment:score_history",
            Panel(
                _("Rating score history"),
                "assessment:score_history",
                permissions.allows(permissions.REGISTRY_VIEW),
            ),
            order=10,
        )
