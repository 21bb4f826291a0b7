from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    name = "zrunva.integration"
    verbose_name = _("Data integration")

    def ready(self):
        self._merges_and_quality()

    def _merges_and_quality(self):
        """Merges (with undo) and the data-quality pages: audit, menu and record-page panels."""
        from auditlog.registry import auditlog

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, Panel, register
        from zrunva.integration.models import Merge

        auditlog.register(Merge)
        register(
            "nav",
            "integration:merge_list",
            NavItem(
                _("Merges"), "integration:merge_list", permissions.allows(permissions.RECORDS_MERGE)
            ),
            order=25,
        )
        register(
            "nav",
            "integration:quality",
            NavItem(
                _("Data quality"),
                "integration:quality",
                permissions.allows(permissions.DATA_QUALITY_VIEW),
            ),
            order=26,
        )
        for slot, name in (
            ("person_panels", "integration:person_merges"),
            ("household_panels", "integration:household_merges"),
        ):
            register(
                slot,
                name,
                Panel(_("Merges"), name, permissions.allows(permissions.RECORDS_MERGE)),
                order=90,
            )
