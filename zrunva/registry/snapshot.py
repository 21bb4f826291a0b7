"""The registry's columns kept ready for whole-country reads (PostgreSQL only).

A national run read the registry as a four-table join and sort, about 10 s for a million
households, while the same columns from Parquet take a fraction of a second. The snapshot keeps
those columns, undated, as Parquet inside the database (table `registry_snapshot_part`, so it
is in the same transactions, backups and test databases as the registry), and the date is
applied in Polars: a run reads the parts and filters them for its day.

Statement triggers (migration registry 0005) list the households whose rows changed in
`registry_snapshot_stale`: a household, its memberships, the people in them and their income
sources. Before a read, `refresh` rebuilds only those households' rows into a new part, which
overrides their rows in older parts; past a few parts they are merged back into one. SQLite,
the embedded default, reads the registry with the join (`columns.registry_frames`).
"""

import io
import time
from collections.abc import Collection
from datetime import date

import polars as pl
import psycopg
from django.db import connection, transaction

from zrunva.core.bulk import read_frame
from zrunva.geo.models import Municipality, Settlement
from zrunva.registry.columns import HOUSEHOLD_COLUMNS, PERSON_COLUMNS, RegistryFrames
from zrunva.registry.models import Household, IncomeSource, Membership, Person

PARTS, STALE = "registry_snapshot_part", "registry_snapshot_stale"
# Past this many parts, they are merged into one; past this many stale households, every
# household is read again rather than each by id.
MAX_PARTS = 8
MAX_BY_ID = 200_000
LOCK = 720_501  # pg_advisory_xact_lock key: one refresh at a time
# Parts of another format (written by another version of this module) are built again.
FORMAT = 2  # 2: incomes' end dates (`until`)

HOUSEHOLDS = {
    "id": pl.Int64,
    "municipality_id": pl.Int64,
    "settlement_id": pl.Int64,
    "is_active": pl.Int8,
    "rooms": pl.Int64,
    "dwelling_condition": pl.String,
    "monthly_utility_spending": pl.Float64,
    "cars": pl.Int64,
    "extra_dwellings": pl.Int64,
    "agricultural_land_ha": pl.Float64,
    "cattle": pl.Int64,
    "small_livestock": pl.Int64,
}
MEMBERS = {
    "household_id": pl.Int64,
    "id": pl.Int64,  # the person
    "start_date": pl.Date,
    "end_date": pl.Date,
    "date_of_death": pl.Date,
    "birth_date": pl.Date,
    "sex": pl.String,
    "disability_degree": pl.String,
    "chronic_illness": pl.Int8,
    "is_idp": pl.Int8,
    "pension_kind": pl.String,
    "pension_amount": pl.Float64,
    # Of the household, so that a read filters members without a join: a change to the
    # household rebuilds its members too.
    "active": pl.Int8,
    "municipality_id": pl.Int64,
    # The person's income sources, in tetri: those not ended, the latest start among all and
    # the latest end. On a day on or after both, exactly the ones not ended count; a read for
    # a day before either adds them up from INCOMES instead.
    "income_all": pl.Int64,
    "since_max": pl.Date,
    "until_max": pl.Date,
}
# Income in tetri, summed as integers: the same float as PostgreSQL's numeric sum gives.
INCOMES = {
    "household_id": pl.Int64,
    "income_id": pl.Int64,
    "person_id": pl.Int64,
    "since": pl.Date,
    "until": pl.Date,
    "tetri": pl.Int64,
}


def enabled() -> bool:
    return connection.vendor == "postgresql"


def _scope(column: str, ids: list[int] | None) -> tuple[str, list]:
    if ids is None:
        return "", []
    return f"WHERE {column} = ANY(%s::bigint[])", ["{" + ",".join(map(str, ids)) + "}"]


def _build(ids: list[int] | None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The undated rows of these households (all if None): no join but each person's."""
    hh, ms, p, inc = (
        Household._meta.db_table,
        Membership._meta.db_table,
        Person._meta.db_table,
        IncomeSource._meta.db_table,
    )
    # COPY takes no bound parameters: the ids go in as a literal array of integers.
    where, params = _scope("h.id", ids)
    where = where.replace("%s", f"'{params[0]}'") if params else where
    households = read_frame(
        f"""
        SELECT h.id, h.municipality_id, h.settlement_id, CASE WHEN h.is_active THEN 1 ELSE 0 END,
               h.rooms, h.dwelling_condition, h.monthly_utility_spending, h.cars,
               h.extra_dwellings, h.agricultural_land_ha, h.cattle, h.small_livestock
        FROM {hh} h {where}
        """,  # noqa: S608 (table names from models; ids are integers)
        [],
        HOUSEHOLDS,
    )
    where = where.replace("h.id", "ms.household_id")
    persons = f"WHERE person_id IN (SELECT ms.person_id FROM {ms} ms {where})" if where else ""  # noqa: S608
    members = read_frame(
        f"""
        SELECT ms.household_id, p.id, ms.start_date, ms.end_date, p.date_of_death,
               p.birth_date, p.sex, p.disability_degree,
               CASE WHEN p.chronic_illness THEN 1 ELSE 0 END,
               CASE WHEN p.is_idp THEN 1 ELSE 0 END, p.pension_kind, p.pension_amount,
               CASE WHEN h.is_active THEN 1 ELSE 0 END, h.municipality_id,
               COALESCE(i.tetri, 0), i.since_max, i.until_max
        FROM {ms} ms
        JOIN {p} p ON p.id = ms.person_id
        JOIN {hh} h ON h.id = ms.household_id
        LEFT JOIN (
            SELECT person_id,
                   SUM(CASE WHEN until IS NULL THEN (monthly_amount * 100)::bigint ELSE 0 END)
                       AS tetri,
                   MAX(since) AS since_max, MAX(until) AS until_max
            FROM {inc} {persons} GROUP BY person_id
        ) i ON i.person_id = p.id
        WHERE p.merged_into_id IS NULL {where.replace("WHERE", "AND", 1)}
        """,  # noqa: S608
        [],
        MEMBERS,
    )
    incomes = read_frame(
        f"""
        SELECT DISTINCT ms.household_id, i.id, i.person_id, i.since, i.until,
               (i.monthly_amount * 100)::bigint
        FROM {inc} i JOIN {ms} ms ON ms.person_id = i.person_id {where}
        """,  # noqa: S608
        [],
        INCOMES,
    )
    return households.sort("id"), members.sort("household_id", "id"), incomes


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="lz4", statistics=False)
    return buffer.getvalue()


def _store(cursor, households, members, incomes) -> None:
    cursor.execute(
        f"INSERT INTO {PARTS} (households, members, incomes, household_count, format) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s)",
        [_parquet(households), _parquet(members), _parquet(incomes), households.height, FORMAT],
    )


def _load() -> list[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]]:
    # Binary results (which Django's client-side cursors cannot give): the Parquet as stored,
    # not as hexadecimal text twice its size.
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"SELECT households, members, incomes FROM {PARTS} ORDER BY id",  # noqa: S608
            binary=True,
        )
        rows = cursor.fetchall()
    return [tuple(pl.read_parquet(io.BytesIO(blob)) for blob in row) for row in rows]


def _latest(parts) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One set of rows per household: those of the last part that holds it; in order."""
    if len(parts) == 1:
        return parts[0]
    households, members, incomes = parts[0]
    for newer_households, newer_members, newer_incomes in parts[1:]:
        newer = newer_households["id"].implode()
        households = pl.concat([households.filter(~pl.col("id").is_in(newer)), newer_households])
        members = pl.concat([members.filter(~pl.col("household_id").is_in(newer)), newer_members])
        incomes = pl.concat([incomes.filter(~pl.col("household_id").is_in(newer)), newer_incomes])
    return households.sort("id"), members.sort("household_id", "id"), incomes


def refresh() -> dict:
    """Bring the snapshot up to date: rebuild the households listed as changed (all of them
    on the first call), and merge the parts once there are too many. Returns what it did."""
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        cursor.execute(f"SELECT count(*), bool_and(format = %s) FROM {PARTS}", [FORMAT])  # noqa: S608
        parts, current = cursor.fetchone()
        # Rows listed by changes not committed yet stay listed for the next refresh; the
        # rows read below are at least as new as those listed here.
        cursor.execute(f"DELETE FROM {STALE} RETURNING household_id")  # noqa: S608
        stale = sorted({row[0] for row in cursor.fetchall()})
        if parts == 0 or not current or len(stale) > MAX_BY_ID:
            cursor.execute(f"DELETE FROM {PARTS}")  # noqa: S608
            _store(cursor, *_build(None))
            done = {"rebuilt": "all", "parts": 1}
        elif stale:
            _store(cursor, *_build(stale))
            done = {"rebuilt": len(stale), "parts": parts + 1}
        else:
            done = {"rebuilt": 0, "parts": parts}
        if done["parts"] > MAX_PARTS:
            merged = _latest(_load())
            cursor.execute(f"DELETE FROM {PARTS}")  # noqa: S608
            _store(cursor, *merged)
            done["parts"] = 1
    return done | {"seconds": round(time.monotonic() - started, 2)}


def frames(*, on: date, municipality_ids: Collection[int] | None = None) -> RegistryFrames:
    """`columns.registry_frames` for the whole country or some municipalities, from the
    snapshot: the same rows, columns and order."""
    refresh()
    households, members, incomes = _latest(_load())
    codes = dict(Municipality.objects.values_list("id", "code"))
    highland = dict(Settlement.objects.filter(is_highland=True).values_list("id", "is_highland"))
    active = pl.col("is_active") == 1
    if municipality_ids is not None:
        active = active & pl.col("municipality_id").is_in(list(municipality_ids))
    households = (
        households.filter(active & pl.col("municipality_id").is_in(list(codes)))
        .with_columns(
            municipality=pl.col("municipality_id").replace_strict(codes, return_dtype=pl.String),
            is_highland=pl.col("settlement_id").is_in(list(highland)).fill_null(False),
        )
        .select(list(HOUSEHOLD_COLUMNS))
        .cast(HOUSEHOLD_COLUMNS)
    )
    here = (pl.col("active") == 1) & pl.col("municipality_id").is_in(list(codes))
    if municipality_ids is not None:
        here = here & pl.col("municipality_id").is_in(list(municipality_ids))
    current = (pl.col("start_date") <= on) & (
        pl.col("end_date").is_null() | (pl.col("end_date") > on)
    )
    alive = pl.col("date_of_death").is_null() | (pl.col("date_of_death") > on)
    people = members.filter(here & current & alive)
    # Incomes that start or end after the day: add up, for their people only, those in force
    # on it. (A null comparison, no such date, is not true.)
    later = (pl.col("since_max") > on) | (pl.col("until_max") > on)
    if people.select(later.any()).item():
        dated = (
            incomes.join(people.filter(later).select(person_id="id"), on="person_id", how="semi")
            .unique("income_id")
            .filter(pl.col("since").is_null() | (pl.col("since") <= on))
            .filter(pl.col("until").is_null() | (pl.col("until") > on))
            .group_by("person_id")
            .agg(on_day=pl.col("tetri").sum())
        )
        people = (
            people.join(dated, left_on="id", right_on="person_id", how="left")
            .with_columns(
                income_all=pl.when(later)
                .then(pl.col("on_day").fill_null(0))
                .otherwise("income_all")
            )
            .sort("household_id", "id")
        )
    people = (
        people.with_columns(
            income=pl.col("income_all") / 100,
            chronic_illness=pl.col("chronic_illness") == 1,
            is_idp=pl.col("is_idp") == 1,
        )
        .select(list(PERSON_COLUMNS))
        .cast(PERSON_COLUMNS)
    )
    return RegistryFrames(households, people)
