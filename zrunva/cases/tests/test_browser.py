"""A social worker's day in a real browser (issue 16's check): a new case opened from an intake
on the person's page, the person assessed with a form, a care plan written, a referral to a day
centre that its provider accepts, and the supervisor reviewing the case; axe-core checks each
page."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from zrunva.accounts.choices import Role
from zrunva.cases.models import Referral, SocialCase
from zrunva.cases.tests import factories
from zrunva.core.tests.accessibility import accessible
from zrunva.core.tests.browser import click_button, signed_in
from zrunva.services.tests import factories as catalogue

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
IMERETI = "sca-ge-im"


def test_a_social_workers_day(live_server, page, make_user):
    url = live_server.url
    worker = make_user(Role.SOCIAL_WORKER, office=IMERETI, first_name="Nino", last_name="Beridze")
    supervisor = make_user(Role.SUPERVISOR, office=IMERETI)
    organisation = catalogue.organisation("Open Hands")
    centre = catalogue.service(
        catalogue.provider(organisation=organisation),
        name_ka="დღის ცენტრი ხანდაზმულებისთვის",
        name_en="Day centre for the elderly",
        capacity=20,
        admitted=5,
    )
    staff = make_user(Role.SERVICE_PROVIDER, organisation=organisation)
    person = factories.person(first_name="ვახტანგ", last_name="ლომიძე")

    # The worker opens a case from the intake, on the person's page.
    desk = signed_in(page, live_server, worker)
    desk.goto(f"{url}/en/cases/open/{person.pk}/")
    accessible(desk)
    desk.select_option("#id_category", "elderly")
    desk.select_option("#id_specialisation", "elderly")
    desk.select_option("#id_source", "hotline")
    desk.get_by_label("High").check()
    desk.fill("#id_intake", "A neighbour called: he lives alone and has not eaten for two days.")
    click_button(desk, "Open the case")
    case = SocialCase.objects.get()
    expect(desk.locator("h1")).to_contain_text(case.number)
    accessible(desk)
    today = timezone.localdate()
    desk.select_option("#id_kind", "home")
    desk.fill("#id_happened_on", today.isoformat())
    desk.fill("#id_note", "Visited: cold flat, no food.")
    click_button(desk, "Add to the timeline")
    click_button(desk, "Move to: Assessment")

    # Assessed with the shipped functional-needs form.
    desk.get_by_role("link", name="Assess with a form").click()
    desk.get_by_role(
        "link", name="Functional needs of older persons and persons with disabilities"
    ).click()
    accessible(desk)
    desk.fill("input[name=age]", "84")
    click_button(desk, "Save as a draft")
    expect(desk.locator("main")).to_contain_text("kept as a draft")
    desk.goto(f"{url}/en/cases/{case.pk}/")
    click_button(desk, "Move to: Care plan")

    # The care plan, then the referral to the day centre.
    desk.get_by_role("link", name="Write a care plan").click()
    desk.fill("#id_goals", "Hot meals every day and company during the week.")
    desk.fill("#id_review_on", (today + datetime.timedelta(days=90)).isoformat())
    desk.fill("#id_actions", f"Lunch at the day centre | Day centre | {today.isoformat()}")
    click_button(desk, "Save the plan")
    expect(desk.locator("main")).to_contain_text("Hot meals every day")
    desk.get_by_role("link", name="Refer to a service").click()
    accessible(desk)
    desk.select_option("#id_service", str(centre.pk))
    desk.fill("#id_note", "Lives alone, needs lunch and company.")
    click_button(desk, "Send the referral")
    expect(desk.locator("main")).to_contain_text("Sent, waiting for the provider")

    # The provider accepts.
    provider = signed_in(page, live_server, staff)
    provider.goto(f"{url}/en/cases/referrals/")
    accessible(provider)
    expect(provider.locator("main")).to_contain_text("ვახტანგ ლომიძე")
    provider.goto(f"{url}/en/cases/referrals/{Referral.objects.get().pk}/")
    accessible(provider)
    click_button(provider, "Accept")
    assert Referral.objects.get().status == "accepted"

    # The worker carries the plan out and asks for its review; the supervisor reviews.
    desk.goto(f"{url}/en/cases/{case.pk}/")
    expect(desk.locator("main")).to_contain_text("Accepted")
    click_button(desk, "Move to: Implementation")
    click_button(desk, "Move to: Review")
    boss = signed_in(page, live_server, supervisor)
    boss.goto(f"{url}/en/cases/")
    accessible(boss)
    expect(boss.locator("main")).to_contain_text("Caseload")
    boss.goto(f"{url}/en/cases/{case.pk}/")
    accessible(boss)
    click_button(boss, "Move to: Implementation")
    case.refresh_from_db()
    assert case.stage == "implementation"
    steps = list(case.events.values_list("kind", flat=True))
    assert steps[0] == "opened" and "referral" in steps and "answered" in steps
