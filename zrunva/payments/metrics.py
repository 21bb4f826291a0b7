"""Payrolls' Prometheus gauges (zrunva.core.metrics): the batch job's figures, payrolls by
approval step, and the latest month prepared and sent to the banks."""

from zrunva.core.metrics import counts_by, gauge, job_metrics, timestamp
from zrunva.payments.choices import SENT, PayrollStep
from zrunva.payments.models import Payroll


def metrics():
    live = Payroll.objects.exclude(step=PayrollStep.CANCELLED)
    latest = live.order_by("-month").values_list("month", flat=True).first()
    sent = live.filter(step__in=SENT).order_by("-month").values_list("month", flat=True).first()
    return [
        *job_metrics(Payroll, "payroll"),
        gauge(
            "zrunva_payrolls",
            "Payrolls by approval step.",
            counts_by(Payroll.objects.all(), "step", [s.value for s in PayrollStep]),
            labels=["step"],
        ),
        gauge(
            "zrunva_payroll_latest_month_timestamp_seconds",
            "The first day of the latest month with a payroll (not cancelled); 0 if none.",
            timestamp(latest),
        ),
        gauge(
            "zrunva_payroll_latest_sent_month_timestamp_seconds",
            "The first day of the latest month whose payroll went to the banks; 0 if none.",
            timestamp(sent),
        ),
    ]
