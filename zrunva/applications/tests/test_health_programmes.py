"""Issue 9, finding 1, sibling (a programme needing health access): an application to a
programme whose rules read health data says something about the applicant's health, and its
decision shows the rules' conditions with their values. A municipality's officers have no
access to health data; they neither enter, see nor process applications to such a programme of
their municipality (defined by an administrator: e454e57 keeps officers from writing such
rules). The same rule as the eligibility pages and the run's changes."""

import json
from datetime import date

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Channel, Status
from zrunva.applications.models import Application
from zrunva.applications.services import application_submit, application_transition
from zrunva.geo.models import Municipality
from zrunva.programmes.services import programme_save

pytestmark = pytest.mark.django_db
APPLICANT = {
    "personal_number": "01001012345",
    "first_name": "ნინო",
    "last_name": "ბერიძე",
    "birth_date": date(1985, 3, 1),
    "phone": "+995555000111",
}


@pytest.fixture
def top_up(make_user):
    """Kutaisi's disability top-up, defined by an administrator."""
    return programme_save(
        actor=make_user(Role.ADMIN),
        programme=None,
        data={
            "code": "kutaisi_disability_top_up",
            "name_ka": "დანამატი",
            "name_en": "Disability top-up",
            "level": "person",
            "criteria": 'person.disability_degree != "none"',
            "formula": "50",
            "legal_basis": "Test",
            "municipality": Municipality.objects.get(code="kutaisi"),
            "valid_from": date(2026, 1, 1),
        },
    )


def test_a_municipal_officer_does_not_process_a_programme_reading_health(top_up, login_as):
    kutaisi = Municipality.objects.get(code="kutaisi")
    applied = application_submit(
        channel=Channel.PORTAL,
        programme=top_up,
        municipality=kutaisi,
        applicant=APPLICANT,
        consent=True,
    )
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    # Not in their queue, not readable (an audited attempt), not movable.
    assert applied.number not in officer.get("/en/applications/").content.decode()
    assert officer.get(f"/en/applications/{applied.pk}/").status_code == 404
    assert LogEntry.objects.filter(
        actor=officer.user, additional_data__attempt=True, object_pk=str(applied.pk)
    ).exists()
    with pytest.raises(PermissionDenied):
        application_transition(actor=officer.user, application=applied, to=Status.WITHDRAWN)
    # Nor entered at their office, through the API: refused before anything is stored.
    body = {
        "programme": top_up.code,
        "municipality": "kutaisi",
        "applicant": APPLICANT | {"birth_date": "1985-03-01", "personal_number": "01001054321"},
        "consent": True,
    }
    answer = officer.post("/api/v1/applications", json.dumps(body), content_type="application/json")
    assert answer.status_code == 403
    assert not Application.objects.filter(personal_number="01001054321").exists()


def test_an_administrator_processes_it(top_up, login_as):
    applied = application_submit(
        channel=Channel.PORTAL,
        programme=top_up,
        municipality=Municipality.objects.get(code="kutaisi"),
        applicant=APPLICANT,
        consent=True,
    )
    admin = login_as(Role.ADMIN)
    assert admin.get(f"/en/applications/{applied.pk}/").status_code == 200
    application_transition(actor=admin.user, application=applied, to=Status.WITHDRAWN)
