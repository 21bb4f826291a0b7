"""The public budget and monitoring pages in Chromium, checked by axe-core (WCAG 2.1 AA)."""

from datetime import date
from decimal import Decimal

import pytest

from zrunva.accounts.choices import Role
from zrunva.analytics import services_monitoring as services
from zrunva.analytics.models import BudgetLine
from zrunva.analytics.tests import factories_budgets as f
from zrunva.core.tests.accessibility import accessible
from zrunva.geo.models import Municipality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_public_reads_a_budget_and_a_monitoring_report(live_server, page, make_user):
    kutaisi = Municipality.objects.get(code="kutaisi")
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    monitor = make_user(Role.CSO_MONITOR, organisation=f.monitoring_organisation("kutaisi"))
    programme = f.municipal_programme("kutaisi_homes")
    january = f.payroll(officer, date(2026, 1, 1), "reconciled")
    for household in range(1, 13):
        f.pay(january, programme, household=household, amount="50.00", status="paid")
    BudgetLine.objects.create(
        municipality=kutaisi,
        year=2026,
        programme=programme,
        planned=Decimal("2000"),
        entered_by=officer,
    )
    BudgetLine.objects.create(
        municipality=kutaisi,
        year=2026,
        name_ka="სამედიცინო დახმარება",
        name_en="Medical aid",
        planned=Decimal("5000"),
        illustrative=True,
        entered_by=officer,
    )
    report = services.report_save(
        actor=monitor,
        report=None,
        data={
            "municipality": kutaisi,
            "subject": "programmes",
            "title": "Kutaisi's social programmes",
            "findings": "Payments were late in March.",
        },
    )
    recommendation = services.recommendation_add(actor=monitor, report=report, text="Pay on time.")
    services.report_publish(actor=monitor, report=report)
    services.recommendation_answer(
        actor=officer, recommendation=recommendation, answer="accepted", reasons="Agreed."
    )

    page.goto(f"{live_server.url}/en/open/budgets/kutaisi/?year=2026")
    assert page.locator("tbody tr").first.locator("th").inner_text().startswith("Medical aid")
    assert "\t30%\t" in page.locator("table").first.inner_text()  # 600 of 2 000
    accessible(page)
    page.goto(f"{live_server.url}/open/monitoring/{report.number}/")
    assert "Pay on time." in page.content()
    accessible(page)
    page.goto(f"{live_server.url}/open/monitoring/municipality/kutaisi/")
    accessible(page)
