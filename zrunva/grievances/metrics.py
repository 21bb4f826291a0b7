"""Grievances' Prometheus gauges (zrunva.core.metrics): by status, overdue by the queue's
rule, and escalated while still unanswered."""

from zrunva.core.metrics import counts_by, gauge
from zrunva.grievances.choices import UNRESOLVED, Status
from zrunva.grievances.models import Grievance
from zrunva.grievances.selectors import grievances_overdue


def metrics():
    unresolved = Grievance.objects.filter(status__in=UNRESOLVED)
    return [
        gauge(
            "zrunva_grievances",
            "Grievances by status.",
            counts_by(Grievance.objects.all(), "status", [s.value for s in Status]),
            labels=["status"],
        ),
        gauge(
            "zrunva_grievances_overdue",
            "Unresolved grievances whose answer was due before today.",
            grievances_overdue().count(),
        ),
        gauge(
            "zrunva_grievances_escalated",
            "Unresolved grievances escalated to the supervisors.",
            unresolved.filter(escalated_at__isnull=False).count(),
        ),
    ]
