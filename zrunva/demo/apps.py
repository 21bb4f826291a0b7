from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Synthetic demo data for every app (`manage.py demo_setup`): the top layer, which may
    import any app, so that no domain app knows about demo data."""

    name = "zrunva.demo"
    verbose_name = _("Demo data")
