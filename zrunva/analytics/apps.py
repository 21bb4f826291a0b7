from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Analytics and policy (issue 18): monitoring dashboards, coverage and targeting, municipal
    social budgets, civil society's monitoring and reform simulation. At the top of the layers:
    it reads every app, and no app reads it."""

    name = "zrunva.analytics"
    verbose_name = _("Analytics and policy")

    def ready(self):
        self._dashboards()
        self._budgets_and_monitoring()
        self._simulation()

    def _dashboards(self):
        # Monitoring dashboards: their tables refreshed after each eligibility run
        # (`core.jobs.job_done`) and each payroll step that changes what is counted, and their
        # menu entry.
        from django.db.models.signals import post_save

        from zrunva.accounts import permissions
        from zrunva.analytics.aggregates import refresh_after_job, refresh_after_payroll_step
        from zrunva.core.extensions import NavItem, register
        from zrunva.core.jobs import job_done
        from zrunva.payments.models import Payroll
        from zrunva.programmes.models import Run

        job_done.connect(refresh_after_job, sender=Run, dispatch_uid="analytics.refresh.Run")
        post_save.connect(
            refresh_after_payroll_step, sender=Payroll, dispatch_uid="analytics.refresh.Payroll"
        )
        register(
            "nav",
            "analytics:dashboard",
            NavItem(
                _("Dashboards"),
                "analytics:dashboard",
                permissions.allows(permissions.ANALYTICS_VIEW),
            ),
            order=69,
        )

    def _budgets_and_monitoring(self):
        # Municipal social budgets and civil society's monitoring: every change in the audit
        # trail (a budget line's earlier amounts are its versions), and their menu entries.
        from auditlog.registry import auditlog

        from zrunva.accounts import permissions
        from zrunva.analytics import models
        from zrunva.core.extensions import NavItem, register

        auditlog.register(models.BudgetLine)
        auditlog.register(models.BudgetImport, exclude_fields=["rows"])
        auditlog.register(models.MonitoringReport)
        auditlog.register(models.Recommendation)
        auditlog.register(models.RecommendationEvent)
        register(
            "nav",
            "analytics:budgets",
            NavItem(
                _("Social budgets"),
                "analytics:budgets",
                permissions.allows(permissions.ANALYTICS_VIEW),
            ),
            order=70,
        )
        register(
            "nav",
            "analytics:monitoring",
            NavItem(
                _("Monitoring"),
                "analytics:monitoring",
                lambda user: any(
                    permissions.has_perm(user, perm)
                    for perm in (
                        permissions.MONITORING_PUBLISH,
                        permissions.RECOMMENDATIONS_ANSWER,
                        permissions.ANALYTICS_VIEW,
                    )
                ),
            ),
            order=71,
        )

    def _simulation(self):
        # Reform simulation: scenarios and their changes in the audit trail, and the menu entry.
        from auditlog.registry import auditlog

        from zrunva.accounts import permissions
        from zrunva.analytics import models
        from zrunva.core.extensions import NavItem, register

        auditlog.register(models.Scenario, m2m_fields={"shared_with"})
        auditlog.register(models.ScenarioChange)
        register(
            "nav",
            "analytics:scenario_list",
            NavItem(
                _("Reform simulation"),
                "analytics:scenario_list",
                permissions.allows(permissions.SIMULATION_RUN),
            ),
            order=72,
        )
