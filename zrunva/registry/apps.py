from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "zrunva.registry"
    verbose_name = _("Registry")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.registry import models

        auditlog.register(models.Household)
        auditlog.register(
            models.Person, exclude_fields=["name_key", "name_key_rev", "municipality", "updated_at"]
        )
        auditlog.register(models.Membership)
        auditlog.register(models.IncomeSource)
        auditlog.register(models.Representative)

        from zrunva.audit import subject_access
        from zrunva.registry import selectors

        subject_access.register(
            "person", _("Personal details"), selectors.subject_access_person, order=10
        )
        subject_access.register(
            "households", _("Households"), selectors.subject_access_households, order=11
        )
        subject_access.register(
            "incomes", _("Income sources"), selectors.subject_access_incomes, order=12
        )
        subject_access.register(
            "representatives",
            _("Representatives"),
            selectors.subject_access_representatives,
            order=13,
        )

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, register
        from zrunva.registry.forms import FIELD_GROUPS

        for kind, groups in FIELD_GROUPS.items():
            register("field_groups", kind, groups)

        register(
            "nav",
            "registry:household_list",
            NavItem(
                _("Households"),
                "registry:household_list",
                permissions.allows(permissions.REGISTRY_VIEW),
            ),
            order=10,
        )
        register(
            "nav",
            "registry:person_list",
            NavItem(
                _("People"), "registry:person_list", permissions.allows(permissions.REGISTRY_VIEW)
            ),
            order=20,
        )
        register(
            "nav",
            "registry:subject_access_find",
            NavItem(
                _("Subject access"),
                "registry:subject_access_find",
                permissions.allows(permissions.SUBJECT_ACCESS),
            ),
            order=120,
        )

        # Which people an audited record concerns, for the breach-scope report.
        from zrunva.audit.breach import SLOT
        from zrunva.registry.breach import RESOLVER

        register(SLOT, "people", RESOLVER)
