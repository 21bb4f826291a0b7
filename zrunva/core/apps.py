from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zrunva.core"
    verbose_name = _("Core")

    def ready(self):
        from zrunva.core import text

        text.install()
