from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "zrunva.services"
    verbose_name = _("Social services")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, register
        from zrunva.geo.models import Municipality, Region, Settlement
        from zrunva.services.filters import LISTS
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
        from zrunva.services.selectors import POINTS

        LISTS.depends_on(ServiceType, TargetGroup, Municipality, Region, Settlement)
        POINTS.depends_on(
            Service,
            Provider,
            TargetGroup,
            Municipality,
            Settlement,
            m2m=(Service.target_groups.through,),
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
