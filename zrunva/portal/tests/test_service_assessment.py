"""The public summary of a service's latest submitted assessment: date, standard and version,
total and per-area percentages, open improvement actions; never the assessor nor the evidence."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from zrunva.accounts.choices import Role
from zrunva.geo.models import Municipality
from zrunva.services import services as writes
from zrunva.services.models import Criterion, StandardVersion
from zrunva.services.tests import factories

pytestmark = pytest.mark.django_db

EVIDENCE = "საიდუმლო მტკიცებულება"


def _page(client, service, language="ka") -> str:
    with translation.override(language):
        url = reverse("portal:service_detail", args=[service.pk])
    return client.get(url).content.decode()


@pytest.fixture
def assessed(make_user):
    provider = factories.provider(organisation=factories.organisation("Open Hands"))
    service = factories.service(provider)
    organisation = factories.organisation("Rights Watch")
    organisation.municipalities.set(Municipality.objects.filter(code="kutaisi"))
    monitor = make_user(
        Role.CSO_MONITOR, organisation=organisation, first_name="Natia", last_name="Assessor"
    )
    version = StandardVersion.objects.get(standard__code="rights-based-illustrative")
    criteria = Criterion.objects.filter(area__version=version)

    def assess(days_ago: int, score: int, submit: bool = True):
        visit = timezone.localdate() - datetime.timedelta(days=days_ago)
        made = writes.assessment_start(
            actor=monitor, service=service, version=version, visit_date=visit
        )
        writes.assessment_score(
            actor=monitor,
            assessment=made,
            visit_date=visit,
            scores={c.pk: (score, EVIDENCE) for c in criteria},
        )
        if submit:
            writes.assessment_submit(actor=monitor, assessment=made)
        return made

    return service, monitor, assess


def test_no_summary_without_a_submitted_assessment(client, assessed):
    service, _monitor, assess = assessed
    assert "დამოუკიდებელი შეფასება" not in _page(client, service)
    assess(5, 3, submit=False)  # a draft is not public
    assert "100%" not in _page(client, service, "en")


def test_the_latest_submitted_assessment_is_summarised_without_assessor_or_evidence(
    client, assessed
):
    service, monitor, assess = assessed
    earlier = assess(100, 1)
    latest = assess(10, 2)
    for assessment in (earlier, latest):  # an earlier plan's open action still counts
        writes.improvement_action_add(
            actor=monitor,
            assessment=assessment,
            text="Easy-read rules",
            responsible="Director",
            due_date=assessment.visit_date,
        )
    draft = assess(1, 3, submit=False)
    writes.improvement_action_add(
        actor=monitor, assessment=draft, text="Draft", responsible="D", due_date=draft.visit_date
    )
    page = _page(client, service, "en")
    assert "Independent assessment against a service standard" in page
    assert "Rights-based social service standard (illustrative)" in page and "version 1" in page
    assert "Total: 67% of the highest possible score." in page
    assert page.count("67%") == 6  # the total and five areas
    assert "33%" not in page and "100%" not in page  # the earlier one and the draft not shown
    assert "2 improvement actions are still open." in page
    for private in (EVIDENCE, "Natia", "Assessor", monitor.username, "Easy-read rules", "Director"):
        assert private not in page
    georgian = _page(client, service, "ka")
    assert "არჩევანი და კონტროლი" in georgian and "67%" in georgian
    assert EVIDENCE not in georgian
