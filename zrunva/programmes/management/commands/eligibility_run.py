from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zrunva.core.jobs import progress_bar
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Run
from zrunva.programmes.runs import can_start, run_execute, run_start


class Command(BaseCommand):
    help = (
        "Evaluate every programme in force for the whole registry (or one municipality) as of a "
        "date and store the decisions that changed, here and now rather than on the worker."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--user", required=True, help="Username of the staff member running it."
        )
        parser.add_argument("--on", type=date.fromisoformat, help="As of (YYYY-MM-DD); today.")
        parser.add_argument("--municipality", help="A municipality code, e.g. kutaisi.")
        parser.add_argument(
            "--resume",
            type=int,
            metavar="RUN",
            help="Execute an existing run that failed or was interrupted, instead of a new one.",
        )

    def handle(self, *args, user, on, municipality, resume, verbosity, **options):
        actor = get_user_model().objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"No user {user!r}.")
        if resume is not None:
            run = Run.objects.filter(pk=resume).first()
            if run is None or not can_start(actor, run.municipality_id):
                raise CommandError(f"No run #{resume} that {user} may execute.")
            return self._execute(run, verbosity)
        place = None
        if municipality:
            place = Municipality.objects.filter(code=municipality).first()
            if place is None:
                raise CommandError(f"No municipality with the code {municipality!r}.")
        try:
            run = run_start(
                actor=actor, on=on or timezone.localdate(), municipality=place, enqueue=False
            )
        except (PermissionDenied, ValidationError) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from error
        self._execute(run, verbosity)

    def _execute(self, run, verbosity):
        with progress_bar(quiet=verbosity == 0) as progress:
            try:
                run = run_execute(run=run, progress=progress)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        s = run.summary
        self.stdout.write(
            f"Run #{run.pk} as of {run.on}: {s['households']:,} households, {s['people']:,} "
            f"people; {s['changed']:,} decisions changed ({s['gained']:,} gained, "
            f"{s['lost']:,} lost) in {s['seconds']} s."
        )
        for row in s["programmes"]:
            errors = f", {row['errors']:,} errors" if row.get("errors") else ""
            self.stdout.write(
                f"  {row['code']}: {row['eligible']:,} eligible, {row['needs_data']:,} need data"
                f"{errors}, {Decimal(row['amount']):,.2f} GEL a month"
            )
        for skipped in s.get("skipped", []):
            self.stderr.write(
                f"  {skipped['code']} ({skipped['municipality']}) not evaluated: {skipped['error']}"
            )
