"""The rating score (proxy means test): variables of a household and a scoring model's weights.

score = max(0, intercept + Σ weight × variable), rounded to whole points; lower is poorer. One
function computes it for a frame of households, so a single assessment and a whole-registry
re-scoring (with changed weights, for a policy simulation) give the same numbers.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import polars as pl
from django.utils.translation import gettext_lazy as _

from zrunva.registry.choices import DisabilityDegree, DwellingCondition
from zrunva.registry.columns import RegistryFrames, ages_on

# Recertification every 4 years (World Bank 2020 review of Georgia's TSA; shared/DOMAIN.md).
REASSESSMENT_YEARS = 4

# name: label. Member-derived variables come from the registry; the others from the declaration.
VARIABLES = {
    "members": _("household members"),
    "income_per_member": _("monthly income per member, GEL"),
    "utility_spending_per_member": _("monthly utility spending per member, GEL"),
    "rooms_per_member": _("rooms per member"),
    "cars": _("cars"),
    "extra_dwellings": _("other dwellings owned"),
    "agricultural_land_ha": _("agricultural land, ha"),
    "cattle": _("cattle"),
    "small_livestock": _("sheep, goats and pigs"),
    "poor_dwelling": _("dwelling in poor or unsafe condition"),
    "disabled_members": _("members with a disability status"),
    "chronically_ill_members": _("members with a chronic illness"),
    "dependants_share": _("share of children under 16 and people 65 and over"),
}
# Variables that count members by special-category (health) data.
HEALTH_VARIABLES = frozenset({"disabled_members", "chronically_ill_members"})


@dataclass(frozen=True)
class Weights:
    intercept: Decimal
    weights: dict[str, float]

    @classmethod
    def of(cls, model) -> "Weights":
        return cls(intercept=Decimal(model.intercept), weights=dict(model.weights))


def unknown_variables(weights: dict) -> list[str]:
    return sorted(set(weights) - set(VARIABLES))


def variables_frame(registry: RegistryFrames, *, on: date) -> pl.DataFrame:
    """The means-test variables of every household with members: `household_id` and one column
    per variable. Income per member is the members' income sources plus their pensions, unless a
    `declared_income` column (GEL a month for the household, null to use the registry) is given
    on the households frame."""
    people, households = registry.people, registry.households
    members = registry.members
    age = ages_on(people["birth_date"], on)
    if "declared_income" not in households.columns:
        households = households.with_columns(declared_income=pl.lit(None, dtype=pl.Float64))
    count = members.count()
    households = households.with_columns(
        members=pl.lit(pl.Series(count)),
        income=pl.lit(pl.Series(members.sum(people["income"] + people["pension_amount"]))),
        disabled_members=pl.lit(
            pl.Series(members.count(people["disability_degree"] != DisabilityDegree.NONE.value))
        ),
        chronically_ill_members=pl.lit(pl.Series(members.count(people["chronic_illness"]))),
        dependants=pl.lit(pl.Series(members.count((age < 16) | (age >= 65)))),
    )
    if (count == 0).any():
        households = households.filter(pl.col("members") > 0)
    size = pl.col("members").cast(pl.Float64)
    poor = [DwellingCondition.POOR.value, DwellingCondition.UNSAFE.value]
    return households.select(
        household_id=pl.col("id"),
        members=pl.col("members").cast(pl.Int64),
        income_per_member=pl.coalesce("declared_income", "income") / size,
        utility_spending_per_member=pl.col("monthly_utility_spending") / size,
        rooms_per_member=pl.col("rooms") / size,
        cars=pl.col("cars"),
        extra_dwellings=pl.col("extra_dwellings"),
        agricultural_land_ha=pl.col("agricultural_land_ha"),
        cattle=pl.col("cattle"),
        small_livestock=pl.col("small_livestock"),
        poor_dwelling=pl.col("dwelling_condition").is_in(poor).cast(pl.Int64),
        disabled_members=pl.col("disabled_members").cast(pl.Int64),
        chronically_ill_members=pl.col("chronically_ill_members").cast(pl.Int64),
        dependants_share=pl.col("dependants") / size,
    )


# The largest rating score the Assessment.score column holds (a 32-bit integer).
LARGEST_SCORE = 2_147_483_647


def score_frame(variables: pl.DataFrame, weights: Weights) -> pl.Series:
    """Scores for every row of `variables` (one column per variable the weights name)."""
    total = pl.lit(float(weights.intercept))
    # In the catalogue's order, not the stored weights' (PostgreSQL's jsonb reorders keys): a
    # total of exactly x.5 rounds by the last bit, which the order of additions sets.
    for name in sorted(weights.weights, key=list(VARIABLES).index):
        total = total + pl.col(name).cast(pl.Float64) * float(weights.weights[name])
    # Held inside the score column (an integer): an income typed with a few zeros too many must
    # not make a visit unrecordable or a bulk assessment fail; no threshold comes near it.
    score = pl.min_horizontal(pl.max_horizontal(total, pl.lit(0.0)), pl.lit(float(LARGEST_SCORE)))
    score = score.round(0).cast(pl.Int64)
    return variables.select(score=score)["score"]


def score_one(variables: dict, weights: Weights) -> int:
    return int(score_frame(pl.DataFrame([variables]), weights)[0])
