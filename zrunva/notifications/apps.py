from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "zrunva.notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from zrunva.core import dashboard as home
        from zrunva.notifications.dashboard import tiles

        # What waits for the user in this app, on the staff home page.
        home.register("notifications", tiles, order=90)

        from zrunva.core import metrics as prometheus
        from zrunva.notifications.metrics import metrics

        # Its gauges on Prometheus' /metrics, computed at each scrape.
        prometheus.register("notifications", metrics, order=90)

        from zrunva.audit import subject_access
        from zrunva.notifications.selectors import subject_access_messages

        subject_access.register("messages", _("Messages sent"), subject_access_messages, order=90)

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, register

        register(
            "nav",
            "notifications:outbox",
            NavItem(
                _("Messages"),
                "notifications:outbox",
                permissions.allows(permissions.NOTIFICATIONS_MANAGE),
            ),
            order=100,
        )

        from zrunva.notifications.health import OutboxBacklog

        register("readiness", "outbox", OutboxBacklog, order=40)
