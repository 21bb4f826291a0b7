"""Synthetic municipal social budgets and one civil-society monitoring report.

The amounts are ILLUSTRATIVE (each line is marked so and the pages say it): made up in
proportion to each municipality's population, not taken from any council's resolution. Lines
are entered through the same service as the screens, by Kutaisi's demo officer for Kutaisi and
by the demo administrator elsewhere; the report is written, published and answered through the
monitoring services, by the demo monitor (whose organisation serves Kutaisi) and Kutaisi's
officer."""

import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from zrunva.analytics import services_budgets, services_monitoring
from zrunva.analytics.models import BudgetLine, MonitoringReport
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme

# Municipalities with a demo budget, and who enters it.
PLACES = {"kutaisi": "municipal_kutaisi", "zugdidi": "admin", "tbilisi": "admin", "batumi": "admin"}
# Lines of the kind municipal social budgets hold: Georgian, English, GEL per inhabitant a year
# (illustrative).
LINES = [
    ("ერთჯერადი მატერიალური დახმარება", "One-off financial assistance", 6),
    ("მრავალშვილიანი ოჯახების დახმარება", "Assistance to large families", 4),
    ("სამედიცინო მომსახურების თანადაფინანსება", "Co-financing of medical care", 9),
    ("უფასო სასადილო", "Soup kitchen", 2),
    ("შშმ პირთა დახმარება", "Support for persons with disabilities", 3),
]
SOURCE = "Illustrative (synthetic demo data), not a council resolution"
# Scenario values: how much the amounts differ from place to place and year to year.
SPREAD = (0.7, 1.3)


def demo_budgets(*, seed: int = 2026) -> int:
    """Two years of planned social budgets for each of PLACES (skipped if any budget exists),
    plus a line per municipal programme of those places (its own budget). Returns the lines."""
    if BudgetLine.objects.exists():
        return 0
    rng = random.Random(seed)
    users = get_user_model().objects
    year = timezone.localdate().year
    count = 0
    for code, username in PLACES.items():
        municipality = Municipality.objects.get(code=code)
        actor = users.get(username=username)
        for each_year in (year - 1, year):
            for name_ka, name_en, per_head in LINES:
                planned = Decimal(municipality.population * per_head * rng.uniform(*SPREAD))
                services_budgets.budget_line_save(
                    actor=actor,
                    line=None,
                    data={
                        "municipality": municipality,
                        "year": each_year,
                        "name_ka": name_ka,
                        "name_en": name_en,
                        "planned": planned.quantize(Decimal("1000")).quantize(Decimal("0.01")),
                        "source": SOURCE,
                        "illustrative": True,
                    },
                )
                count += 1
            for programme in Programme.objects.filter(
                municipality=municipality, budget__isnull=False
            ):
                services_budgets.budget_line_save(
                    actor=actor,
                    line=None,
                    data={
                        "municipality": municipality,
                        "year": each_year,
                        "programme": programme,
                        "planned": programme.budget,
                        "source": SOURCE,
                        "illustrative": True,
                    },
                )
                count += 1
    return count


RECOMMENDATIONS = [
    "გამოაქვეყნეთ სოციალური პროგრამების მოლოდინის სიები და გადაწყვეტილების ვადები "
    "მუნიციპალიტეტის ვებგვერდზე.",
    "გაზარდეთ უფასო სასადილოს ადგილები მოლოდინის სიაში მყოფთა რაოდენობამდე.",
    "ყოველი პროგრამის ხარჯვის ანგარიში აქვეყნეთ ყოველკვარტალურად და არა მხოლოდ წლის ბოლოს.",
]


def demo_monitoring_report() -> MonitoringReport | None:
    """The demo monitor's published report to Kutaisi with three recommendations (in Georgian,
    as a Georgian organisation writes them); Kutaisi's officer has accepted the first and
    reported progress on it."""
    users = get_user_model().objects
    monitor = users.get(username="cso_monitor")
    officer = users.get(username="municipal_kutaisi")
    if MonitoringReport.objects.filter(organisation_id=monitor.organisation_id).exists():
        return None
    report = services_monitoring.report_save(
        actor=monitor,
        report=None,
        data={
            "municipality": Municipality.objects.get(code="kutaisi"),
            "subject": "programmes",
            "title": "ქუთაისის სოციალური პროგრამები: ხელმისაწვდომობა და ხარჯვა "
            "(სადემონსტრაციო ანგარიში)",
            "period": f"იანვარი–ივნისი, {timezone.localdate().year}",
            "findings": (
                "სადემონსტრაციო (სინთეზური) მიგნებები. განმცხადებლები ყველაზე დიდხანს "
                "ერთჯერად დახმარებას ელოდებიან; უფასო სასადილო თითქმის ყოველდღე უარს ეუბნება "
                "მსურველებს; ხარჯვის შესახებ ინფორმაცია წელიწადში ერთხელ ქვეყნდება."
            ),
        },
    )
    for text in RECOMMENDATIONS:
        services_monitoring.recommendation_add(actor=monitor, report=report, text=text)
    services_monitoring.report_publish(actor=monitor, report=report)
    first = report.recommendations.get(position=1)
    services_monitoring.recommendation_answer(
        actor=officer,
        recommendation=first,
        answer="accepted",
        reasons="აგრეგირებული სიები პერსონალურ მონაცემებს არ შეიცავს; ვებგვერდზე მათი "
        "განთავსება შესაძლებელია.",
    )
    services_monitoring.recommendation_progress(
        actor=officer,
        recommendation=first,
        on=timezone.localdate(),
        text="გვერდი მომზადებულია და მერიის დადასტურებას ელოდება.",
    )
    return report


def demo_budgets_and_report(*, seed: int = 2026) -> str:
    """Both, for `demo_setup`: what was made, in a line."""
    lines = demo_budgets(seed=seed)
    report = demo_monitoring_report()
    number = report.number if report else "—"
    return (
        f"{lines:,} illustrative social budget lines (/open/budgets/); monitoring report "
        f"{number} published to Kutaisi, one recommendation answered (/open/monitoring/)."
    )
