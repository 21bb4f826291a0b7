"""The rating score (proxy means test): variables of a household and a scoring model's weights.

score = max(0, intercept + Σ weight × variable), rounded to whole points; lower is poorer. One
function computes it for a frame of households, so a single assessment and a whole-registry
re-scoring (with changed weights, for a policy simulation) give the same numbers.
"""

from dataclasses import dataclass
from decimal import Decimal

import polars as pl
from django.utils.translation import gettext_lazy as _

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


@dataclass(frozen=True)
class Weights:
    intercept: Decimal
    weights: dict[str, float]

    @classmethod
    def of(cls, model) -> "Weights":
        return cls(intercept=Decimal(model.intercept), weights=dict(model.weights))


def unknown_variables(weights: dict) -> list[str]:
    return sorted(set(weights) - set(VARIABLES))


def score_frame(variables: pl.DataFrame, weights: Weights) -> pl.Series:
    """Scores for every row of `variables` (one column per variable the weights name)."""
    total = pl.lit(float(weights.intercept))
    for name, weight in weights.weights.items():
        total = total + pl.col(name).cast(pl.Float64) * float(weight)
    return variables.select(score=pl.max_horizontal(total, pl.lit(0.0)).round(0).cast(pl.Int64))[
        "score"
    ]


def score_one(variables: dict, weights: Weights) -> int:
    return int(score_frame(pl.DataFrame([variables]), weights)[0])
