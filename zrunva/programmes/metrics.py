"""Eligibility runs' Prometheus gauges (zrunva.core.metrics): the batch job's figures (runs by
status, the latest run's status, duration and end)."""

from zrunva.core.metrics import job_metrics
from zrunva.programmes.models import Run


def metrics():
    return job_metrics(Run, "eligibility_run")
