from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationConfig(AppConfig):
    name = "zrunva.integration"
    verbose_name = _("Data integration")

    def ready(self):
        self._imports()
        self._ready_agencies()
        self._merges_and_quality()

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
                _("Duplicate records"),
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
        from django.db.models import F

        from zrunva.integration import merges, quality
        from zrunva.integration.linkage import undecided_people

        # A pair names two people as they were found: merging them moves nothing of the pair
        # (it would pair the survivor with itself); the pair is marked merged instead.
        for side in ("left", "right"):
            merges.keep_relation(
                f"integration.MatchPair.{side}", "a pair records the two people as found"
            )
        quality.register(
            quality.QualityCheck(
                code=quality.DUPLICATES,
                label=_("Possible duplicates awaiting review"),
                kind="person",
                records=lambda on: undecided_people(on).annotate(place=F("municipality_id")),
                order=50,
            )
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

        # What an agency's key reached, for the breach-scope report (zrunva.audit.breach).
        from zrunva.audit.breach import SLOT, AgencyResolver
        from zrunva.integration.selectors_agencies import breach_agency_known, breach_disclosed

        register(
            SLOT, "agencies", AgencyResolver(known=breach_agency_known, disclosed=breach_disclosed)
        )

    @staticmethod
    def _merges_and_quality():
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
