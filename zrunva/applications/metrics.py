"""Applications' Prometheus gauges (zrunva.core.metrics): the queue at each step, and what is
overdue by the same rule as the staff queue's filter."""

from zrunva.applications.choices import FINAL, Status
from zrunva.applications.models import Application
from zrunva.applications.selectors import applications_overdue
from zrunva.core.metrics import counts_by, gauge


def metrics():
    steps = [s.value for s in Status if s not in FINAL]
    waiting = counts_by(Application.objects.exclude(status__in=FINAL), "status", steps)
    return [
        gauge(
            "zrunva_applications_open",
            "Open applications by status (the step they wait at).",
            waiting,
            labels=["status"],
        ),
        gauge(
            "zrunva_applications_overdue",
            "Open applications whose next step was due before today.",
            applications_overdue().count(),
        ),
    ]
