from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "zrunva.programmes"
    verbose_name = _("Programmes")

    def ready(self):
        from zrunva.core import dashboard as home
        from zrunva.programmes.dashboard import tiles

        # What waits for the user in this app, on the staff home page.
        home.register("programmes", tiles, order=40)

        from zrunva.core import metrics as prometheus
        from zrunva.programmes.metrics import metrics

        # Its gauges on Prometheus' /metrics, computed at each scrape.
        prometheus.register("programmes", metrics, order=40)

        from zrunva.core import partitions
        from zrunva.programmes.partitions import DECISIONS

        # The decisions' months kept ahead by `manage.py partitions`, watched by the metrics.
        partitions.register(DECISIONS, order=20)

        from auditlog.registry import auditlog

        from zrunva.geo.models import Municipality
        from zrunva.programmes.eligibility import RULES
        from zrunva.programmes.models import Parameter, ParameterValue, Programme

        RULES.depends_on(Programme, Parameter, ParameterValue, Municipality)
        auditlog.register(Parameter)
        auditlog.register(ParameterValue)
        auditlog.register(Programme)

        from zrunva.audit import subject_access
        from zrunva.programmes.selectors import subject_access_decisions

        subject_access.register(
            "decisions",
            _("Eligibility decisions and their changes"),
            subject_access_decisions,
            order=30,
        )

        from zrunva.accounts import permissions
        from zrunva.core.extensions import NavItem, Panel, register
        from zrunva.programmes.eligibility import health_programme_ids

        # Which programmes are health data, for accounts.permissions.health_programmes_hidden.
        register("health_programmes", "ids", health_programme_ids)

        register(
            "nav",
            "programmes:list",
            NavItem(
                _("Programmes"), "programmes:list", permissions.allows(permissions.PROGRAMMES_VIEW)
            ),
            order=80,
        )
        register(
            "nav",
            "eligibility:run_list",
            NavItem(
                _("Eligibility runs"),
                "eligibility:run_list",
                permissions.allows(permissions.REGISTRY_VIEW),
            ),
            order=90,
        )
        register(
            "household_panels",
            "eligibility:household",
            Panel(
                _("Eligibility for every programme"),
                "eligibility:household",
                permissions.allows(permissions.REGISTRY_VIEW),
                load=False,
            ),
            order=20,
        )
        # The decisions in force about a person or a household (the eligibility page above
        # explains them rule by rule), for those who see the registry, as that page is.
        for slot, name in (
            ("person_panels", "eligibility:person_decisions"),
            ("household_panels", "eligibility:household_decisions"),
        ):
            register(
                slot,
                name,
                Panel(
                    _("Eligibility decisions in force"),
                    name,
                    permissions.allows(permissions.REGISTRY_VIEW),
                ),
                order=15,
            )
