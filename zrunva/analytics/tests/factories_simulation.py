"""Three households whose simulation outcomes are worked out by hand in the tests."""

from decimal import Decimal

from zrunva.analytics import scenarios
from zrunva.assessment.tests.factories import assess
from zrunva.programmes.tests.factories import ON, years_ago
from zrunva.registry.models import IncomeSource
from zrunva.registry.tests import factories


def three_households():
    """A: a poor couple with a child in Kutaisi (score 25,000; 150 GEL a month): TSA 180 and
    child benefit 200. B: a couple with a child in Kutaisi (score 130,000; 600 GEL): nothing.
    C: a pensioner alone in Tbilisi (score 90,000; no income): the pension, 495."""
    a = factories.household("kutaisi", head={"birth_date": years_ago(40)})
    factories.member(a, "spouse", birth_date=years_ago(38), sex="F")
    factories.member(a, birth_date=years_ago(5))
    assess(a, 25000)
    b = factories.household("kutaisi", head={"birth_date": years_ago(41)})
    factories.member(b, "spouse", birth_date=years_ago(39), sex="F")
    factories.member(b, birth_date=years_ago(7))
    assess(b, 130000)
    c = factories.household("tbilisi", head={"birth_date": years_ago(72), "sex": "F"})
    assess(c, 90000)
    for household, income in ((a, 150), (b, 600)):
        head = household.memberships.order_by("id").first().person
        IncomeSource.objects.create(person=head, kind="wages", monthly_amount=Decimal(income))
    return a, b, c


def scenario(actor, *, changes=(), **fields):
    """A scenario on today (or `on`) with these changes: (programme, parameters) pairs."""
    fields.setdefault("on", ON)
    created = scenarios.scenario_create(
        actor=actor, name=fields.pop("name", "Child benefit reform"), **fields
    )
    for programme, parameters in changes:
        scenarios.scenario_change_set(
            actor=actor, scenario=created, programme=programme, parameters=parameters
        )
    return created


def simulated(actor, created):
    run = scenarios.simulation_start(actor=actor, scenario=created, enqueue=False)
    return scenarios.simulation_execute(run=run)
