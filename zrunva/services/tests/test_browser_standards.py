"""One browser journey of service standards: a CSO monitor scores a service (a score out of
range refused at its field, then fixed) and submits; the service's public page shows the
summary. axe-core checks each page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from zrunva.accounts.choices import Role
from zrunva.core.tests.accessibility import accessible
from zrunva.core.tests.browser import signed_in
from zrunva.geo.models import Municipality
from zrunva.services.models import Assessment
from zrunva.services.tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_monitor_assesses_a_service_and_the_public_sees_the_summary(live_server, page, make_user):
    provider = factories.provider(organisation=factories.organisation("Open Hands"))
    service = factories.service(provider, name_ka="დღის ცენტრი", name_en="Day centre")
    organisation = factories.organisation("Rights Watch")
    organisation.municipalities.set(Municipality.objects.filter(code="kutaisi"))
    monitor = make_user(Role.CSO_MONITOR, organisation=organisation)
    desk = signed_in(page, live_server, monitor)
    desk.goto(f"{live_server.url}/services/assessments/")
    accessible(desk)
    with desk.expect_navigation():
        desk.locator("main a.button").click()
    desk.select_option("#id_service", str(service.pk))
    desk.fill("#id_visit_date", (timezone.localdate() - timedelta(days=3)).isoformat())
    with desk.expect_navigation():
        desk.locator("main form button[type=submit]").click()
    scores = desk.locator("input[name^=score_]")
    count = scores.count()
    assert count == 13
    for n in range(count):
        scores.nth(n).fill("2")
    scores.first.fill("7")
    with desk.expect_navigation():
        desk.locator("button[name=submit]").click()
    expect(desk.locator(".error-summary")).to_contain_text("მიუთითეთ ქულა 0-დან 3-მდე.")
    accessible(desk)
    assert not Assessment.objects.filter(status="submitted").exists()
    desk.locator("input[name^=score_]").first.fill("2")
    with desk.expect_navigation():
        desk.locator("button[name=submit]").click()
    expect(desk.locator("main")).to_contain_text("67%")
    accessible(desk)
    page.goto(f"{live_server.url}/en/portal/services/{service.pk}/")
    expect(page.locator("#assessment-heading")).to_have_text(
        "Independent assessment against a service standard"
    )
    expect(page.locator("main")).to_contain_text("Total: 67% of the highest possible score.")
    accessible(page)
