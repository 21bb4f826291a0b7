from zrunva.analytics.models.scenarios import Scenario, ScenarioChange, SimulationRun  # noqa: F401
