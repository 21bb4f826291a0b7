"""Synthetic grievances for the demo: applicants complain about their applications or appeal a
refusal, through the services; a few are left past their answer date and escalated."""

import random
from datetime import timedelta

from django.utils import timezone

from zrunva.applications.choices import Status
from zrunva.applications.models import Application
from zrunva.grievances.choices import Category, Channel
from zrunva.grievances.models import Grievance
from zrunva.grievances.services import grievance_file, grievances_escalate

TEXTS = {
    Category.DECISION_APPEAL: "ჩემი ოჯახის მდგომარეობა შეფასებისას სწორად არ აისახა.",
    Category.SERVICE_QUALITY: "ოფისში დიდხანს მომიწია ლოდინი.",
    Category.DATA_CORRECTION: "რეესტრში ჩემი მისამართი არასწორადაა მითითებული.",
    Category.OTHER: "მინდა გავიგო, როდის იქნება ვიზიტი ბინაზე.",
}


def demo_grievances(*, seed: int, count: int = 10, overdue: int = 3) -> int:
    """`count` grievances from applicants of the demo applications: appeals against refusals,
    others about service and data. `overdue` of them are dated back past their answer date and
    escalated, as the daily `escalate_grievances` would. Returns how many were filed."""
    rng = random.Random(seed)
    applications = list(
        Application.objects.exclude(phone="").exclude(status=Status.WITHDRAWN).order_by("id")
    )
    filed = 0
    for application in rng.sample(applications, min(count, len(applications))):
        if application.status == Status.REJECTED:
            category = Category.DECISION_APPEAL
        else:
            category = rng.choice(
                [Category.SERVICE_QUALITY, Category.DATA_CORRECTION, Category.OTHER]
            )
        grievance_file(
            channel=Channel.PORTAL,
            complainant={
                "personal_number": application.personal_number,
                "first_name": application.first_name,
                "last_name": application.last_name,
                "phone": application.phone,
                "language": application.language,
            },
            category=category,
            text=TEXTS[category],
            application_number=application.number,
        )
        filed += 1
    late = Grievance.objects.exclude(category=Category.DECISION_APPEAL).order_by("id")[:overdue]
    Grievance.objects.filter(pk__in=[g.pk for g in late]).update(
        due_date=timezone.localdate() - timedelta(days=3)
    )
    grievances_escalate()
    return filed
