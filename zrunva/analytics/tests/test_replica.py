"""The read replica (issue 19, item 5), with the `replica` alias on the test database itself
(config/settings/test.py): the dashboards and the open data read from the replica, every
write and what a user is shown after writing from the primary, and nothing from the replica
when none is configured."""

import runpy
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.analytics.models import BenefitMonth, BudgetLine
from zrunva.core.db import reading_replica
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme

pytestmark = pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=["default", "replica"]
)
MONTH = date(2026, 11, 1)
BASE_SETTINGS = Path(__file__).resolve().parents[3] / "config" / "settings" / "base.py"


@pytest.fixture
def replica(settings):
    settings.DATABASE_REPLICA = "replica"
    return settings


@pytest.fixture
def paid():
    kutaisi = Municipality.objects.get(code="kutaisi")
    BenefitMonth.objects.create(
        month=MONTH,
        municipality=kutaisi,
        programme=Programme.objects.get(code="tsa"),
        source="payments",
        recipients=40,
        households=40,
        amount=Decimal("2400.00"),
    )
    return kutaisi


class Captured:
    """The SQL each alias ran inside the block."""

    def __enter__(self):
        self.contexts = {
            alias: CaptureQueriesContext(connections[alias]) for alias in ("default", "replica")
        }
        for context in self.contexts.values():
            context.__enter__()
        return self

    def __exit__(self, *exc):
        for context in self.contexts.values():
            context.__exit__(*exc)

    def sql(self, alias: str) -> list[str]:
        return [q["sql"] for q in self.contexts[alias].captured_queries]


def _writes(queries: list[str]) -> list[str]:
    return [q for q in queries if q.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")]


def test_the_staff_dashboard_reads_the_figures_from_the_replica_and_audits_on_the_primary(
    replica, paid, login_as
):
    analyst = login_as(Role.ANALYST)
    with Captured() as api:
        answer = analyst.get("/api/v1/analytics/indicators?first=2026-11&last=2026-11")
    assert answer.status_code == 200, answer.content
    assert any("analytics_benefitmonth" in q for q in api.sql("replica"))
    assert any("auditlog_logentry" in q for q in _writes(api.sql("default")))
    with Captured() as captured:
        page = analyst.get("/en/analytics/?first=2026-11&last=2026-11")
    assert page.status_code == 200
    assert b"2,400" in page.content or b"2 400" in page.content or b"2400" in page.content
    on_replica = captured.sql("replica")
    assert any("analytics_benefitmonth" in q for q in on_replica), on_replica
    assert _writes(on_replica) == []
    on_primary = captured.sql("default")
    # The reading of the figures was audited, on the primary; the session and the user's
    # grants were read there too.
    assert any("auditlog_logentry" in q for q in _writes(on_primary)), on_primary
    assert any("django_session" in q for q in on_primary)
    assert any("accounts_user" in q for q in on_primary)
    assert not any("accounts_user" in q or "django_session" in q for q in on_replica)


def test_the_open_pages_and_their_files_read_from_the_replica(replica, paid):
    client = Client()
    for url in (
        "/en/open/?first=2026-11&last=2026-11",
        "/en/open/?first=2026-11&last=2026-11&format=csv&table=programmes",
        "/en/open/budgets/",
        "/en/open/monitoring/",
        "/api/v1/open/indicators?first=2026-11&last=2026-11",
    ):
        with Captured() as captured:
            response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        assert captured.sql("replica"), url
        assert _writes(captured.sql("replica")) == [], url
        # Only the cache (the rendered page, read and written) reached the primary.
        assert all("zrunva_cache" in q for q in captured.sql("default")), captured.sql("default")


def test_nothing_reaches_the_replica_when_none_is_configured(settings, paid, login_as):
    settings.DATABASE_REPLICA = ""
    analyst = login_as(Role.ANALYST)
    with Captured() as captured:
        assert analyst.get("/en/analytics/?first=2026-11&last=2026-11").status_code == 200
        assert Client().get("/en/open/?first=2026-11&last=2026-11").status_code == 200
        with reading_replica():
            assert BenefitMonth.objects.count() == 1
    assert captured.sql("replica") == []
    assert any("analytics_benefitmonth" in q for q in captured.sql("default"))


def test_the_settings_name_the_replica_only_when_its_url_is_set(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)
    unset = runpy.run_path(str(BASE_SETTINGS))
    assert unset["DATABASE_REPLICA"] == "" and "replica" not in unset["DATABASES"]
    assert unset["DATABASE_ROUTERS"] == ["zrunva.core.db.ReplicaRouter"]
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://reader@replica.example:5432/zrunva")
    configured = runpy.run_path(str(BASE_SETTINGS))
    assert configured["DATABASE_REPLICA"] == "replica"
    assert configured["DATABASES"]["replica"]["HOST"] == "replica.example"


def test_a_budget_line_saved_is_written_and_shown_from_the_primary(replica, login_as):
    """Read-your-own-write: the POST writes on the primary and the page it redirects to, which
    shows the new line, reads from the primary too."""
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    body = {"name_ka": "სამედიცინო", "name_en": "Medical", "planned": "5000", "source": ""}
    with Captured() as captured:
        response = officer.post(reverse("analytics:budget_line_add", args=["kutaisi", 2026]), body)
        assert response.status_code == 302
        page = officer.get(response["Location"])
    assert page.status_code == 200 and "Medical" in page.content.decode()
    assert captured.sql("replica") == []
    assert any("analytics_budgetline" in q for q in _writes(captured.sql("default")))
    assert BudgetLine.objects.get().planned == Decimal("5000")


def test_inside_a_replica_block_writes_go_to_the_primary_and_reads_follow_them(replica, paid):
    with Captured() as captured, reading_replica():
        assert BenefitMonth.objects.count() == 1  # the replica
        BenefitMonth.objects.filter(municipality=paid).update(recipients=41)
        # Once written, the block reads its own write from the primary.
        assert BenefitMonth.objects.get(municipality=paid).recipients == 41
    on_replica, on_primary = captured.sql("replica"), captured.sql("default")
    assert len(on_replica) == 1 and "COUNT" in on_replica[0].upper()
    assert _writes(on_replica) == []
    assert _writes(on_primary) and any(q.startswith("SELECT") for q in on_primary)


def test_inside_a_transaction_reads_stay_on_the_primary(replica, paid):
    with Captured() as captured, reading_replica(), transaction.atomic():
        assert BenefitMonth.objects.count() == 1
    assert captured.sql("replica") == []
    assert any("analytics_benefitmonth" in q for q in captured.sql("default"))


def test_the_router_writes_and_migrates_on_the_primary_only(replica, paid):
    from django.db import router

    with reading_replica():
        assert router.db_for_read(BenefitMonth) == "replica"
        assert router.db_for_read(Municipality) == "replica"
        from django.contrib.sessions.models import Session

        assert router.db_for_read(Session) == "default"  # never a stale session
        assert router.db_for_write(BenefitMonth) == "default"
        assert router.db_for_read(BenefitMonth) == "default"  # after the write, the primary
    assert router.db_for_read(BenefitMonth) == "default"  # outside a block
    assert router.allow_migrate("replica", "analytics") is False
    assert router.allow_migrate("default", "analytics") is not False
    read = BenefitMonth.objects.using("replica").get()
    assert router.allow_relation(read, Municipality.objects.get(pk=paid.pk))
