"""Builders for the portal's tests: what a citizen sends to apply, on the form and through the
API, and what the registry may already hold about an applicant."""

from datetime import date

from zrunva.applications.choices import Channel, Status
from zrunva.applications.models import Application, Enrolment
from zrunva.applications.services import application_submit
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme
from zrunva.registry.tests import factories


def application_form(**overrides) -> dict:
    """The portal's application form filled in for TSA in Kutaisi by an applicant with one
    child, changed by `overrides` (documents are the test's to add)."""
    data = {
        "submission_key": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "programme": Programme.objects.get(code="tsa").pk,
        "municipality": Municipality.objects.get(code="kutaisi").pk,
        "personal_number": "01001012345",
        "first_name": "ნინო",
        "last_name": "ბერიძე",
        "birth_date": "1985-03-01",
        "phone": "555 12 34 56",
        "email": "",
        "language": "ka",
        "consent": "on",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "15",
        "members-0-first_name": "გიორგი",
        "members-0-last_name": "ბერიძე",
        "members-0-birth_date": "2015-06-01",
        "members-0-personal_number": "",
        "members-0-relationship": "child",
    }
    return data | overrides


def application_body(**overrides) -> dict:
    """The portal API's application for TSA in Kutaisi by an applicant with one child,
    changed by `overrides` (top-level keys)."""
    data = {
        "programme": "tsa",
        "municipality": "kutaisi",
        "applicant": {
            "personal_number": "01001012345",
            "first_name": "ნინო",
            "last_name": "ბერიძე",
            "birth_date": "1985-03-01",
            "phone": "555123456",
            "language": "en",
        },
        "members": [
            {
                "first_name": "ლევანი",
                "last_name": "ბერიძე",
                "birth_date": "2016-02-02",
                "relationship": "child",
            }
        ],
        "consent": True,
        "submission_key": "6b4e28ba-2fa1-11d2-883f-0016d3cca427",
    }
    return data | overrides


def registry_holds(*, enrolled: str, applying: str) -> Application:
    """The personal number `enrolled` is on the disability package's rolls in Kutaisi (its
    application enrolled, returned); `applying` has an open application for it."""
    programme = Programme.objects.get(code="disability_package")
    kutaisi = Municipality.objects.get(code="kutaisi")
    household = factories.household("kutaisi", head={"personal_number": enrolled})
    person = household.memberships.get().person
    application = Application.objects.create(
        number="ZR-AAAAA-00001",
        programme=programme,
        channel=Channel.WALK_IN,
        status=Status.ENROLLED,
        personal_number=enrolled,
        first_name=person.first_name,
        last_name=person.last_name,
        birth_date=person.birth_date,
        phone="+995 555 00 00 01",
        consent_purpose="x",
        municipality=kutaisi,
        household=household,
        stage_since=date(2026, 1, 5),
    )
    Enrolment.objects.create(
        application=application,
        programme=programme,
        household=household,
        person=person,
        amount=480,
        starts=date(2026, 2, 1),
        enrolled_by=factories.system_actor(),
    )
    application_submit(
        channel=Channel.PORTAL,
        programme=programme,
        municipality=kutaisi,
        applicant={
            "personal_number": applying,
            "first_name": "ანა",
            "last_name": "ბერიძე",
            "birth_date": date(1990, 1, 1),
            "phone": "+995 555 00 00 03",
        },
        consent=True,
    )
    return application
