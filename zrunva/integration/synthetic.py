"""Linked test data for record linkage: the registry and a ministry's list of the same people.

People come from the project's synthetic population (`zrunva.registry.population`: its
households, Georgian names with their frequencies, birth dates, sexes, municipalities and
settlements), generated in memory from the reference CSVs of `zrunva/geo/data/`, so no database
is needed. Two sources are made from them:

- `registry`: one clean record per person (Georgian script, personal number, home municipality
  and settlement). It is the verified reference, as the registry kept by the Public Service Hall
  is, so no error is injected into it; its hard negatives are real ones: members of one household
  share a surname, a municipality and a settlement.
- `ministry`: a list from another agency. Most of its people are in the registry, some are not
  (`outside_share`), and a few appear twice (`duplicate_share`, each copy with its own errors).
  Every ministry record gets the errors below independently, at fixed rates, against the
  registry's truth (issue 17).

`person_id` is the truth: records with the same `person_id` are the same person. Everything is
drawn with NumPy from one seed and assembled with Polars; the same arguments give the same frame.
"""

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from zrunva.core.romanisation import romanise
from zrunva.geo.models import Municipality
from zrunva.registry.population import (
    CENTRE_SHARE,
    CENTRE_SHARE_BY_CODE,
    CHUNK,
    CITY,
    IDP_SHARE,
    IDP_WEIGHT_BY_CODE,
    IDP_WEIGHT_OTHER,
    SYNTHETIC_VILLAGES,
    TOWN,
    VILLAGE,
    Ids,
    Names,
    Reference,
    _village_names,
    names_load,
    population_chunk,
)

GEO_DATA = Path(__file__).resolve().parent.parent / "geo" / "data"
REGISTRY, MINISTRY = "registry", "ministry"

# Injected per ministry record, each independently (issue 17).
RATES = {
    "name_typo": 0.10,  # one keystroke wrong in the first or the last name
    "latin": 0.10,  # both names in Latin script, in one of the LATIN_SYSTEMS
    "day_month_swap": 0.03,
    "year_typo": 0.02,
    "no_personal_number": 0.20,
    "surname_change": 0.05,
    "moved": 0.10,  # another municipality (and a settlement in it)
}
# How a Georgian name is found written in Latin script.
LATIN_SYSTEMS = ("national", "no_marks", "doubled", "iso_9984", "russian")
GEORGIAN_LETTERS = "აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ"
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
DEFAULT_TODAY = date(2026, 1, 1)  # fixed, so a seed gives the same birth dates on any day

# ISO 9984 (1996), the transliteration used in libraries and some foreign documents.
ISO_9984: dict[str, str] = {
    "ა": "a", "ბ": "b", "გ": "g", "დ": "d", "ე": "e", "ვ": "v", "ზ": "z", "თ": "t", "ი": "i",
    "კ": "kʼ", "ლ": "l", "მ": "m", "ნ": "n", "ო": "o", "პ": "pʼ", "ჟ": "ž", "რ": "r", "ს": "s",
    "ტ": "tʼ", "უ": "u", "ფ": "p", "ქ": "k", "ღ": "ğ", "ყ": "qʼ", "შ": "š", "ჩ": "č", "ც": "c",
    "ძ": "ʒ", "წ": "cʼ", "ჭ": "čʼ", "ხ": "x", "ჯ": "ǯ", "ჰ": "h",
}  # fmt: skip


def latin_variant(name: str, system: str) -> str:
    """A Georgian-script name as one would find it written in Latin script under `system`.

    national: the 2002 system with its apostrophes (`Nik'oloz`); no_marks: the same without them,
    as in everyday spelling (`Nikoloz`); doubled: ejectives written as a doubled letter, as in
    some older documents (`Nikkoloz`); iso_9984: ISO 9984 with its diacritics (`Nikʼoloz`,
    `Švili`); russian: through the Russian spelling, no q, final -ia as -iya (`Kipiani`,
    `Kvaratskheliya`).
    """
    if system == "national":
        return romanise(name)
    if system == "no_marks":
        return romanise(name).replace("'", "")
    if system == "doubled":
        latin = romanise(name)
        for ejective in ("ts'", "ch'", "k'", "p'", "t'", "q'"):
            latin = latin.replace(ejective, ejective[:-1] + ejective[-2])
        return latin[:1].upper() + latin[1:]
    if system == "iso_9984":
        latin = "".join(ISO_9984.get(ch, ch) for ch in name)
        return latin[:1].upper() + latin[1:]
    if system == "russian":
        latin = romanise(name).replace("'", "").replace("q", "k").replace("gh", "g")
        if latin.endswith("ia"):
            latin = latin[:-2] + "iya"
        return latin
    raise ValueError(f"Unknown Latin system: {system}")


@dataclass(frozen=True)
class Geography:
    """The 64 municipalities and their settlements, from the reference CSVs."""

    reference: Reference
    codes: np.ndarray  # municipality code by municipality index


def geography_load() -> Geography:
    """The same Reference as `population.reference_load`, read from `geo/data` instead of the
    database (the same centres and synthetic villages, indices in place of ids)."""
    with open(GEO_DATA / "municipalities.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    names, kinds, highland = [], [], []
    centre, village_start, village_count = [], [], []
    for row in rows:
        villages = int(row["villages"])
        population = float(row["population_thousands"]) * 1000
        centre.append(len(names))
        names.append(row["name_ka"])
        kinds.append(CITY if villages == 0 or population > 100_000 else TOWN)
        highland.append(row["highland_area"] == "1")
        village_start.append(len(names))
        count = min(villages, SYNTHETIC_VILLAGES)
        municipality = Municipality(name_ka=row["name_ka"], name_en=row["name_en"])
        for i in range(1, count + 1):
            names.append(_village_names(municipality, i)[0])
            kinds.append(VILLAGE)
            highland.append(row["highland_area"] == "1")
        village_count.append(count)
    names.append("")  # population_chunk's "no settlement" slot; never drawn here
    kinds.append(TOWN)
    highland.append(False)

    population = np.array([float(r["population_thousands"]) for r in rows])
    idp_weight = np.array([IDP_WEIGHT_BY_CODE.get(r["code"], IDP_WEIGHT_OTHER) for r in rows])
    idp_weight *= IDP_SHARE / np.average(idp_weight, weights=population)
    reference = Reference(
        municipality_id=np.arange(len(rows), dtype=np.int64),
        municipality_weight=population / population.sum(),
        centre_share=np.array([CENTRE_SHARE_BY_CODE.get(r["code"], CENTRE_SHARE) for r in rows]),
        idp_share=np.minimum(idp_weight, 0.9),
        centre=np.array(centre, dtype=np.int64),
        village_start=np.array(village_start, dtype=np.int64),
        village_count=np.array(village_count, dtype=np.int64),
        settlement_id=np.arange(len(names), dtype=np.int64),
        settlement_kind=np.array(kinds, dtype=np.int8),
        settlement_highland=np.array(highland, dtype=bool),
        settlement_name=pl.Series(names, dtype=pl.String),
    )
    return Geography(reference=reference, codes=np.array([r["code"] for r in rows]))


def _people(geo: Geography, names: Names, *, count: int, seed: int, today: date) -> pl.DataFrame:
    """The first `count` people of the synthetic population, with their settlement index."""
    parts, total, index = [], 0, 0
    ids = Ids(household=1, person=1, membership=1, income=1)
    empty = np.empty(0, dtype=np.int64)
    while total < count:
        frames = population_chunk(
            geo.reference,
            names,
            seed=seed,
            index=index,
            households=CHUNK,
            ids=ids,
            today=today,
            taken=empty,
        )
        ids.household += frames.households.height
        ids.person += frames.people.height
        settlement = frames.memberships.select("person_id", "household_id").join(
            frames.households.select(
                pl.col("id").alias("household_id"), pl.col("settlement_id").alias("settlement")
            ),
            on="household_id",
        )
        people = frames.people.select(
            pl.col("id").alias("person_id"),
            "personal_number",
            "first_name",
            "last_name",
            "birth_date",
            "sex",
            pl.col("municipality_id").alias("municipality_index"),
        ).join(settlement.drop("household_id"), on="person_id")
        parts.append(people)
        total += people.height
        index += 1
    return pl.concat(parts).head(count)


def _typo(column: str, letter: pl.Expr, kind: pl.Expr, u: pl.Expr) -> pl.Expr:
    """One keystroke wrong: a letter replaced, dropped, inserted, or two swapped."""
    s = pl.col(column)
    length = s.str.len_chars()
    pos = (u * length).floor().cast(pl.Int64).clip(0, length - 1)
    swap_at = (u * (length - 1)).floor().cast(pl.Int64).clip(0, length - 2)
    return (
        pl.when(kind == 0)
        .then(pl.concat_str(s.str.slice(0, pos), letter, s.str.slice(pos + 1)))
        .when(kind == 1)
        .then(pl.concat_str(s.str.slice(0, pos), s.str.slice(pos + 1)))
        .when(kind == 2)
        .then(pl.concat_str(s.str.slice(0, pos), letter, s.str.slice(pos)))
        .otherwise(
            pl.concat_str(
                s.str.slice(0, swap_at),
                s.str.slice(swap_at + 1, 1),
                s.str.slice(swap_at, 1),
                s.str.slice(swap_at + 2),
            )
        )
    )


def _from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = days.astype("datetime64[D]")
    years = d.astype("datetime64[Y]").astype(np.int64) + 1970
    months = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return years, months, day


def _to_days(years: np.ndarray, months: np.ndarray, days: np.ndarray) -> np.ndarray:
    first = (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (months - 1)
    month_end = (first + 1).astype("datetime64[D]") - 1
    day = np.minimum(first.astype("datetime64[D]") + (days - 1), month_end)  # 29 Feb → 28
    return day


def linked_records(
    records: int,
    *,
    seed: int = 2026,
    registry_share: float = 0.6,
    outside_share: float = 0.1,
    duplicate_share: float = 0.05,
    rates: dict[str, float] | None = None,
    today: date = DEFAULT_TODAY,
) -> pl.DataFrame:
    """`records` records of the registry and a ministry's list, with the truth in `person_id`.

    Columns: those of `zrunva.integration.matching.RECORD_COLUMNS`, then `person_id` (the truth)
    and `errors` (the errors injected, comma-separated, "" for none). The registry holds
    `registry_share` of the records, one per person; the ministry list the rest: people drawn
    from the registry without replacement, `outside_share` of them people the registry does not
    hold, and `duplicate_share` of its records a second record of a person already on it.
    """
    rates = {**RATES, **(rates or {})}
    rng = np.random.default_rng([seed, 17])
    geo, names = geography_load(), names_load()
    n_registry = round(records * registry_share)
    n_ministry = records - n_registry
    n_duplicates = round(n_ministry * duplicate_share)
    n_unique = n_ministry - n_duplicates
    n_outside = round(n_unique * outside_share)
    if n_unique - n_outside > n_registry:
        raise ValueError("The ministry's list cannot hold more registry people than there are.")

    people = _people(geo, names, count=n_registry + n_outside, seed=seed, today=today)
    settlement_names = geo.reference.settlement_name
    people = people.with_columns(
        municipality=pl.Series(geo.codes[people["municipality_index"].to_numpy()]),
        settlement=settlement_names.gather(people["settlement"]),
    )
    registry = people.head(n_registry).with_columns(
        unique_id=pl.format("r{}", pl.col("person_id")),
        source=pl.lit(REGISTRY),
        errors=pl.lit(""),
    )

    # The ministry's people: some of the registry's, the outsiders, then second records.
    chosen = rng.choice(n_registry, size=n_unique - n_outside, replace=False)
    rows = np.concatenate([chosen, np.arange(n_registry, n_registry + n_outside)])
    rows = np.concatenate([rows, rng.choice(rows, size=n_duplicates, replace=False)])
    rows = rows[rng.permutation(rows.size)]
    ministry = people[rows]
    m = ministry.height
    draws = {name: rng.random(m) < rate for name, rate in rates.items() if name != "day_month_swap"}

    # Surname change (marriage, mostly): another surname from the population's list.
    last = names.last
    new_last = last.georgian.gather(
        np.searchsorted(np.cumsum(last.weights), rng.random(m) * last.weights.sum()).clip(
            0, last.georgian.len() - 1
        )
    )
    changed = draws["surname_change"] & (new_last != ministry["last_name"]).to_numpy()
    # Moved: a municipality other than their own (by population), and a settlement in it.
    ref = geo.reference
    weights = np.cumsum(ref.municipality_weight)
    new_m = np.searchsorted(weights, rng.random(m) * weights[-1]).clip(0, weights.size - 1)
    own_m = ministry["municipality_index"].to_numpy()
    new_m = np.where(new_m == own_m, (new_m + 1) % weights.size, new_m)
    in_centre = (ref.village_count[new_m] == 0) | (rng.random(m) < ref.centre_share[new_m])
    village = (rng.random(m) * np.maximum(ref.village_count[new_m], 1)).astype(np.int64)
    new_settlement = np.where(in_centre, ref.centre[new_m], ref.village_start[new_m] + village)
    moved = draws["moved"]

    # Dates: day and month swapped where both can be a month and differ, at the fixed overall
    # rate (drawn among the eligible with the rate scaled up); a year typo: ±1, ±10, or its last
    # two digits swapped.
    birth = ministry["birth_date"].to_numpy().astype("datetime64[D]")
    years, months, days = _from_days(birth)
    eligible = (days <= 12) & (days != months)
    scale = rates["day_month_swap"] / max(eligible.mean(), 1e-9)
    swapped = eligible & (rng.random(m) < scale)
    new_years = years + rng.choice(np.array([1, -1, 10, -10]), m)
    tens, units = (years // 10) % 10, years % 10
    digits_swapped = years - tens * 10 - units + units * 10 + tens
    use_digits = (tens != units) & (rng.random(m) < 0.3) & (digits_swapped <= today.year)
    new_years = np.where(use_digits, digits_swapped, np.minimum(new_years, today.year))
    year_typo = draws["year_typo"]
    years = np.where(year_typo, new_years, years)
    months, days = np.where(swapped, days, months), np.where(swapped, months, days)
    birth = _to_days(years, months, days)

    latin = draws["latin"]
    system = rng.integers(0, len(LATIN_SYSTEMS), m)
    typo = draws["name_typo"]
    typo_last = rng.random(m) < 0.5
    letter_ka = pl.Series(list(GEORGIAN_LETTERS)).gather(rng.integers(0, len(GEORGIAN_LETTERS), m))
    letter_en = pl.Series(list(LATIN_LETTERS)).gather(rng.integers(0, len(LATIN_LETTERS), m))

    ministry = ministry.with_columns(
        last_name=pl.when(pl.Series(changed)).then(new_last).otherwise(pl.col("last_name")),
        municipality=pl.when(pl.Series(moved))
        .then(pl.Series(geo.codes[new_m]))
        .otherwise(pl.col("municipality")),
        settlement=pl.when(pl.Series(moved))
        .then(settlement_names.gather(new_settlement))
        .otherwise(pl.col("settlement")),
        birth_date=pl.Series(birth).cast(pl.Date),
        personal_number=pl.when(pl.Series(draws["no_personal_number"]))
        .then(None)
        .otherwise(pl.col("personal_number")),
        _system=pl.Series(system),
        _latin=pl.Series(latin),
    )
    # Latin script: each distinct name's variants are computed once, then looked up.
    distinct = pl.concat([ministry["first_name"], ministry["last_name"]]).unique().to_list()
    variants = {s: {n: latin_variant(n, s) for n in distinct} for s in LATIN_SYSTEMS}
    for column in ("first_name", "last_name"):
        expr = pl.col(column)
        for i, s in enumerate(LATIN_SYSTEMS):
            expr = (
                pl.when(pl.col("_latin") & (pl.col("_system") == i))
                .then(pl.col(column).replace_strict(variants[s], default=pl.col(column)))
                .otherwise(expr)
            )
        ministry = ministry.with_columns(expr.alias(column))
    is_latin = pl.Series(latin)
    letter = pl.when(is_latin).then(letter_en).otherwise(letter_ka)
    kind, u = pl.Series(rng.integers(0, 4, m)), pl.Series(rng.random(m))
    ministry = ministry.with_columns(
        first_name=pl.when(pl.Series(typo & ~typo_last))
        .then(_typo("first_name", letter, kind, u))
        .otherwise(pl.col("first_name")),
        last_name=pl.when(pl.Series(typo & typo_last))
        .then(_typo("last_name", letter, kind, u))
        .otherwise(pl.col("last_name")),
    )

    flags = {
        "name_typo": typo,
        "latin": latin,
        "day_month_swap": swapped,
        "year_typo": year_typo,
        "no_personal_number": draws["no_personal_number"],
        "surname_change": changed,
        "moved": moved,
    }
    errors = pl.concat_str(
        [pl.when(pl.Series(v)).then(pl.lit(k)) for k, v in flags.items()],
        separator=",",
        ignore_nulls=True,
    )
    ministry = ministry.with_columns(
        unique_id=pl.format("m{}", pl.int_range(1, m + 1)),
        source=pl.lit(MINISTRY),
        errors=errors.fill_null(""),
    )
    columns = [
        "unique_id",
        "source",
        "personal_number",
        "first_name",
        "last_name",
        "birth_date",
        "sex",
        "municipality",
        "settlement",
        "person_id",
        "errors",
    ]
    return pl.concat([registry.select(columns), ministry.select(columns)])


def _normalised(pairs: pl.DataFrame) -> pl.DataFrame:
    """Each unordered pair once, the smaller id on the left."""
    left, right = pl.col("unique_id_l"), pl.col("unique_id_r")
    return pairs.select(
        pl.min_horizontal(left, right).alias("unique_id_l"),
        pl.max_horizontal(left, right).alias("unique_id_r"),
    ).unique()


def true_pair_count(truth: pl.DataFrame) -> int:
    sizes = truth.group_by("person_id").len()["len"]
    return int((sizes * (sizes - 1) // 2).sum())


def _scores(tp: int, predicted: int, true_pairs: int) -> dict:
    precision = tp / predicted if predicted else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_positives": tp,
        "false_positives": predicted - tp,
        "false_negatives": true_pairs - tp,
        "predicted_pairs": predicted,
        "true_pairs": true_pairs,
    }


def evaluate(pairs: pl.DataFrame, truth: pl.DataFrame, *, threshold: float | None) -> dict:
    """Pairwise precision, recall and F1 of predicted pairs against the truth.

    A pair counts as predicted when its `match_probability` is at least `threshold` (every pair
    given when `threshold` is None, as for the exact baseline). The truth is every pair of
    records with the same `person_id` (`truth` holds `unique_id`, `person_id`): pairs across
    sources (a ministry record and its registry record) and pairs within a source (a person twice
    on the ministry's list) both count, since the engine links and deduplicates in one pass.
    """
    if threshold is not None:
        pairs = pairs.filter(pl.col("match_probability") >= threshold)
    pairs = _normalised(pairs)
    who = truth.select("unique_id", "person_id")
    tp = (
        pairs.join(who.rename({"unique_id": "unique_id_l", "person_id": "p_l"}), on="unique_id_l")
        .join(who.rename({"unique_id": "unique_id_r", "person_id": "p_r"}), on="unique_id_r")
        .filter(pl.col("p_l") == pl.col("p_r"))
        .height
    )
    return _scores(tp, pairs.height, true_pair_count(truth))


def evaluate_clusters(clusters: pl.DataFrame, truth: pl.DataFrame) -> dict:
    """Pairwise scores of clusters (`unique_id`, `cluster_id`): every two records put in one
    cluster count as a predicted pair, so transitive links are judged too."""
    joined = clusters.join(truth.select("unique_id", "person_id"), on="unique_id")
    sizes = joined.group_by("cluster_id").len()["len"]
    both = joined.group_by("cluster_id", "person_id").len()["len"]
    predicted = int((sizes * (sizes - 1) // 2).sum())
    tp = int((both * (both - 1) // 2).sum())
    return _scores(tp, predicted, true_pair_count(truth))
