from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from zrunva.accounts import permissions
from zrunva.assessment.models import Assessment
from zrunva.assessment.population import assessments_generate
from zrunva.core.trail import bulk_run_log
from zrunva.registry.models import Household


class Command(BaseCommand):
    help = (
        "Give households that have no assessment a synthetic home visit, scored from their "
        "registry data (demo and benchmark registries). Reproducible for a seed; re-running "
        "adds nothing for households already assessed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument("--assessor", required=True, help="Username of an SSA officer.")
        parser.add_argument("--share", type=float, default=0.9, help="Share of households visited.")

    def handle(self, *args, seed, assessor, share, verbosity, **options):
        user = get_user_model().objects.filter(username=assessor).first()
        if user is None or not permissions.has_perm(user, permissions.ASSESSMENT_RECORD):
            raise CommandError(f"{assessor!r} is not a user who may record assessments.")
        if not 0 < share <= 1:
            raise CommandError("The share must be above 0 and at most 1.")
        total = Household.objects.count()
        with tqdm(total=total, unit="household", disable=verbosity == 0) as bar:
            written = assessments_generate(
                assessor=user, seed=seed, share=share, progress=bar.update
            )
        bulk_run_log(
            actor=user,
            model=Assessment,
            job="generate_assessments",
            counts={"assessments": written, "seed": seed},
        )
        self.stdout.write(f"{written:,} synthetic assessments written.")
