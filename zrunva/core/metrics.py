"""The domain's own Prometheus metrics, computed when Prometheus scrapes `/metrics`.

Each app registers, from its `AppConfig.ready()`, a provider: a function that takes no argument
and returns Prometheus metric families (`gauge(...)`), each from a cheap aggregate query (a
count by status, the latest row of a small table). `DomainCollector` calls them on every
scrape, so the figures are the database's, whichever web process answers, and nothing is
kept in memory between scrapes. `core` knows no domain app: the apps come to it.

Labels are statuses, steps and job names, never anything about a person.

A provider that fails (a missing table during an upgrade, a lock timeout) is logged and shown
as `zrunva_metrics_provider_up{provider="…"} 0`; the other providers' figures are still served.
"""

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, time

from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django_prometheus import middleware as django_prometheus_middleware
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import CollectorRegistry

from zrunva.core import extensions
from zrunva.core.jobs import Job, JobStatus

logger = logging.getLogger(__name__)

Provider = Callable[[], Iterable[Metric]]

# Prometheus gives up on a scrape after 10 s by default; one provider's queries get half that.
SCRAPE_TIMEOUT_MS = 5000


def register(key: str, provider: Provider, *, order: int = 50) -> None:
    """Add an app's provider (called on every scrape) under `key`, its `provider` label."""
    extensions.register("metrics", key, provider, order=order)


def gauge(name: str, documentation: str, samples, *, labels: Iterable[str] = ()) -> Metric:
    """A gauge family: `samples` is a number (no labels) or {label values tuple: number}."""
    labels = list(labels)
    family = GaugeMetricFamily(name, documentation, labels=labels or None)
    if not labels:
        family.add_metric([], samples)
        return family
    for values, value in samples.items():
        family.add_metric([str(v) for v in values], value)
    return family


def counts_by(qs: QuerySet, field: str, choices: Iterable[str] = ()) -> dict[tuple, int]:
    """How many rows of `qs` have each value of `field`, in one GROUP BY; every value of
    `choices` appears, with 0 when no row has it (a series that vanishes is not a zero)."""
    found = dict.fromkeys(choices, 0)
    for row in qs.order_by().values(field).annotate(n=Count("pk")):
        found[row[field]] = row["n"]
    return {(value,): n for value, n in found.items()}


def timestamp(moment: datetime | date | None) -> float:
    """Seconds since the epoch (Prometheus' way of giving a time); 0 for none. A date is taken
    at its midnight in the project's time zone."""
    if moment is None:
        return 0.0
    if not isinstance(moment, datetime):
        moment = timezone.make_aware(datetime.combine(moment, time()))
    return moment.timestamp()


def job_metrics(model: type[Job], job: str) -> list[Metric]:
    """A batch job's figures (`zrunva.core.jobs`): its rows by status, and the latest one's
    status, with its duration and end if it has ended. Three small queries on the job table."""
    statuses = [s.value for s in JobStatus]
    by_status = counts_by(model.objects.all(), "status", statuses)
    latest = model.objects.order_by("-created_at", "-pk").first()
    ended = (
        model.objects.filter(status__in=[JobStatus.DONE, JobStatus.FAILED])
        .exclude(started_at=None)
        .exclude(finished_at=None)
        .order_by("-finished_at", "-pk")
        .only("started_at", "finished_at")
        .first()
    )
    duration = (ended.finished_at - ended.started_at).total_seconds() if ended else 0.0
    return [
        gauge(
            "zrunva_jobs",
            "Batch jobs by kind and status.",
            {(job, status): n for (status,), n in by_status.items()},
            labels=["job", "status"],
        ),
        gauge(
            "zrunva_job_latest_status",
            "1 for the status of the latest job of each kind (0 for the other statuses).",
            {(job, s): int(latest is not None and latest.status == s) for s in statuses},
            labels=["job", "status"],
        ),
        gauge(
            "zrunva_job_last_duration_seconds",
            "Seconds from start to end of the latest job of each kind that ended (done or "
            "failed); 0 if none has.",
            {(job,): duration},
            labels=["job"],
        ),
        gauge(
            "zrunva_job_last_finished_timestamp_seconds",
            "When the latest job of each kind that ended did (seconds since the epoch); 0 if "
            "none has.",
            {(job,): timestamp(ended.finished_at if ended else None)},
            labels=["job"],
        ),
    ]


def guarded(provider: Provider) -> list[Metric]:
    """A provider's metrics, in a transaction of its own (a savepoint inside one), so that a
    failed query leaves the others' working; on PostgreSQL its statements are cut off after
    SCRAPE_TIMEOUT_MS, so scrapes of a slow database do not pile up behind each other."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(SCRAPE_TIMEOUT_MS)}")
        return list(provider())


class DomainCollector:
    """Calls every registered provider on each scrape (prometheus_client's Collector)."""

    def collect(self) -> Iterable[Metric]:
        up: dict[tuple, int] = {}
        families: dict[str, Metric] = {}
        for extension in extensions.registered("metrics"):
            try:
                found = guarded(extension.value)
            except Exception:
                logger.exception("metrics provider %s failed", extension.key)
                up[(extension.key,)] = 0
                continue
            up[(extension.key,)] = 1
            # Two providers may give the same family (two kinds of job): one family, both
            # providers' samples, since a name appears once in the exposition.
            for family in found:
                if family.name in families:
                    families[family.name].samples.extend(family.samples)
                else:
                    families[family.name] = family
        yield from families.values()
        yield gauge(
            "zrunva_metrics_provider_up",
            "1 if the provider's queries answered on this scrape, 0 if they failed.",
            up,
            labels=["provider"],
        )


# The domain's gauges live in their own registry, outside prometheus_client's default one:
# those are per process (and, with PROMETHEUS_MULTIPROC_DIR, collected from the files of
# every gunicorn worker), these are the database's, collected once per scrape.
domain_registry = CollectorRegistry(auto_describe=False)
domain_registry.register(DomainCollector())


class PrometheusAfterMiddleware(django_prometheus_middleware.PrometheusAfterMiddleware):
    """django-prometheus' middleware, with the `method` label always one of HTTP's methods.
    Its latency histogram takes the method as the client sent it, and each method a client
    invents would add series to every process's memory until it restarts."""

    def label_metric(self, metric, request, response=None, **labels):
        if "method" in labels:
            labels["method"] = self._method(request)
        return super().label_metric(metric, request, response, **labels)
