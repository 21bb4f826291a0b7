"""Demo reform scenarios for the analyst: two saved scenarios, simulated over the demo
registry, one shared with colleagues."""

from decimal import Decimal

from django.utils import timezone

from zrunva.accounts.models import User
from zrunva.analytics import scenarios
from zrunva.analytics.models import Scenario
from zrunva.programmes.models import Programme

DEMO_SCENARIOS = (
    (
        "Child benefit: higher threshold and amount (illustrative)",
        "The child benefit to households scoring up to 150,000 (from 120,000), 250 GEL a child "
        "(from 200). Shared with colleagues.",
        True,
        None,
        {"child_benefit": {"child_benefit_max_score": "150000", "child_benefit_amount": "250"}},
    ),
    (
        "TSA bands shifted up 5,000 points, within 600,000 GEL a year (illustrative)",
        "Each subsistence allowance band reaches 5,000 points higher; the changed programme's "
        "annual budget capped, the poorest paid first.",
        False,
        Decimal("600000"),
        {
            "tsa": {
                "tsa_band_1_max_score": "35000",
                "tsa_band_2_max_score": "62000",
                "tsa_band_3_max_score": "65000",
                "tsa_band_4_max_score": "70000",
            }
        },
    ),
)


def demo_scenarios() -> int:
    """The analyst's demo scenarios, saved and simulated at once (no worker needed); none if
    they exist already."""
    analyst = User.objects.filter(username="analyst").first()
    if analyst is None or Scenario.objects.filter(owner=analyst).exists():
        return 0
    for name, description, shared, cap, changes in DEMO_SCENARIOS:
        scenario = scenarios.scenario_create(
            actor=analyst,
            name=name,
            description=description,
            on=timezone.localdate(),
            shared=shared,
            budget_cap=cap,
        )
        for code, parameters in changes.items():
            scenarios.scenario_change_set(
                actor=analyst,
                scenario=scenario,
                programme=Programme.objects.get(code=code),
                parameters=parameters,
            )
        run = scenarios.simulation_start(actor=analyst, scenario=scenario, enqueue=False)
        scenarios.simulation_execute(run=run)
    return len(DEMO_SCENARIOS)
