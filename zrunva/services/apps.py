from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "zrunva.services"
    verbose_name = _("Social services")

    def ready(self):
        from auditlog.registry import auditlog
        from django.db.models.signals import post_delete, post_save

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, register
        from zrunva.geo.models import Municipality, Region, Settlement
        from zrunva.services.filters import lists_changed
        from zrunva.services.models import (
            Area,
            Assessment,
            AssessmentDocument,
            Criterion,
            ImprovementAction,
            Provider,
            Score,
            Service,
            ServiceType,
            Standard,
            StandardVersion,
            TargetGroup,
        )

        # The catalogue's dropdowns are rendered once per version of these lists
        # (filters.ListSelect): any save or delete makes a new version.
        for model in (ServiceType, TargetGroup, Municipality, Region, Settlement):
            post_save.connect(lists_changed, sender=model, dispatch_uid=f"lists-{model.__name__}")
            post_delete.connect(
                lists_changed, sender=model, dispatch_uid=f"lists-{model.__name__}-delete"
            )
        auditlog.register(Provider)
        auditlog.register(Service, m2m_fields={"target_groups"})
        auditlog.register(Standard, m2m_fields={"service_types", "target_groups"})
        for model in (StandardVersion, Area, Criterion, Assessment, Score, ImprovementAction):
            auditlog.register(model)
        auditlog.register(AssessmentDocument, exclude_fields=["file"])
        register(
            "nav",
            "services:service_list",
            NavItem(
                _("Services"),
                "services:service_list",
                permissions.allows(permissions.SERVICES_VIEW),
            ),
            order=60,
        )
        register(
            "nav",
            "services:provider_list",
            NavItem(
                _("Service providers"),
                "services:provider_list",
                permissions.allows(permissions.SERVICES_VIEW),
            ),
            order=61,
        )
        register(
            "nav",
            "services:assessment_list",
            NavItem(
                _("Service standards"),
                "services:assessment_list",
                permissions.allows(permissions.SERVICES_ASSESS),
            ),
            order=62,
        )
