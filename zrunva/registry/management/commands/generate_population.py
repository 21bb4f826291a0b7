from django.core.management.base import BaseCommand, CommandError

from zrunva.registry.population import CHUNK, population_generate


class Command(BaseCommand):
    help = (
        "Generate a reproducible synthetic population (households, people, memberships, incomes) "
        "over all municipalities and load it in batches. The same seed gives the same people."
    )

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, required=True)
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument(
            "--batch",
            type=int,
            default=50_000,
            help=f"Households per transaction, rounded up to whole chunks of {CHUNK:,}.",
        )

    def handle(self, *args, households, seed, batch, verbosity, **options):
        if households < 1 or batch < 1 or seed < 0:
            raise CommandError("Households and batch must be positive, the seed not negative.")
        result = population_generate(
            households=households, seed=seed, batch=batch, progress=verbosity > 0
        )
        self.stdout.write(
            f"{result['households']:,} households, {result['people']:,} people, "
            f"{result['memberships']:,} memberships, {result['incomes']:,} incomes "
            f"in {result['seconds']:.1f} s ({result['villages']} synthetic villages created)."
        )
