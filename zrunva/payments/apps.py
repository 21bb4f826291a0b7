from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _enrolment_ended(sender, *, enrolment, actor, **kwargs):
    from zrunva.payments.services import enrolment_ended

    enrolment_ended(enrolment=enrolment, actor=actor)


class PaymentsConfig(AppConfig):
    name = "zrunva.payments"
    verbose_name = _("Payments")

    def ready(self):
        from zrunva.core import dashboard as home
        from zrunva.payments.dashboard import tiles

        # What waits for the user in this app, on the staff home page.
        home.register("payments", tiles, order=50)

        from zrunva.core import metrics as prometheus
        from zrunva.payments.metrics import metrics

        # Its gauges on Prometheus' /metrics, computed at each scrape.
        prometheus.register("payments", metrics, order=50)

        from auditlog.registry import auditlog

        from zrunva.applications.signals import enrolment_ended
        from zrunva.payments.models import PaymentAccount, Payroll, Recovery, Suspension

        enrolment_ended.connect(_enrolment_ended, dispatch_uid="payments.enrolment_ended")

        auditlog.register(PaymentAccount)
        auditlog.register(Suspension)
        auditlog.register(Recovery)
        # Its lines are written by COPY, counted in the payroll's bulk-run row.
        auditlog.register(Payroll, exclude_fields=["summary", "progress", "stage"])

        from zrunva.accounts import permissions
        from zrunva.audit import subject_access
        from zrunva.core.extensions import NavItem, Panel, register
        from zrunva.payments.selectors import (
            first_payments,
            subject_access_accounts,
            subject_access_payments,
        )

        # The delay indicators' last measure: from application to money received.
        register("first_payments", "applications", first_payments)
        # A bank file's download names its payees (the breach-scope report, zrunva.audit.breach).
        from zrunva.audit.breach import SLOT
        from zrunva.payments.selectors import breach_payroll_files

        register(SLOT, "record:payments.payrollfile", breach_payroll_files)

        register(
            "person_panels",
            "payments:person_accounts",
            Panel(
                _("Payment accounts"),
                "payments:person_accounts",
                permissions.allows(permissions.PAYMENTS_VIEW),
            ),
            order=30,
        )
        for slot, name in (
            ("person_panels", "payments:person_payments"),
            ("household_panels", "payments:household_payments"),
        ):
            register(
                slot,
                name,
                Panel(_("Payments"), name, permissions.allows(permissions.PAYMENTS_VIEW)),
                order=31,
            )
        register(
            "enrolment_panels",
            "payments:enrolment_payments",
            Panel(
                _("Payments"),
                "payments:enrolment_payments",
                permissions.allows(permissions.PAYMENTS_VIEW),
            ),
            order=30,
        )
        register(
            "nav",
            "payments:payroll_list",
            NavItem(
                _("Payrolls"),
                "payments:payroll_list",
                permissions.allows(permissions.PAYROLL_MANAGE),
            ),
            order=45,
        )
        register(
            "nav",
            "payments:report",
            NavItem(
                _("Payments"),
                "payments:report",
                permissions.allows(permissions.PAYMENTS_VIEW),
            ),
            order=46,
        )
        subject_access.register(
            "payment_accounts", _("Payment accounts"), subject_access_accounts, order=60
        )
        subject_access.register(
            "payments",
            _("Payments, suspensions and recoveries"),
            subject_access_payments,
            order=61,
        )
