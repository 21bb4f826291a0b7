"""Prometheus' /metrics: the domain's gauges against fixtures, who may read the page, and what a
scrape costs the database."""

import os
import subprocess
import sys
from datetime import date, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from zrunva.accounts.choices import Role
from zrunva.applications.models import Application
from zrunva.core import extensions, metrics
from zrunva.core.jobs import JobStatus
from zrunva.grievances.models import Grievance
from zrunva.grievances.tests.factories import application, grievance
from zrunva.notifications.models import Message, MessageStatus
from zrunva.notifications.tests.factories import queued_message
from zrunva.payments.choices import PayrollStep
from zrunva.payments.models import Payroll
from zrunva.programmes.models import Run

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-scrape-token-0f9a8b7c6d5e4f3a2b1c"


def scrape(client, **extra) -> dict[tuple, float]:
    """The page's samples as {(name, (label, value), …): value}."""
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, *sorted(sample.labels.items()))] = sample.value
    return found


def _late(model, pk, days=3):
    model.objects.filter(pk=pk).update(due_date=timezone.localdate() - timedelta(days=days))


@pytest.fixture
def domain(make_user):
    """Two overdue grievances and one not yet due; one overdue application; a message waiting
    and one failed; an eligibility run done in 90 s then one queued; payrolls at two steps."""
    late = [grievance(), grievance()]
    for each in late:
        _late(Grievance, each.pk)
    grievance()
    submitted = application()
    _late(Application, submitted.pk)
    waiting = queued_message()
    Message.objects.filter(pk=waiting.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=10)
    )
    failed = queued_message(channel="email", to="someone@example.ge")
    Message.objects.filter(pk=failed.pk).update(status=MessageStatus.FAILED)
    officer = make_user(Role.ADMIN)
    started = timezone.now() - timedelta(hours=2)
    Run.objects.create(
        on=date(2026, 11, 1),
        started_by=officer,
        status=JobStatus.DONE,
        started_at=started,
        finished_at=started + timedelta(seconds=90),
    )
    Run.objects.create(on=date(2026, 12, 1), started_by=officer)
    for month, step in ((date(2026, 10, 1), PayrollStep.EXPORTED), (date(2026, 11, 1), "checked")):
        Payroll.objects.create(month=month, step=step, prepared_by=officer, status=JobStatus.DONE)
    return {"grievances": late}


def test_the_domains_gauges_count_the_fixtures(client, domain):
    found = scrape(client)
    assert found[("zrunva_grievances_overdue",)] == 2
    assert found[("zrunva_grievances", ("status", "open"))] == 3
    assert found[("zrunva_grievances", ("status", "resolved"))] == 0
    assert found[("zrunva_applications_overdue",)] == 1
    assert found[("zrunva_applications_open", ("status", "submitted"))] == 1
    assert found[("zrunva_applications_open", ("status", "assessed"))] == 0
    assert found[("zrunva_outbox_messages", ("status", "pending"))] >= 1
    assert found[("zrunva_outbox_messages", ("status", "failed"))] == 1
    assert found[("zrunva_outbox_oldest_due_seconds",)] >= 600
    run = ("job", "eligibility_run")
    assert found[("zrunva_jobs", run, ("status", "done"))] == 1
    assert found[("zrunva_jobs", run, ("status", "queued"))] == 1
    assert found[("zrunva_job_latest_status", run, ("status", "queued"))] == 1
    assert found[("zrunva_job_latest_status", run, ("status", "done"))] == 0
    assert found[("zrunva_job_last_duration_seconds", run)] == 90
    assert found[("zrunva_payrolls", ("step", "checked"))] == 1
    assert found[("zrunva_payrolls", ("step", "exported"))] == 1
    assert found[("zrunva_jobs", ("job", "payroll"), ("status", "done"))] == 2
    november = timezone.make_aware(datetime(2026, 11, 1)).timestamp()
    october = timezone.make_aware(datetime(2026, 10, 1)).timestamp()
    assert found[("zrunva_payroll_latest_month_timestamp_seconds",)] == november
    assert found[("zrunva_payroll_latest_sent_month_timestamp_seconds",)] == october
    assert found[("zrunva_metrics_provider_up", ("provider", "grievances"))] == 1
    # Request metrics of this process, from django-prometheus' middleware.
    assert any(key[0] == "django_http_requests_total_by_method_total" for key in found)


def test_answering_a_grievance_takes_it_off_the_overdue_gauge(client, domain):
    Grievance.objects.filter(pk=domain["grievances"][0].pk).update(status="resolved")
    assert scrape(client)[("zrunva_grievances_overdue",)] == 1


def test_no_label_holds_personal_data(client, domain):
    """Labels are statuses, steps, job and provider names: no number, name or address."""
    response = client.get("/metrics")
    # The labels' values, not the samples' (a latency sum may hold any digits).
    labels = {
        value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
        for value in sample.labels.values()
    }
    assert labels  # statuses, steps, views: the scrape has labels to look at
    for value in ("01001012345", "555", "someone@example.ge", "ნინო", "ბერიძე"):
        assert not [label for label in labels if value in label]


def _reads(captured) -> list[str]:
    # The queries that read: each provider's savepoint and time limit are not counted.
    return [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().startswith("SELECT")]


def test_a_scrape_costs_the_same_few_queries_however_many_rows(client, domain):
    with CaptureQueriesContext(connection) as filled:
        scrape(client)
    for _ in range(5):
        grievance()
        queued_message()
    with CaptureQueriesContext(connection) as more:
        scrape(client)
    assert len(_reads(filled)) == len(_reads(more)) <= 20
    assert len(filled.captured_queries) == len(more.captured_queries)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement_timeout: PostgreSQL")
def test_a_slow_provider_is_cut_off_and_the_others_still_served(client, domain, monkeypatch):
    def slow():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(5)")
        return []

    monkeypatch.setattr(metrics, "SCRAPE_TIMEOUT_MS", 100)
    slot = dict(extensions._slots["metrics"])
    monkeypatch.setitem(extensions._slots, "metrics", slot)
    extensions.register("metrics", "slow", slow, order=1)
    found = scrape(client)
    assert found[("zrunva_metrics_provider_up", ("provider", "slow"))] == 0
    assert found[("zrunva_grievances_overdue",)] == 2


def test_a_failing_provider_is_reported_and_the_others_still_served(
    client, domain, monkeypatch, caplog
):
    def broken():
        raise RuntimeError("no such table")

    slot = dict(extensions._slots["metrics"])
    monkeypatch.setitem(extensions._slots, "metrics", slot)
    extensions.register("metrics", "broken", broken)
    found = scrape(client)
    assert found[("zrunva_metrics_provider_up", ("provider", "broken"))] == 0
    assert found[("zrunva_grievances_overdue",)] == 2
    assert "metrics provider broken failed" in caplog.text


# -- Who may read it -----------------------------------------------------------------------


def test_loopback_reads_it_and_another_address_gets_a_plain_404(client):
    assert client.get("/metrics").status_code == 200
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 404
    assert b"zrunva_" not in refused.content
    # The same answer as for a page that does not exist: nothing to learn from it.
    assert client.get("/metrix", REMOTE_ADDR="203.0.113.7").status_code == 404


def test_through_the_proxy_loopback_is_not_enough(client):
    """Behind a proxy on the same host every visitor comes from loopback."""
    response = client.get("/metrics", HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert response.status_code == 404


def test_an_allowed_network(client, settings):
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_the_token_from_anywhere_and_a_wrong_one_nowhere(client, settings):
    settings.METRICS_TOKEN = TOKEN
    far = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **far).status_code == 200
    wrong = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x", **far)
    assert wrong.status_code == 404
    # A wrong token is refused even from an allowed address: it is a mistake to see.
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 404
    assert client.get("/metrics", **far).status_code == 404


def test_no_token_configured_means_no_token_accepted(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 404


def test_only_get_and_a_stranger_cannot_tell_the_page_exists_by_posting(client):
    assert client.post("/metrics").status_code == 405
    assert client.post("/metrics", REMOTE_ADDR="203.0.113.7").status_code == 404


def test_a_made_up_method_adds_no_series(client):
    """Every label's values are bounded: a client inventing HTTP methods cannot grow memory."""
    client.generic("BREW", "/portal/")
    text = client.get("/metrics").content.decode()
    assert 'method="<invalid method>"' in text and "BREW" not in text


def test_with_several_gunicorn_workers_their_files_are_read(client, monkeypatch, tmp_path):
    """PROMETHEUS_MULTIPROC_DIR: the request metrics come from the workers' files (none yet
    here), this process's own collectors are left out, and the domain's gauges are there."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    found = scrape(client)
    assert ("zrunva_grievances_overdue",) in found
    assert not any(key[0].startswith(("python_gc_", "django_http_")) for key in found)


def _production(**env) -> subprocess.CompletedProcess:
    """Import config.settings.production in a fresh interpreter with a production
    environment and `env`: what it prints, or the error it stops with."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_DEBUG", "LOG_FORMAT"}}
    clean.update({"SECRET_KEY": "k" * 64, "DJANGO_SETTINGS_MODULE": "", **env})
    code = "import config.settings.production as p; print(p.LOG_FORMAT, p.METRICS_ALLOWED_IPS)"
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
    )


def test_production_logs_json_and_refuses_a_short_token_or_a_bad_address():
    assert _production().stdout.split(maxsplit=1) == ["json", "['127.0.0.1', '::1']\n"]
    short = _production(METRICS_TOKEN="tiny")
    assert "METRICS_TOKEN must be at least 32 random characters, or empty." in short.stderr
    bad = _production(METRICS_ALLOWED_IPS="10.0.0.0/8,prometheus")
    assert "METRICS_ALLOWED_IPS: 'prometheus' does not appear to be an IPv4 or IPv6" in bad.stderr
