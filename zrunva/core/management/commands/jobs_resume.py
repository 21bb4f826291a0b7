from django.apps import apps
from django.core.management.base import BaseCommand

from zrunva.core.jobs import Job, JobStatus, job_interrupted, job_requeue


class Command(BaseCommand):
    help = (
        "Queue again every batch job (eligibility run, payroll, import, linkage, simulation) "
        "marked running whose worker is gone: on PostgreSQL at once (no session holds its "
        "execution lock), elsewhere after core.jobs.STALE. Safe to run from cron every few "
        "minutes beside live workers: a job still running is left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the interrupted jobs; queue nothing."
        )

    def handle(self, *args, dry_run, **options):
        queued = 0
        for model in apps.get_models():
            if not issubclass(model, Job) or not model.TASK:
                continue
            for job in model.objects.filter(status=JobStatus.RUNNING).order_by("pk"):
                if dry_run:
                    if job_interrupted(job):
                        self.stdout.write(f"{model._meta.label} #{job.pk}: interrupted")
                    continue
                if job_requeue(job):
                    queued += 1
                    self.stdout.write(f"{model._meta.label} #{job.pk}: queued again")
        if not dry_run:
            self.stdout.write(f"{queued} interrupted job(s) queued again.")
