"""Issue 9, finding 14: the per-number status limit counts failed lookups only, so someone who
knows an application's (or a grievance's) number and tries personal numbers is refused after
the limit, but cannot lock out the applicant, whose pair is right. The per-address limit still
counts every lookup. A wrong pair is answered exactly as a number that does not exist."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from zrunva.applications.choices import Status
from zrunva.applications.tests.pdfs import plain_pdf
from zrunva.grievances.tests.factories import PERSONAL_NUMBER, application, grievance

pytestmark = pytest.mark.django_db

API = "/api/v1/portal/applications"
GRIEVANCE_API = "/api/v1/portal/grievances/status"
WRONG = [f"0100100{i:04d}" for i in range(50)]  # none of them the applicant's


@pytest.fixture(autouse=True)
def limits(settings):
    # Ten failures per number an hour; the attacker spreads their guesses over many addresses
    # so that only the per-number limit stands in their way.
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {
        "status_number": (10, 3600),
        "status_address": (60, 3600),
    }


def attacker(i: int) -> Client:
    return Client(REMOTE_ADDR=f"10.66.{i // 250}.{i % 250 + 1}", HTTP_ACCEPT_LANGUAGE="en")


def applicant() -> Client:
    return Client(REMOTE_ADDR="192.0.2.10", HTTP_ACCEPT_LANGUAGE="en")


def post_json(client, path, data):
    return client.post(path, data, content_type="application/json")


def test_fifty_wrong_personal_numbers_do_not_lock_the_applicant_out_of_the_status_page():
    found = application()
    url = reverse("portal:status")
    codes = [
        attacker(i).post(url, {"number": found.number, "personal_number": n}).status_code
        for i, n in enumerate(WRONG)
    ]
    assert codes == [200] * 10 + [429] * 40  # ten "not found" answers, then refused
    response = applicant().post(url, {"number": found.number, "personal_number": PERSONAL_NUMBER})
    assert response.status_code == 302 and response.url == reverse("portal:application")


def test_fifty_wrong_personal_numbers_do_not_lock_the_applicant_out_of_the_api():
    found = application()
    codes = [
        post_json(attacker(i), f"{API}/status", {"number": found.number, "personal_number": n})
        for i, n in enumerate(WRONG)
    ]
    assert [r.status_code for r in codes] == [404] * 10 + [429] * 40
    lookup = {"number": found.number, "personal_number": PERSONAL_NUMBER}
    client = applicant()
    status = post_json(client, f"{API}/status", lookup)
    assert status.status_code == 200 and status.json()["number"] == found.number
    pdf = SimpleUploadedFile("certificate.pdf", plain_pdf(), "application/pdf")
    sent = client.post(f"{API}/documents", lookup | {"file": pdf})
    assert sent.status_code == 201 and sent.json()["documents"] == ["certificate.pdf"]
    withdrawn = post_json(client, f"{API}/withdraw", lookup)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == Status.WITHDRAWN
    # The attacker is still refused, whichever operation they try next.
    guess = lookup | {"personal_number": WRONG[0]}
    for operation in ("status", "withdraw"):
        assert post_json(attacker(99), f"{API}/{operation}", guess).status_code == 429
    pdf = SimpleUploadedFile("x.pdf", plain_pdf(), "application/pdf")
    assert attacker(99).post(f"{API}/documents", guess | {"file": pdf}).status_code == 429


def test_fifty_wrong_personal_numbers_do_not_lock_the_complainant_out():
    filed = grievance()
    page = reverse("portal_grievances:status")
    codes = [
        attacker(i).post(page, {"number": filed.number, "personal_number": n}).status_code
        for i, n in enumerate(WRONG[:25])
    ] + [
        post_json(
            attacker(i), GRIEVANCE_API, {"number": filed.number, "personal_number": n}
        ).status_code
        for i, n in enumerate(WRONG[25:], start=25)
    ]
    # Page and API share the number's budget.
    assert codes == [200] * 10 + [429] * 15 + [429] * 25
    right = {"number": filed.number, "personal_number": PERSONAL_NUMBER}
    html = applicant().post(page, right).content.decode()
    assert filed.number in html and "No grievance has this number" not in html
    response = post_json(applicant(), GRIEVANCE_API, right)
    assert response.status_code == 200 and response.json()["number"] == filed.number


def test_a_wrong_pair_is_answered_as_a_number_that_does_not_exist():
    found = application()
    filed = grievance()
    missing = {"number": "ZR-00000-00000", "personal_number": PERSONAL_NUMBER}
    wrong = {"number": found.number, "personal_number": WRONG[0]}
    answers = [post_json(attacker(i), f"{API}/status", d) for i, d in enumerate([missing, wrong])]
    assert answers[0].status_code == answers[1].status_code == 404
    assert answers[0].json() == answers[1].json()
    answers = [
        post_json(attacker(i), GRIEVANCE_API, d)
        for i, d in enumerate(
            [missing | {"number": "GR-00000-00000"}, wrong | {"number": filed.number}]
        )
    ]
    assert answers[0].status_code == answers[1].status_code
    assert answers[0].json() == answers[1].json()


def test_numbers_that_do_not_exist_are_limited_too():
    url = reverse("portal:status")
    data = {"number": "ZR-00000-00000", "personal_number": PERSONAL_NUMBER}
    codes = [attacker(i).post(url, data).status_code for i in range(11)]
    assert codes == [200] * 10 + [429]


def test_the_per_address_limit_still_counts_right_pairs(settings):
    settings.PORTAL_THROTTLE = settings.PORTAL_THROTTLE | {"status_address": (2, 3600)}
    found = application()
    lookup = {"number": found.number, "personal_number": PERSONAL_NUMBER}
    client = applicant()
    assert [post_json(client, f"{API}/status", lookup).status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    response = client.post(reverse("portal:status"), lookup)
    assert response.status_code == 429 and response["Retry-After"]
    # Another address is not affected.
    assert post_json(attacker(0), f"{API}/status", lookup).status_code == 200
