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
        # The person's cases on their page, as the viewer may see them.
        register(
            "person_panels",
            "cases:person_cases",
            Panel(
                _("Social work cases"),
                "cases:person_cases",
                permissions.allows(permissions.CASES_WORK),
            ),
            order=30,
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
