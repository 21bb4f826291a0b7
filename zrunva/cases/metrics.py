"""Social work cases' Prometheus gauges (zrunva.core.metrics): open cases by stage, and those
whose first contact is overdue (the workers' page's rule)."""

from zrunva.cases.choices import OPEN_STAGES
from zrunva.cases.models import SocialCase
from zrunva.cases.selectors import first_contact_overdue
from zrunva.core.metrics import counts_by, gauge


def metrics():
    stages = [s.value for s in OPEN_STAGES]
    return [
        gauge(
            "zrunva_cases_open",
            "Open social work cases by stage.",
            counts_by(SocialCase.objects.filter(stage__in=stages), "stage", stages),
            labels=["stage"],
        ),
        gauge(
            "zrunva_cases_first_contact_overdue",
            "Open cases not yet contacted after their first-contact deadline.",
            first_contact_overdue(SocialCase.objects.all()).count(),
        ),
    ]
