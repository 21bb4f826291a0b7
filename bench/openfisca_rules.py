"""The five shipped programmes written for OpenFisca-Core, the comparator of bench/eligibility.py.

The same rules as zrunva/programmes/data/programmes.toml, as an OpenFisca country package would
write them: a person and a household entity, input variables, formulas over whole arrays, and
the parameters in OpenFisca's own parameter tree, read in formulas by date. `compute` builds the
simulation from columnar data (entity ids, household membership, inputs) and calculates every
programme's eligibility and amount for one month; bench/eligibility.py times all of it and
checks the results against Zrunva's own decisions, row by row.
"""

import numpy as np
import polars as pl
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum
from openfisca_core.model_api import MONTH, Variable, select, where
from openfisca_core.parameters import ParameterNode
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

PERIOD = "2026-11"

Person = build_entity(key="person", plural="persons", label="A person", is_person=True)
Household = build_entity(
    key="household",
    plural="households",
    label="A household",
    roles=[{"key": "member", "plural": "members", "label": "Member"}],
)


class Sex(Enum):
    F = "F"
    M = "M"


class DisabilityDegree(Enum):
    none = "none"
    moderate = "moderate"
    significant = "significant"
    severe = "severe"


def _input(name, entity, value_type, **extra):
    return type(
        name,
        (Variable,),
        {"value_type": value_type, "entity": entity, "definition_period": MONTH, **extra},
    )


rating_score = _input("rating_score", Household, float)
is_highland = _input("is_highland", Household, bool)
age = _input("age", Person, int)
is_child = _input("is_child", Person, bool)
is_idp = _input("is_idp", Person, bool)
monthly_income = _input("monthly_income", Person, float)
sex = _input("sex", Person, Enum, possible_values=Sex, default_value=Sex.F)
disability_degree = _input(
    "disability_degree",
    Person,
    Enum,
    possible_values=DisabilityDegree,
    default_value=DisabilityDegree.none,
)


class tsa_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH

    def formula(household, period, parameters):
        return household("rating_score", period) <= parameters(period).tsa_band_4_max_score


class tsa(Variable):
    value_type = float
    entity = Household
    definition_period = MONTH

    def formula(household, period, parameters):
        p = parameters(period)
        score = household("rating_score", period)
        per_member = select(
            [
                score <= p.tsa_band_1_max_score,
                score <= p.tsa_band_2_max_score,
                score <= p.tsa_band_3_max_score,
                score <= p.tsa_band_4_max_score,
            ],
            [p.tsa_band_1_amount, p.tsa_band_2_amount, p.tsa_band_3_amount, p.tsa_band_4_amount],
            0,
        )
        size = household.nb_persons()
        return where(household("tsa_eligible", period), size * per_member, 0)


class children(Variable):
    value_type = int
    entity = Household
    definition_period = MONTH

    def formula(household, period, parameters):
        limit = parameters(period).child_benefit_age_limit
        return household.sum(household.members("age", period) < limit)


class child_benefit_eligible(Variable):
    value_type = bool
    entity = Household
    definition_period = MONTH

    def formula(household, period, parameters):
        score = household("rating_score", period)
        poor = score <= parameters(period).child_benefit_max_score
        return poor * (household("children", period) > 0)


class child_benefit(Variable):
    value_type = float
    entity = Household
    definition_period = MONTH

    def formula(household, period, parameters):
        amount = household("children", period) * parameters(period).child_benefit_amount
        return where(household("child_benefit_eligible", period), amount, 0)


class disability_package_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH

    def formula(person, period, parameters):
        degree = person("disability_degree", period)
        return (
            (degree == DisabilityDegree.severe)
            + (degree == DisabilityDegree.significant)
            + person("is_child", period) * (degree != DisabilityDegree.none)
        )


class disability_package(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH

    def formula(person, period, parameters):
        p = parameters(period)
        degree = person("disability_degree", period)
        severe = (degree == DisabilityDegree.severe) + person("is_child", period)
        amount = where(severe, p.disability_package_severe, p.disability_package_significant)
        return where(person("disability_package_eligible", period), amount, 0)


class state_pension_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH

    def formula(person, period, parameters):
        p = parameters(period)
        pension_age = where(person("sex", period) == Sex.M, p.pension_age_men, p.pension_age_women)
        return person("age", period) >= pension_age


class state_pension(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH

    def formula(person, period, parameters):
        p = parameters(period)
        base = where(person("age", period) >= 70, p.pension_from_70, p.pension_under_70)
        highland = person.household("is_highland", period)
        factor = where(highland, 1 + p.pension_highland_supplement, 1)
        # Half away from zero, as the rule language rounds (numpy rounds half to even).
        amount = np.sign(base * factor) * np.floor(np.abs(base * factor) * 100 + 0.5) / 100
        return where(person("state_pension_eligible", period), amount, 0)


class idp_allowance_eligible(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH

    def formula(person, period, parameters):
        income = person("monthly_income", period)
        return person("is_idp", period) * (income < parameters(period).idp_income_cutoff)


class idp_allowance(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH

    def formula(person, period, parameters):
        amount = parameters(period).idp_allowance
        return where(person("idp_allowance_eligible", period), amount, 0)


VARIABLES = [
    rating_score,
    is_highland,
    age,
    is_child,
    is_idp,
    monthly_income,
    sex,
    disability_degree,
    tsa_eligible,
    tsa,
    children,
    child_benefit_eligible,
    child_benefit,
    disability_package_eligible,
    disability_package,
    state_pension_eligible,
    state_pension,
    idp_allowance_eligible,
    idp_allowance,
]
PROGRAMMES = ("tsa", "child_benefit", "disability_package", "state_pension", "idp_allowance")


def tax_benefit_system(params: dict[str, float]) -> TaxBenefitSystem:
    """The model, with every parameter in force from 2000 on (the benchmark's one month)."""
    system = TaxBenefitSystem([Person, Household])
    system.add_variables(*VARIABLES)
    system.parameters = ParameterNode(
        "",
        data={
            code: {"values": {"2000-01-01": {"value": float(value)}}}
            for code, value in params.items()
        },
    )
    return system


def compute(
    households: pl.DataFrame, people: pl.DataFrame, params: dict[str, float]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per programme: (eligible, amount) aligned with the rows of `households` (TSA, child
    benefit) or of `people` (the person programmes). Builds the simulation from the frames."""
    system = tax_benefit_system(params)
    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("person", people["id"].to_numpy())
    household = builder.declare_entity("household", households["id"].to_numpy())
    builder.join_with_persons(
        household, people["household_id"].to_numpy(), np.full(people.height, "member")
    )
    simulation = builder.build(system)
    for name in ("rating_score", "is_highland"):
        simulation.set_input(name, PERIOD, households[name].to_numpy())
    for name in ("age", "is_child", "is_idp", "monthly_income"):
        simulation.set_input(name, PERIOD, people[name].to_numpy())
    # OpenFisca encodes enums from NumPy text arrays.
    for name, enum in (("sex", Sex), ("disability_degree", DisabilityDegree)):
        text = people[name].cast(pl.String).to_numpy().astype(str)
        simulation.set_input(name, PERIOD, enum.encode(text))
    return {
        code: (
            simulation.calculate(f"{code}_eligible", PERIOD),
            simulation.calculate(code, PERIOD),
        )
        for code in PROGRAMMES
    }
