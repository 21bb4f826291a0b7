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
from openfisca_core.model_api import MONTH, Variable, date, select, where
from openfisca_core.parameters import ParameterNode
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

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


class DwellingCondition(Enum):
    good = "good"
    fair = "fair"
    poor = "poor"
    unsafe = "unsafe"


# Inputs: the registry's columns, as Zrunva reads them (`registry/columns.py`).
is_highland = _input("is_highland", Household, bool)
rooms = _input("rooms", Household, int)
# Money in tetri and land in square metres, as integers: OpenFisca keeps float variables as
# float32, which moves a total such as 269,834.5 off its half and changes the rounded score.
utility_tetri = _input("utility_tetri", Household, int)
cars = _input("cars", Household, int)
extra_dwellings = _input("extra_dwellings", Household, int)
land_m2 = _input("land_m2", Household, int)
cattle = _input("cattle", Household, int)
small_livestock = _input("small_livestock", Household, int)
dwelling_condition = _input(
    "dwelling_condition",
    Household,
    Enum,
    possible_values=DwellingCondition,
    default_value=DwellingCondition.good,
)
birth_date = _input("birth_date", Person, date)
chronic_illness = _input("chronic_illness", Person, bool)
is_idp = _input("is_idp", Person, bool)
income_tetri = _input("income_tetri", Person, int)
pension_tetri = _input("pension_tetri", Person, int)
sex = _input("sex", Person, Enum, possible_values=Sex, default_value=Sex.F)
disability_degree = _input(
    "disability_degree",
    Person,
    Enum,
    possible_values=DisabilityDegree,
    default_value=DisabilityDegree.none,
)


class age(Variable):
    """Completed years at the start of the period (as openfisca-country-template does)."""

    value_type = int
    entity = Person
    definition_period = MONTH

    def formula(person, period, parameters):
        birth = person("birth_date", period)
        year = birth.astype("datetime64[Y]").astype(int) + 1970
        month = birth.astype("datetime64[M]").astype(int) % 12 + 1
        day = (birth - birth.astype("datetime64[M]") + 1).astype(int)
        start = period.start
        had_birthday = (month < start.month) + (month == start.month) * (day <= start.day)
        return start.year - year - where(had_birthday, 0, 1)


class is_child(Variable):
    value_type = bool
    entity = Person
    definition_period = MONTH

    def formula(person, period, parameters):
        return person("age", period) < 18


class monthly_income(Variable):
    value_type = float
    entity = Person
    definition_period = MONTH

    def formula(person, period, parameters):
        return person("income_tetri", period) / 100


class rating_score(Variable):
    """The proxy means test: intercept + Σ weight × variable, at least 0, rounded (half to
    even, as Polars and NumPy round). One formula, so the per-member variables stay float64
    rather than being stored as OpenFisca's float32 variables between steps."""

    value_type = float
    entity = Household
    definition_period = MONTH

    def formula(household, period, parameters):
        p = parameters(period)
        size = household.nb_persons()
        members = household.members
        age = members("age", period)
        degree = members("disability_degree", period)
        condition = household("dwelling_condition", period)
        variables = {
            "members": size,
            "income_per_member": household.sum(
                members("income_tetri", period) / 100 + members("pension_tetri", period) / 100
            )
            / size,
            "utility_spending_per_member": household("utility_tetri", period) / 100 / size,
            "rooms_per_member": household("rooms", period) / size,
            "cars": household("cars", period),
            "extra_dwellings": household("extra_dwellings", period),
            "agricultural_land_ha": household("land_m2", period) / 10000,
            "cattle": household("cattle", period),
            "small_livestock": household("small_livestock", period),
            "poor_dwelling": (condition == DwellingCondition.poor)
            + (condition == DwellingCondition.unsafe),
            "disabled_members": household.sum(degree != DisabilityDegree.none),
            "chronically_ill_members": household.sum(members("chronic_illness", period)),
            "dependants_share": household.sum((age < 16) + (age >= 65)) / size,
        }
        # Added in the scoring model's order from the intercept, as Zrunva's score_frame does:
        # at a total of exactly x.5 the order of additions decides the rounding.
        total = sum(
            (value.astype(float) * getattr(p, f"pmt_{name}") for name, value in variables.items()),
            start=p.pmt_intercept,
        )
        return np.round(np.maximum(total, 0))


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
    is_highland,
    rooms,
    utility_tetri,
    cars,
    extra_dwellings,
    land_m2,
    cattle,
    small_livestock,
    dwelling_condition,
    birth_date,
    chronic_illness,
    is_idp,
    income_tetri,
    pension_tetri,
    sex,
    disability_degree,
    age,
    is_child,
    monthly_income,
    rating_score,
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


PMT_VARIABLES = (
    "members",
    "income_per_member",
    "utility_spending_per_member",
    "rooms_per_member",
    "cars",
    "extra_dwellings",
    "agricultural_land_ha",
    "cattle",
    "small_livestock",
    "poor_dwelling",
    "disabled_members",
    "chronically_ill_members",
    "dependants_share",
)


def tax_benefit_system(
    params: dict[str, float], intercept: float, weights: dict[str, float]
) -> TaxBenefitSystem:
    """The model, with every parameter and the scoring model (a weight for each variable, 0
    where it has none) in force from 2000 on; the benchmark computes one month."""
    unknown = set(weights) - set(PMT_VARIABLES)
    if unknown:
        raise ValueError(f"Weights for variables this model does not compute: {unknown}")
    system = TaxBenefitSystem([Person, Household])
    system.add_variables(*VARIABLES)
    values = {
        **params,
        "pmt_intercept": intercept,
        **{f"pmt_{name}": weights.get(name, 0) for name in PMT_VARIABLES},
    }
    system.parameters = ParameterNode(
        "",
        data={
            code: {"values": {"2000-01-01": {"value": float(value)}}}
            for code, value in values.items()
        },
    )
    return system


HOUSEHOLD_INPUTS = ("is_highland", "rooms", "cars", "extra_dwellings", "cattle", "small_livestock")
PERSON_INPUTS = ("birth_date", "chronic_illness", "is_idp")
# OpenFisca input ← the registry's column and the factor to whole units.
SCALED_INPUTS = {
    "household": {
        "utility_tetri": ("monthly_utility_spending", 100),
        "land_m2": ("agricultural_land_ha", 10_000),
    },
    "person": {"income_tetri": ("income", 100), "pension_tetri": ("pension_amount", 100)},
}
ENUM_INPUTS = {
    "household": {"dwelling_condition": DwellingCondition},
    "person": {"sex": Sex, "disability_degree": DisabilityDegree},
}


def _codes(column: pl.Series, enum) -> np.ndarray:
    """An enum input as its members' indices (a strict Polars enum cast): converting millions
    of Python strings into the NumPy text array `Enum.encode` takes would cost more than all
    the formulas, and that is our data's shape, not OpenFisca's speed."""
    return column.cast(pl.Enum([m.name for m in enum])).to_physical().to_numpy()


def compute(
    households: pl.DataFrame,
    people: pl.DataFrame,
    params: dict[str, float],
    intercept: float,
    weights: dict[str, float],
    period: str,
) -> dict[str, tuple[np.ndarray | None, np.ndarray]]:
    """From the registry's columns (`RegistryFrames`): per programme (eligible, amount) aligned
    with the rows of `households` (TSA, child benefit) or of `people` (the person programmes),
    and the rating scores. Builds the simulation from the frames."""
    # join_with_persons maps household ids to rows through the ids members name: a household
    # without members would silently shift the others' members (seen with OpenFisca-Core 46).
    if people["household_id"].n_unique() != households.height:
        raise ValueError("Every household needs at least one member")
    system = tax_benefit_system(params, intercept, weights)
    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("person", people["id"].to_numpy())
    household = builder.declare_entity("household", households["id"].to_numpy())
    builder.join_with_persons(
        household, people["household_id"].to_numpy(), np.full(people.height, "member")
    )
    simulation = builder.build(system)
    for name in HOUSEHOLD_INPUTS:
        simulation.set_input(name, period, households[name].to_numpy())
    for name in PERSON_INPUTS:
        simulation.set_input(name, period, people[name].to_numpy())
    for entity, frame in (("household", households), ("person", people)):
        for name, enum in ENUM_INPUTS[entity].items():
            simulation.set_input(name, period, _codes(frame[name], enum))
        for name, (column, factor) in SCALED_INPUTS[entity].items():
            whole = (frame[column] * factor).round().cast(pl.Int64).to_numpy()
            simulation.set_input(name, period, whole)
    results = {
        code: (
            simulation.calculate(f"{code}_eligible", period),
            simulation.calculate(code, period),
        )
        for code in PROGRAMMES
    }
    results["rating_score"] = (None, simulation.calculate("rating_score", period))
    return results


def compute_with_scores(
    households: pl.DataFrame,
    people: pl.DataFrame,
    params: dict[str, float],
    scores: np.ndarray,
    period: str,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """`compute` for households whose rating scores are known (the registry's latest
    assessments, as a simulation reads them): the scores are the `rating_score` input, so
    OpenFisca computes the five programmes only. For bench/simulation.py, which runs it once
    with the parameters in force and once with a reform's."""
    if people["household_id"].n_unique() != households.height:
        raise ValueError("Every household needs at least one member")
    system = tax_benefit_system(params, 0.0, {})
    builder = SimulationBuilder()
    builder.create_entities(system)
    builder.declare_person_entity("person", people["id"].to_numpy())
    household = builder.declare_entity("household", households["id"].to_numpy())
    builder.join_with_persons(
        household, people["household_id"].to_numpy(), np.full(people.height, "member")
    )
    simulation = builder.build(system)
    simulation.set_input("rating_score", period, np.asarray(scores, dtype=np.float64))
    simulation.set_input("is_highland", period, households["is_highland"].to_numpy())
    for name in ("birth_date", "is_idp"):
        simulation.set_input(name, period, people[name].to_numpy())
    for name, enum in ENUM_INPUTS["person"].items():
        simulation.set_input(name, period, _codes(people[name], enum))
    whole = (people["income"] * 100).round().cast(pl.Int64).to_numpy()
    simulation.set_input("income_tetri", period, whole)
    return {
        code: (
            simulation.calculate(f"{code}_eligible", period),
            simulation.calculate(code, period),
        )
        for code in PROGRAMMES
    }
