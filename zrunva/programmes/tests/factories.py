"""Builders for the programmes' tests: assessments with a given score, birth dates by age,
executed eligibility runs, and the households and parameters several test modules share."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from zrunva.assessment.tests.factories import assess
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Parameter, Run
from zrunva.programmes.runs import run_execute, run_start
from zrunva.programmes.services import parameter_value_set
from zrunva.registry.tests import factories

ON = timezone.localdate()  # members join on the day they are registered: today


def years_ago(years: int) -> date:
    """The birth date of someone who turns `years` today."""
    try:
        born = ON.replace(year=ON.year - years)
    except ValueError:  # 29 February
        born = ON.replace(year=ON.year - years, day=28)
    return born


def eligibility_run(on: date, *, actor=None, municipality=None) -> Run:
    """An eligibility run on `on` (of one municipality, or national), started by `actor` (the
    factories' system administrator unless told) and executed at once, without the task
    queue."""
    actor = actor or factories.system_actor()
    return run_execute(run=run_start(actor=actor, on=on, municipality=municipality, enqueue=False))


def family_and_pensioner():
    """A poor couple with a child in Kutaisi, and a pensioner alone in Tbilisi: (the couple's
    household, the child, the pensioner's household)."""
    household = factories.household("kutaisi", head={"birth_date": years_ago(40)})
    factories.member(household, "spouse", birth_date=years_ago(38), sex="F")
    child = factories.member(household, birth_date=years_ago(5))
    assess(household, 25000)
    pensioner = factories.household("tbilisi", head={"birth_date": years_ago(72), "sex": "F"})
    assess(pensioner, 90000)
    return household, child, pensioner


def derived_parameter(code: str, **fields) -> Parameter:
    """A national parameter in GEL named by its code, without values (a formula or values are
    the test's to set)."""
    return Parameter.objects.create(code=code, name_ka=code, name_en=code, unit="GEL", **fields)


def utility_parameters(officer) -> None:
    """Kutaisi's own parameters, valued by its officer from 1 Jan 2026."""
    kutaisi = Municipality.objects.get(code="kutaisi")
    for code, value in (("kutaisi_utility_max_score", 100000), ("kutaisi_utility_aid", 40)):
        parameter = Parameter.objects.create(
            code=code, name_ka=code, name_en=code, municipality=kutaisi
        )
        parameter_value_set(
            actor=officer,
            parameter=parameter,
            valid_from=date(2026, 1, 1),
            value=Decimal(value),
            source="Kutaisi City Council resolution on the 2026 social programme (test)",
        )
