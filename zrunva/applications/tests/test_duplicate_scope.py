"""Issue 9, finding 1 on the staff channel, outside the officer's area: the flag on a new
application names what the registry holds about the person (an open application, or an
enrolment: with the disability package, a disability). An officer who typed any personal number
into a walk-in application in their own area learned, from the API's `duplicate_of_id` and the
page's "possible duplicate" panel (with the earlier application's status), whether the person
was enrolled anywhere in the country. The flag is shown only to those who process the earlier
application too; the others see an application like any other."""

import json

import pytest

from zrunva.accounts.choices import Role
from zrunva.applications.models import Application
from zrunva.applications.selectors import application_get
from zrunva.applications.tests.factories import enrolled_application

pytestmark = pytest.mark.django_db
FRESH = "01001099999"
TAG = '<strong class="tag tag--amber">Possible duplicate</strong>'  # the queue's mark


def _walk_in(client, personal_number: str):
    body = {
        "programme": "state_pension",
        "municipality": "zugdidi",
        "applicant": {
            "personal_number": personal_number,
            "first_name": "ნინო",
            "last_name": "ბერიძე",
            "birth_date": "1950-03-01",
            "phone": "+995555000111",
        },
        "consent": True,
    }
    response = client.post(
        "/api/v1/applications",
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 201, response.content
    return response.json()


def _step(client, application_id: int, to: str):
    return client.post(
        f"/api/v1/applications/{application_id}/steps",
        json.dumps({"to": to}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_an_officer_learns_nothing_of_an_enrolment_outside_their_area(login_as):
    enrolled = enrolled_application()  # a state pension, in Kutaisi
    officer = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    fresh = _walk_in(officer, FRESH)
    known = _walk_in(officer, enrolled.personal_number)
    # Stored flagged all the same, for the back office that sees both.
    assert Application.objects.get(pk=known["id"]).duplicate_of_id == enrolled.pk
    # The API's answer, the page, the queue and the next steps are those of any application.
    assert (fresh["duplicate_of_id"], known["duplicate_of_id"]) == (None, None)
    again = officer.get(f"/api/v1/applications/{known['id']}").json()
    assert again["duplicate_of_id"] is None
    for application_id in (fresh["id"], known["id"]):
        page = officer.get(f"/en/applications/{application_id}/").content.decode()
        assert "Possible duplicate" not in page and "Closed as a duplicate" not in page
    queue = officer.get("/en/applications/", {"duplicates": "on"}).content.decode()
    assert known["number"] not in queue
    assert TAG not in officer.get("/en/applications/").content.decode()
    refused = [_step(officer, a["id"], "duplicate") for a in (fresh, known)]
    assert [r.status_code for r in refused] == [400, 400]
    assert refused[0].json() == refused[1].json()


def test_a_national_officer_sees_the_flag_and_closes_the_duplicate(login_as):
    enrolled = enrolled_application()
    known = _walk_in(login_as(Role.SSA_OFFICER, office="ssa-zugdidi"), enrolled.personal_number)
    national = login_as(Role.SSA_OFFICER)
    assert national.get(f"/api/v1/applications/{known['id']}").json()["duplicate_of_id"] == (
        enrolled.pk
    )
    page = national.get(f"/en/applications/{known['id']}/").content.decode()
    assert "Possible duplicate" in page and enrolled.number in page
    assert (
        known["number"] in national.get("/en/applications/", {"duplicates": "on"}).content.decode()
    )
    assert _step(national, known["id"], "duplicate").json()["status"] == "duplicate"


def test_hiding_the_flag_from_a_reader_never_erases_it(login_as):
    """The flag is hidden beside the field, not by clearing it: a save of what the reader got
    must keep it for the back office."""
    enrolled = enrolled_application()
    officer = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    known = _walk_in(officer, enrolled.personal_number)
    read = application_get(actor=officer.user, pk=known["id"])
    assert read.duplicate_of_shown_id is None
    read.save()
    assert Application.objects.get(pk=known["id"]).duplicate_of_id == enrolled.pk
