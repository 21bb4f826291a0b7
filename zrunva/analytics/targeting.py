"""Coverage and targeting (issue 18, item 2): how well the benefits reach the poorest, on a
welfare measure, from the registry's columns (`registry.columns.registry_frames`) and the
enrolments in force. Pure functions over NumPy arrays (tested against hand-computed figures),
and `targeting(...)`, which reads the data and applies them.

The method, as the page states it (`METHOD`):

- **Welfare**: per household, either the income per person (the members' income sources in
  force on the day (the month's last, or today for the current month) plus their pensions, divided by the members), or the rating score of the
  latest assessment (households never assessed are left out; a lower score is poorer, as in the
  Targeted Social Assistance's proxy means test).
- **Deciles**: people are ranked by their household's welfare, poorest first (ties by household
  id); a household is in decile k when the people in households ranked before it are at least
  (k−1)/10 and under k/10 of all people. Deciles are of the people of the area shown.
- **Recipient**: a household with at least one enrolment in force on the day (in the chosen
  programme, or any); everyone in it counts as covered. Its **benefit** is the sum of the
  monthly amounts of those enrolments.
- **Coverage** of a group: the share of its people who live in a recipient household.
- **Target group**: the poorest quintile (20% of people). **Exclusion error**: the share of the
  target group not covered. **Inclusion error**: the share of the people covered who are not in
  the target group.
- **Benefit incidence**: each decile's share of all benefit amounts.
- **Disparity ratio**: a group's coverage divided by the coverage of everyone; under 1, the
  group is less covered than the population as a whole. Groups: region, age group (0–17, 18–64,
  65 and over), disability (any degree recorded), IDP status.
- Every figure over fewer than 10 people is suppressed for those who see small cells suppressed;
  disability is health data and is shown only as these aggregates.
"""

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.applications.models import Enrolment
from zrunva.assessment.models import Assessment
from zrunva.geo.models import Municipality
from zrunva.questionnaires.suppression import SMALL_CELL, hidden
from zrunva.registry.choices import DisabilityDegree
from zrunva.registry.columns import ages_on, registry_frames

INCOME, SCORE = "income", "score"
MEASURES = {
    INCOME: gettext_lazy("Income per person"),
    SCORE: gettext_lazy("Rating score"),
}
TARGET_SHARE = 0.2
AGE_GROUPS = ((0, 17, "0–17"), (18, 64, "18–64"), (65, 200, "65+"))


def deciles(
    welfare: np.ndarray, people: np.ndarray, ids: np.ndarray, groups: int = 10
) -> np.ndarray:
    """Each household's group (1 = poorest) of `groups` equal shares of people: households
    ranked by `welfare` ascending, ties by `ids`; a household is in group k when the people
    ranked before it are at least (k−1)/groups and under k/groups of all people."""
    welfare, people, ids = np.asarray(welfare, float), np.asarray(people, float), np.asarray(ids)
    order = np.lexsort((ids, welfare))
    before = np.concatenate([[0.0], np.cumsum(people[order])[:-1]])
    total = people.sum()
    ranked = np.minimum(groups, np.floor(groups * before / total).astype(int) + 1) if total else 0
    out = np.empty(len(welfare), dtype=int)
    out[order] = ranked
    return out


def share(part: np.ndarray, whole: np.ndarray) -> float | None:
    """Σpart / Σwhole, None when there is no whole."""
    whole_sum = float(np.sum(whole))
    return float(np.sum(part)) / whole_sum if whole_sum else None


@dataclass
class Measures:
    decile: np.ndarray  # per household
    people_by_decile: np.ndarray  # 10
    coverage_by_decile: list[float | None]  # 10
    coverage_decile: float | None  # of the poorest decile
    coverage_quintile: float | None  # of the poorest quintile
    coverage_all: float | None
    exclusion_error: float | None
    inclusion_error: float | None
    incidence: list[float | None]  # 10: each decile's share of the amounts


def measures(
    welfare: np.ndarray, people: np.ndarray, ids: np.ndarray, benefit: np.ndarray
) -> Measures:
    """The targeting measures of households (`welfare`, members `people`, `ids`, monthly
    `benefit`; a household receives when its benefit is above zero): see the module."""
    people = np.asarray(people, float)
    benefit = np.asarray(benefit, float)
    decile = deciles(welfare, people, ids)
    covered = people * (benefit > 0)
    target = decile <= 10 * TARGET_SHARE
    by_decile = np.array([people[decile == k].sum() for k in range(1, 11)])
    return Measures(
        decile=decile,
        people_by_decile=by_decile,
        coverage_by_decile=[share(covered[decile == k], people[decile == k]) for k in range(1, 11)],
        coverage_decile=share(covered[decile == 1], people[decile == 1]),
        coverage_quintile=share(covered[target], people[target]),
        coverage_all=share(covered, people),
        exclusion_error=(
            1 - share(covered[target], people[target]) if people[target].sum() else None
        ),
        inclusion_error=share(covered[~target], covered),
        incidence=[share(benefit[decile == k], benefit) for k in range(1, 11)],
    )


def too_few(people: float, covered: float) -> bool:
    """Whether a coverage figure would point at people: under SMALL_CELL people, or under
    SMALL_CELL covered, or under SMALL_CELL not covered (a coverage of 0 % or 100 % tells
    about each person of the group)."""
    people, covered = round(people), round(covered)
    return min(people, covered, people - covered) < SMALL_CELL


def disparity(covered: np.ndarray, groups: np.ndarray) -> list[dict]:
    """Per group of people (`groups`, one label a person; `covered`, whether the person's
    household receives): its people, coverage and coverage over everyone's (the disparity
    ratio), ordered by label."""
    covered = np.asarray(covered, bool)
    groups = np.asarray(groups)
    overall = covered.mean() if len(covered) else None
    out = []
    for label in sorted(set(groups.tolist()), key=str):
        here = groups == label
        cover = covered[here].mean()
        out.append(
            {
                "group": label,
                "people": int(here.sum()),
                "covered": int(covered[here].sum()),
                "coverage": float(cover),
                "ratio": float(cover / overall) if overall else None,
            }
        )
    return out


# -- Reading the data ------------------------------------------------------------------------


def _benefits(on: date, programme: int | None) -> pl.DataFrame:
    enrolments = Enrolment.objects.filter(starts__lte=on).filter(
        Q(ends__isnull=True) | Q(ends__gte=on)
    )
    if programme is not None:
        enrolments = enrolments.filter(programme_id=programme)
    rows = enrolments.order_by().values_list("household_id", "amount")
    frame = pl.DataFrame(
        list(rows), schema={"id": pl.Int64, "benefit": pl.Float64}, orient="row", strict=False
    )
    return frame.group_by("id").agg(pl.col("benefit").sum())


def _scores(on: date) -> pl.DataFrame:
    """Each household's latest rating score by `on` (the last visit; of two the same day, the
    later recorded)."""
    rows = (
        Assessment.objects.filter(visit_date__lte=on)
        .order_by()
        .values_list("household_id", "visit_date", "id", "score")
    )
    frame = pl.DataFrame(
        list(rows),
        schema={"id": pl.Int64, "visit": pl.Date, "pk": pl.Int64, "welfare": pl.Float64},
        orient="row",
        strict=False,
    )
    return (
        frame.sort("id", "visit", "pk")
        .group_by("id", maintain_order=True)
        .last()
        .select("id", "welfare")
    )


@dataclass
class Targeting:
    measure: str
    on: date
    households: int
    people: int
    result: Measures | None
    deciles: list[dict]
    groups: dict[str, list[dict]]
    suppressed: bool


def targeting(
    *,
    scope: frozenset[int] | None,
    suppress: bool,
    measure: str,
    on: date,
    programme: int | None = None,
) -> Targeting:
    """The targeting measures for the households of `scope` (None: the country) on `on`, by
    `measure` (INCOME or SCORE), for `programme` (None: any); small cells suppressed if
    `suppress`."""
    frames = registry_frames(on=on, municipality_ids=scope)
    people = frames.people.with_columns(
        own=pl.col("income").fill_null(0) + pl.col("pension_amount").fill_null(0)
    )
    households = (
        people.group_by(pl.col("household_id").alias("id"))
        .agg(size=pl.len(), total=pl.col("own").sum())
        .join(frames.households.select("id", "municipality_id"), on="id", how="inner")
    )
    if measure == SCORE:
        households = households.join(_scores(on), on="id", how="inner")
    else:
        households = households.with_columns(welfare=pl.col("total") / pl.col("size"))
    households = (
        households.join(_benefits(on, programme), on="id", how="left")
        .with_columns(pl.col("benefit").fill_null(0.0))
        .sort("id")
    )
    if households.is_empty():
        return Targeting(measure, on, 0, 0, None, [], {}, suppress)
    result = measures(
        households["welfare"].to_numpy(),
        households["size"].to_numpy(),
        households["id"].to_numpy(),
        households["benefit"].to_numpy(),
    )
    decile_rows = []
    # A decile is hidden when its coverage would tell about its people (`too_few`), and one
    # more when a single one would be (the deciles' people add up to everyone).
    counts = [int(n) for n in result.people_by_decile]
    few = [too_few(counts[k], (result.coverage_by_decile[k] or 0) * counts[k]) for k in range(10)]
    decile_mask = hidden(
        np.array([sum(counts), *[0 if f else n for f, n in zip(few, counts, strict=True)]]),
        [(0, list(range(1, 11)))],
    )[1:]
    for k in range(10):
        count = counts[k]
        hide = suppress and bool(decile_mask[k])
        decile_rows.append(
            {
                "decile": k + 1,
                "people": None if hide else count,
                "coverage": None if hide else result.coverage_by_decile[k],
                "incidence": None if hide else result.incidence[k],
                "hidden": hide,
            }
        )
    # People-level groups: each person covered if their household receives.
    covered_households = households.select("id", "municipality_id", covered=pl.col("benefit") > 0)
    persons = people.join(covered_households, left_on="household_id", right_on="id", how="inner")
    region_names = {m.pk: m.region.name for m in Municipality.objects.select_related("region")}
    ages = ages_on(persons["birth_date"], on).to_numpy()
    age_labels = np.full(len(ages), "", dtype=object)
    for low, high, label in AGE_GROUPS:
        age_labels[(ages >= low) & (ages <= high)] = label
    covered = persons["covered"].to_numpy()
    degree = persons["disability_degree"].fill_null(DisabilityDegree.NONE).to_numpy()
    disabled = ~np.isin(degree, ["", DisabilityDegree.NONE])
    groups = {
        "region": disparity(
            covered,
            np.array([region_names.get(m, "") for m in persons["municipality_id"].to_list()]),
        ),
        "age": disparity(covered, age_labels),
        "disability": disparity(
            covered,
            np.where(disabled, _("With a disability"), _("Without a recorded disability")),
        ),
        "idp": disparity(
            covered,
            np.where(
                persons["is_idp"].fill_null(False).to_numpy(),
                _("Internally displaced"),
                _("Not displaced"),
            ),
        ),
    }
    if suppress:
        # The groups of a kind add up to everyone (shown): secondary suppression over them.
        total = persons.height
        for rows in groups.values():
            counts = np.array(
                [
                    total,
                    *[
                        0 if too_few(row["people"], row["covered"]) else row["people"]
                        for row in rows
                    ],
                ],
                dtype=np.int64,
            )
            mask = hidden(counts, [(0, list(range(1, len(counts))))])
            for row, hide in zip(rows, mask[1:], strict=True):
                if hide:
                    row.update(people=None, covered=None, coverage=None, ratio=None, hidden=True)
    return Targeting(
        measure=measure,
        on=on,
        households=households.height,
        people=int(households["size"].sum()),
        result=result,
        deciles=decile_rows,
        groups=groups,
        suppressed=suppress,
    )
