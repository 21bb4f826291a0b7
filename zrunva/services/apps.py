from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "zrunva.services"
    verbose_name = _("Social services")

    def ready(self):
        from auditlog.registry import auditlog

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, register
        from zrunva.services.models import Provider, Service

        auditlog.register(Provider)
        auditlog.register(Service, m2m_fields={"target_groups"})
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
