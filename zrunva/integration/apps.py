from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    name = "zrunva.integration"
    verbose_name = _("Data integration")

    def ready(self):
        self._imports()
        self._ready_agencies()

    @staticmethod
    def _imports():
        """Imports and record linkage: their changes in the audit trail, the menu entries, and
        what they hold of a person in the subject-access report."""
        from auditlog.registry import auditlog

        from zrunva.accounts import permissions
        from zrunva.audit import subject_access
        from zrunva.core.extensions import NavItem, register
        from zrunva.integration import models
        from zrunva.integration.selectors import subject_access_integration

        auditlog.register(models.Source)
        auditlog.register(models.Import, exclude_fields=["progress", "stage", "summary"])
        auditlog.register(models.MatchPair, include_fields=["status", "decided_by", "note"])
        register(
            "nav",
            "integration:home",
            NavItem(_("Imports"), "integration:home", permissions.allows(permissions.IMPORTS_RUN)),
            order=70,
        )
        register(
            "nav",
            "integration:pair_list",
            NavItem(
                _("Possible duplicates"),
                "integration:pair_list",
                permissions.allows(permissions.LINKAGE_REVIEW),
            ),
            order=71,
        )
        subject_access.register(
            "integration",
            _("Imports from other registries and duplicate checks"),
            subject_access_integration,
            order=84,
        )

    @staticmethod
    def _ready_agencies():
        """Other agencies' access (the DCI search): their changes in the audit trail, the
        staff menu entry, and the disclosures in a person's subject-access report."""
        from auditlog.registry import auditlog

        from zrunva.accounts import permissions
        from zrunva.audit import subject_access
        from zrunva.core.extensions import NavItem, register
        from zrunva.integration.models import Agency, AgencyClient
        from zrunva.integration.selectors_agencies import subject_access_disclosures

        auditlog.register(Agency)
        auditlog.register(AgencyClient, exclude_fields=["key_hash"])
        register(
            "nav",
            "integration:agency_list",
            NavItem(
                _("Other agencies"),
                "integration:agency_list",
                permissions.allows(permissions.AGENCIES_MANAGE),
            ),
            order=92,
        )
        subject_access.register(
            "agency_disclosures",
            _("Disclosures to other agencies"),
            subject_access_disclosures,
            order=85,
        )
