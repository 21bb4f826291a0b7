"""Demo users (one per role, password in the README) and a synthetic population. Debug mode only."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from zrunva.accounts.choices import Role
from zrunva.accounts.models import Organisation, User
from zrunva.geo.models import Municipality, Office
from zrunva.registry.models import Household

DEMO_PASSWORD = "Zrunva-demo-2026"  # noqa: S105 - printed in the README; debug mode only

# username, role, first name, last name, scope
DEMO_USERS = [
    # Staff of a Georgian agency, named as their colleagues write them, in Georgian letters.
    ("admin", Role.ADMIN, "ანა", "გოგიჩაიშვილი", {}),
    ("dpo", Role.DPO, "ქეთევან", "ლომიძე", {}),
    ("ssa", Role.SSA_OFFICER, "ნინო", "კვარაცხელია", {}),
    ("ssa_zugdidi", Role.SSA_OFFICER, "თამარ", "ჯანაშია", {"office": "ssa-zugdidi"}),
    ("social_worker", Role.SOCIAL_WORKER, "ლევან", "ნიჟარაძე", {"office": "sca-ge-im"}),
    ("supervisor", Role.SUPERVISOR, "ეკა", "ჩხეიძე", {"office": "sca-ge-im"}),
    ("municipal_kutaisi", Role.MUNICIPAL_OFFICER, "გიორგი", "გაბუნია", {"municipality": "kutaisi"}),
    ("provider", Role.SERVICE_PROVIDER, "მარიამ", "ხარაბაძე", {"organisation": True}),
    ("analyst", Role.ANALYST, "დავით", "ტაბიძე", {}),
    ("cso_monitor", Role.CSO_MONITOR, "ნათია", "ბერიძე", {"monitoring": True}),
]

# The demo monitor's organisation: an accredited civil-society organisation that assesses
# services in the municipalities it serves.
MONITORING_ORGANISATION = (
    "სადემონსტრაციო მონიტორინგის ორგანიზაცია",
    "Demo rights monitor (synthetic)",
)
MONITORED_MUNICIPALITIES = ["kutaisi", "tbilisi"]


class Command(BaseCommand):
    help = "Create the demo users and, if the registry is empty, a synthetic population."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, households, seed, **options):
        if not settings.DEBUG:
            raise CommandError(
                "demo_setup creates accounts with a public password: debug mode only."
            )
        with transaction.atomic():
            for username, role, first, last, scope in DEMO_USERS:
                self._user(username, role, first, last, scope)
        self.stdout.write(f"Demo users ready; password for all: {DEMO_PASSWORD}")
        from zrunva.demo.agencies import demo_agency

        agency, key = demo_agency()
        self.stdout.write(f"Demo agency {agency.name} ({agency.sender_id}); its DCI key: {key}")
        if Household.objects.exists():
            self.stdout.write("The registry already has households; no population generated.")
            return
        call_command("generate_population", households=households, seed=seed)
        call_command("generate_assessments", seed=seed, assessor="ssa")
        call_command("eligibility_run", user="admin")
        from zrunva.demo.applications import demo_applications

        self.stdout.write(f"{demo_applications(seed=seed):,} synthetic applications submitted.")
        from zrunva.demo.applications import demo_pension_in_bulk

        self.stdout.write(
            f"{demo_pension_in_bulk():,} people of pension age enrolled in the state pension in "
            "bulk from the run (asked by ssa, confirmed by admin)."
        )
        from zrunva.demo.grievances import demo_grievances

        self.stdout.write(f"{demo_grievances(seed=seed):,} synthetic grievances filed.")
        from zrunva.demo.payments import demo_payment_accounts, demo_payroll

        self.stdout.write(f"{demo_payment_accounts(seed=seed):,} synthetic payment accounts.")
        from zrunva.demo.services import demo_catalogue

        self.stdout.write(f"{demo_catalogue(seed=seed):,} synthetic services in the catalogue.")
        from zrunva.demo.services import demo_assessments

        self.stdout.write(
            f"{demo_assessments(seed=seed):,} synthetic assessments against the illustrative "
            "service standard."
        )
        from zrunva.demo.questionnaires import demo_survey

        self.stdout.write(f"{demo_survey(seed=seed):,} synthetic survey responses.")
        from zrunva.demo.cases import demo_cases

        self.stdout.write(f"{demo_cases(seed=seed):,} synthetic social work cases.")
        from zrunva.demo.integration import demo_imports

        self.stdout.write(
            f"{demo_imports(seed=seed):,} synthetic files from other registries read as dry "
            "runs, waiting to be committed (var/private/demo-imports/)."
        )
        from zrunva.demo.integration import demo_duplicates

        self.stdout.write(
            f"{demo_duplicates(seed=seed):,} possible duplicates found by record linkage, "
            "waiting for review (Possible duplicates)."
        )
        from zrunva.demo.simulation import demo_scenarios

        self.stdout.write(
            f"{demo_scenarios():,} saved reform scenarios for the analyst, simulated."
        )
        payroll = demo_payroll()
        if payroll is not None:
            self.stdout.write(
                f"Payroll #{payroll.pk} for {payroll.month:%Y-%m}: {payroll.summary['due']:,} "
                f"payments, {payroll.summary['due_total']} GEL, {payroll.summary['held']:,} held; "
                f"prepared by {payroll.prepared_by}, approved by {payroll.approved_by}, sent "
                f"to the banks and answered ({payroll.step}); one payment "
                "suspended and one overpayment waiting for approval."
            )
        call_command("refresh_analytics")

        from zrunva.demo.budgets import demo_budgets_and_report

        self.stdout.write(demo_budgets_and_report(seed=seed))

    def _user(self, username, role, first, last, scope):
        extra = {}
        if "office" in scope:
            extra["office"] = Office.objects.get(code=scope["office"])
        if "municipality" in scope:
            extra["municipality"] = Municipality.objects.get(code=scope["municipality"])
        if scope.get("organisation"):
            extra["organisation"], _ = Organisation.objects.get_or_create(
                name_en="Demo care provider (synthetic)",
                defaults={"name_ka": "სადემონსტრაციო მომწოდებელი"},
            )
        if scope.get("monitoring"):
            organisation, _ = Organisation.objects.get_or_create(
                name_en=MONITORING_ORGANISATION[1],
                defaults={"name_ka": MONITORING_ORGANISATION[0]},
            )
            organisation.municipalities.set(
                Municipality.objects.filter(code__in=MONITORED_MUNICIPALITIES)
            )
            extra["organisation"] = organisation
        user, created = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "first_name": first,
                "last_name": last,
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
                **extra,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
