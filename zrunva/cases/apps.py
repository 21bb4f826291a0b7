from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "zrunva.cases"
    verbose_name = _("Social work cases")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.cases import models

        auditlog.register(models.SocialCase)
        auditlog.register(models.Entry, exclude_fields=["file"])
        auditlog.register(models.CarePlan)
        auditlog.register(models.PlanAction)
        auditlog.register(models.Colleague)
        auditlog.register(models.BreakGlass)
        auditlog.register(models.Transfer)
        auditlog.register(models.OutreachVisit)
        auditlog.register(models.JobSeekerReferral)
        auditlog.register(models.Referral)

        from zrunva.cases.metrics import metrics
        from zrunva.core import metrics as prometheus

        # Its gauges on Prometheus' /metrics, computed at each scrape.
        prometheus.register("cases", metrics, order=60)

        from zrunva.accounts import permissions
        from zrunva.audit import subject_access
        from zrunva.cases.selectors import subject_access_cases
        from zrunva.core.extensions import NavItem, Panel, register

        subject_access.register("cases", _("Social work cases"), subject_access_cases, order=60)

        register(
            "nav",
            "cases:home",
            NavItem(_("Cases"), "cases:home", permissions.allows(permissions.CASES_WORK)),
            order=55,
        )
        register(
            "nav",
            "cases:glass_review",
            NavItem(
                _("Emergency access"),
                "cases:glass_review",
                permissions.allows(permissions.BREAK_GLASS_REVIEW),
            ),
            order=56,
        )
        register(
            "nav",
            "cases:referrals",
            NavItem(
                _("Referrals"), "cases:referrals", permissions.allows(permissions.REFERRALS_ANSWER)
            ),
            order=57,
        )
        # The person's and the household's cases on their pages, as the viewer may see them.
        for slot, name in (
            ("person_panels", "cases:person_cases"),
            ("household_panels", "cases:household_cases"),
        ):
            register(
                slot,
                name,
                Panel(_("Social work cases"), name, permissions.allows(permissions.CASES_WORK)),
                order=30,
            )
        register(
            "nav",
            "cases:worknet_list",
            NavItem(
                _("Employment referrals"),
                "cases:worknet_list",
                lambda user: (
                    permissions.has_perm(user, permissions.EMPLOYMENT)
                    or permissions.has_perm(user, permissions.CASES_WORK)
                ),
            ),
            order=58,
        )
        register(
            "nav",
            "cases:indicators",
            NavItem(
                _("Quality of social work"),
                "cases:indicators",
                permissions.allows(permissions.CASES_INDICATORS),
            ),
            order=57,
        )
