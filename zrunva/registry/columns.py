"""The registry as columns on a date: households and their current members, for bulk work.

Scoring, eligibility runs and simulations read these two frames instead of model objects, and so
does the one-household path (with `household_ids=[id]`), so both compute from the same values.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np
import polars as pl

from zrunva.core.bulk import read_frame
from zrunva.core.frames import Grouping
from zrunva.geo.models import Municipality, Settlement
from zrunva.registry.models import Household, IncomeSource, Membership, Person

EPOCH = date(1970, 1, 1)

HOUSEHOLD_COLUMNS: dict[str, pl.DataType] = {
    "id": pl.Int64,
    "municipality_id": pl.Int64,
    "municipality": pl.String,
    "is_highland": pl.Boolean,
    "rooms": pl.Int64,
    "dwelling_condition": pl.String,
    "monthly_utility_spending": pl.Float64,
    "cars": pl.Int64,
    "extra_dwellings": pl.Int64,
    "agricultural_land_ha": pl.Float64,
    "cattle": pl.Int64,
    "small_livestock": pl.Int64,
}
PERSON_COLUMNS: dict[str, pl.DataType] = {
    "id": pl.Int64,
    "household_id": pl.Int64,
    "birth_date": pl.Date,
    "sex": pl.String,
    "disability_degree": pl.String,
    "chronic_illness": pl.Boolean,
    "is_idp": pl.Boolean,
    "pension_kind": pl.String,
    "pension_amount": pl.Float64,
    # The sum of the person's income sources in force on the date: begun by then (`since`) and
    # not ended (`until`, the first day without it).
    "income": pl.Float64,
}


@dataclass(frozen=True)
class RegistryFrames:
    households: pl.DataFrame  # HOUSEHOLD_COLUMNS, active households
    people: pl.DataFrame  # PERSON_COLUMNS, one row per current member on the date

    @cached_property
    def members(self) -> Grouping:
        """Each person's household row; frames derived row for row share it."""
        return Grouping.of(self.households["id"], self.people["household_id"])


def _where(alias: str, municipality_ids, household_ids, id_range) -> tuple[str, list]:
    """Scope conditions on a household alias, with bound integers."""
    clauses, params = [f"{alias}.is_active"], []
    if id_range is not None:
        clauses.append(f"{alias}.id >= %s AND {alias}.id < %s")
        params.extend(int(i) for i in id_range)
    for column, ids in (("municipality_id", municipality_ids), ("id", household_ids)):
        if ids is not None:
            ids = sorted(int(i) for i in ids)
            if not ids:
                clauses.append("1 = 0")
            else:
                clauses.append(f"{alias}.{column} IN ({', '.join(['%s'] * len(ids))})")
                params.extend(ids)
    return " AND ".join(clauses), params


def registry_frames(
    *,
    on: date,
    municipality_ids: Collection[int] | None = None,
    household_ids: Collection[int] | None = None,
    id_range: tuple[int, int] | None = None,
) -> RegistryFrames:
    """Active households (in the municipalities, with the ids, or in the half-open id range
    given; all if None) and their members on `on`: membership begun by then and not ended,
    person alive on the day. Whole-country and municipal reads on PostgreSQL come from the
    snapshot (`registry.snapshot`), the same rows without the join."""
    from zrunva.registry import snapshot

    if household_ids is None and id_range is None and snapshot.enabled():
        return snapshot.frames(on=on, municipality_ids=municipality_ids)
    return joined_frames(
        on=on, municipality_ids=municipality_ids, household_ids=household_ids, id_range=id_range
    )


def joined_frames(
    *,
    on: date,
    municipality_ids: Collection[int] | None = None,
    household_ids: Collection[int] | None = None,
    id_range: tuple[int, int] | None = None,
) -> RegistryFrames:
    """`registry_frames` read with the four-table join, on any database."""
    hh, m, s = (Household._meta.db_table, Municipality._meta.db_table, Settlement._meta.db_table)
    where, params = _where("h", municipality_ids, household_ids, id_range)
    households = read_frame(
        f"""
        SELECT h.id, h.municipality_id, m.code,
               CASE WHEN s.is_highland THEN 1 ELSE 0 END,
               h.rooms, h.dwelling_condition, h.monthly_utility_spending, h.cars,
               h.extra_dwellings, h.agricultural_land_ha, h.cattle, h.small_livestock
        FROM {hh} h
        JOIN {m} m ON m.id = h.municipality_id
        LEFT JOIN {s} s ON s.id = h.settlement_id
        WHERE {where}
        ORDER BY h.id
        """,  # noqa: S608 (table names from models; values bound)
        params,
        HOUSEHOLD_COLUMNS,
    )
    ms, p, inc = (Membership._meta.db_table, Person._meta.db_table, IncomeSource._meta.db_table)
    people = read_frame(
        f"""
        SELECT p.id, ms.household_id, p.birth_date, p.sex, p.disability_degree,
               CASE WHEN p.chronic_illness THEN 1 ELSE 0 END,
               CASE WHEN p.is_idp THEN 1 ELSE 0 END,
               p.pension_kind, p.pension_amount, COALESCE(i.total, 0)
        FROM {ms} ms
        JOIN {hh} h ON h.id = ms.household_id
        JOIN {p} p ON p.id = ms.person_id
        LEFT JOIN (
            SELECT person_id, SUM(monthly_amount) AS total FROM {inc}
            WHERE (since IS NULL OR since <= %s) AND (until IS NULL OR until > %s)
            GROUP BY person_id
        ) i ON i.person_id = p.id
        WHERE {where} AND ms.start_date <= %s AND (ms.end_date IS NULL OR ms.end_date > %s)
          AND (p.date_of_death IS NULL OR p.date_of_death > %s)
          AND p.merged_into_id IS NULL
        ORDER BY ms.household_id, p.id
        """,  # noqa: S608
        [on, on, *params, on, on, on],
        PERSON_COLUMNS,
    )
    return RegistryFrames(households, people)


MAX_AGE = 150


def years_before(on: date, years: int) -> date:
    """The same day `years` earlier (28 February for a 29 February in a common year)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February in a common year
        return on.replace(year=on.year - years, day=28)


def ages_on(birth_dates: pl.Series, on: date) -> pl.Series:
    """Completed years on `on`, per birth date: someone is k years old once born on or before
    the day k years earlier (29 February birthdays count from 1 March in common years). The age
    of every day of the last 150 years is worked out once and looked up, rather than splitting
    millions of dates; birth dates before that range count as 150, after `on` as 0."""
    thresholds = np.array(
        [(years_before(on, k) - EPOCH).days for k in range(MAX_AGE, -1, -1)], dtype=np.int64
    )
    first, last = thresholds[0], thresholds[-1]
    span = np.arange(first, last + 1, dtype=np.int64)
    table = len(thresholds) - np.searchsorted(thresholds, span, side="left") - 1
    born = birth_dates.cast(pl.Int32).to_numpy()
    ages = table[np.clip(born - first, 0, last - first)]
    return pl.Series(birth_dates.name, ages, dtype=pl.Int64)
