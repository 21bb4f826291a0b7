"""Application pages speak the page's language (issue 13, item 7)."""

import pytest

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Channel
from zrunva.applications.services import application_submit
from zrunva.applications.tests.factories import APPLICANT
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme

pytestmark = pytest.mark.django_db


def test_declared_members_show_their_relationship_and_birth_date_for_reading(login_as):
    application = application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code="tsa"),
        municipality=Municipality.objects.get(code="kutaisi"),
        applicant=APPLICANT,
        members=[
            {
                "first_name": "ლევან",
                "last_name": "ბერიძე",
                "birth_date": "1950-02-01",
                "relationship": "parent",
            }
        ],
        consent=True,
    )
    client = login_as(Role.SSA_OFFICER)
    page = client.get(f"/applications/{application.pk}/").content.decode()
    assert "01.02.1950" in page and "(მშობელი)" in page
    assert "(parent)" not in page
    english = client.get(f"/en/applications/{application.pk}/").content.decode()
    assert "(Parent)" in english
