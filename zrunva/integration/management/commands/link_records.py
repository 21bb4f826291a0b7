"""Search the registry (or a municipality) for duplicates with the linkage model, as the page's
*Search for duplicates* does, with a progress bar: the pairs found wait in the review queue."""

import json

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from zrunva.core.jobs import progress_bar
from zrunva.core.trail import attempt_log
from zrunva.geo.models import Municipality
from zrunva.integration.linkage import linkage_execute, linkage_start


class Command(BaseCommand):
    help = "Search for duplicate people with the record-linkage model."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="who runs it (a username)")
        parser.add_argument(
            "--municipality", help="a municipality's code; the whole registry if none"
        )
        parser.add_argument("--train", action="store_true", help="train a new model first")

    def handle(self, *args, user, municipality, train, **options):
        try:
            actor = get_user_model().objects.get(username=user)
            area = Municipality.objects.get(code=municipality) if municipality else None
        except (get_user_model().DoesNotExist, Municipality.DoesNotExist) as error:
            raise CommandError(str(error)) from error
        try:
            run = linkage_start(actor=actor, municipality=area, train=train, enqueue=False)
            with progress_bar(quiet=options["verbosity"] == 0) as progress:
                run = linkage_execute(run=run, progress=progress)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        except PermissionDenied as error:
            attempt_log(actor=actor, status=403, reason=str(error))
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps({"run": run.pk, **run.summary}))
