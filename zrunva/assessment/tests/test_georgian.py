"""The assessment pages speak the page's language (issue 13, item 7)."""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from zrunva.accounts.choices import Role
from zrunva.assessment.models import ScoringModel
from zrunva.assessment.services import assessment_record
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


def test_every_shipped_scoring_model_cites_its_source_in_georgian():
    assert not ScoringModel.objects.filter(source_ka="").exists()


def test_the_detail_cites_the_scoring_model_in_the_page_language(login_as):
    household = factories.household("kutaisi", head={"birth_date": date(1980, 1, 1)})
    assessment = assessment_record(
        actor=factories.system_actor(),
        household=household,
        visit_date=timezone.localdate(),
        declaration={},
    )
    client = login_as(Role.SUPERVISOR)
    with translation.override("ka"):
        url = reverse("assessment:detail", args=[assessment.pk])
    georgian = client.get(url).content.decode()
    assert "ოფიციალური კოეფიციენტები საჯარო არ არის" in georgian
    assert "coefficients are not public" not in georgian
    # Each variable's label in Georgian letters too.
    labels = re.findall(r'<td data-label="ცვლადი">([^<]*)</td>', georgian)
    assert labels and all(re.search(r"[\u10D0-\u10FF]", label) for label in labels), labels
    english = client.get(f"/en{url}").content.decode()
    assert "coefficients are not public" in english
