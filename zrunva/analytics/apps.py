from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Analytics and policy (issue 18): monitoring dashboards, coverage and targeting, municipal
    social budgets, civil society's monitoring and reform simulation. At the top of the layers:
    it reads every app, and no app reads it."""

    name = "zrunva.analytics"
    verbose_name = _("Analytics and policy")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.analytics.models import Scenario, ScenarioChange

        auditlog.register(Scenario, m2m_fields={"shared_with"})
        auditlog.register(ScenarioChange)

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, register

        register(
            "nav",
            "analytics:scenario_list",
            NavItem(
                _("Reform simulation"),
                "analytics:scenario_list",
                permissions.allows(permissions.SIMULATION_RUN),
            ),
            order=80,
        )
