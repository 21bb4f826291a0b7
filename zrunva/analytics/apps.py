from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Analytics and policy (issue 18): monitoring dashboards, coverage and targeting, municipal
    social budgets, civil society's monitoring and reform simulation. At the top of the layers:
    it reads every app, and no app reads it."""

    name = "zrunva.analytics"
    verbose_name = _("Analytics and policy")

    def ready(self):
        from zrunva.analytics.aggregates import refresh_after_job
        from zrunva.core.jobs import job_done
        from zrunva.payments.models import Payroll
        from zrunva.programmes.models import Run

        # The dashboards' tables are refreshed after each eligibility run and payroll.
        for job in (Run, Payroll):
            job_done.connect(
                refresh_after_job, sender=job, dispatch_uid=f"analytics.refresh.{job.__name__}"
            )

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, register

        register(
            "nav",
            "analytics:dashboard",
            NavItem(
                _("Dashboards"),
                "analytics:dashboard",
                permissions.allows(permissions.ANALYTICS_VIEW),
            ),
            order=200,
        )
