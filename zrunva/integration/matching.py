"""Record linkage and deduplication of people across sources, with Splink (issue 17).

One probabilistic (Fellegi–Sunter) model links the registry to other agencies' lists and finds
duplicates within them, in one pass: every record is compared with every other record its
blocking rules bring together, whatever their source. It runs on DuckDB on one machine; the same
model dict runs on Spark (`spark=` a SparkSession) when the registry outgrows one machine.

The flow, and what the Django side stores:

    model = train(records, seed=2026)            # a JSON-serialisable dict: save it with the run
    pairs = predict(records, model, min_probability=Thresholds().review)
    groups = clusters(pairs, threshold=Thresholds().auto_match, records=records)
    steps = waterfall(model, pairs.row(0, named=True))   # why a pair scored what it did

Names are compared after romanisation: DuckDB's string distances count bytes, and a Georgian
letter is three bytes in UTF-8, so one wrong letter in Georgian script would cost three edits and
Jaro–Winkler would see noise. Everything is brought to one Latin key first (the 2002 national
system without apostrophes), plus a coarser phonetic form for the spellings that differ by system.
"""

import json
import logging
import math
import re
import shutil
import tempfile
import time
import unicodedata
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink import comparison_level_library as cll
from splink import comparison_library as cl
from splink.internals.waterfall_chart import records_to_waterfall_data

from zrunva.core.romanisation import has_georgian, romanise

# The input every source is brought to. `unique_id` must be unique across sources (prefix it
# with the source); names may be in Georgian or Latin script; `municipality` is a code.
RECORD_COLUMNS: dict[str, pl.DataType] = {
    "unique_id": pl.String(),
    "source": pl.String(),
    "personal_number": pl.String(),
    "first_name": pl.String(),
    "last_name": pl.String(),
    "birth_date": pl.Date(),
    "sex": pl.String(),
    "municipality": pl.String(),
    "settlement": pl.String(),
}
# The columns `prepare` adds, which the model compares.
PREPARED_COLUMNS = (
    "first_key",
    "last_key",
    "first_phonetic",
    "last_phonetic",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_year_text",
    "birth_date_either_order",
    "place",
)
logger = logging.getLogger(__name__)
LINKER_UID = "zrunva"  # fixed, so the same data and seed give the same model dict


@dataclass(frozen=True)
class Thresholds:
    """Match probabilities that route a pair: at or above `auto_match` the records are linked
    without a person looking; from `review` up to it a person decides on the review screen;
    below `review` the pair is a non-match and is not stored.

    Chosen on the generated data at a million records (bench/README.md, `linkage.py`): at 0.99
    precision is 0.9999 (38 wrong links in 373,287) and recall 0.982, F1 0.991; between 0.5 and
    0.99 lie 5,925 pairs (0.6 per hundred records) holding three quarters of the links the
    automatic step leaves, so with them decided F1 is 0.9965. Precision comes first for the
    automatic step: a wrong link merges two people's benefits and payments.
    """

    auto_match: float = 0.99
    review: float = 0.5

    def decide(self, probability: float) -> str:
        if probability >= self.auto_match:
            return "match"
        if probability >= self.review:
            return "review"
        return "non_match"


# Names -------------------------------------------------------------------------------------------

# Letters of other transliteration systems (ISO 9984, German, Russian) folded onto the national
# system, so that `Lobžaniʒe` and `Lobzhanidze` share a key. `x` is ხ in ISO 9984; a `c` with no
# `h` after it is ც (ISO 9984 and older Latin spellings).
_FOLD = (
    ("š", "sh"),
    ("č", "ch"),
    ("ž", "zh"),
    ("ğ", "gh"),
    ("ġ", "gh"),
    ("ʒ", "dz"),
    ("ǯ", "j"),
    ("x", "kh"),
)
_C_ALONE = re.compile(r"c(?!h)")
_NOT_LETTER = re.compile(r"[^a-z]+")
_DOUBLED = re.compile(r"(.)\1+")
# The phonetic form merges what spellings of one Georgian name disagree on: ejectives and their
# plain pairs (already merged in the key), q and k (Russian has no q), kh and x, gh and g, the
# affricates ts/tz/c and ch (ც წ ჩ ჭ), dz and z, zh and j, sh and s, y and i (`-iya`/`-ia`),
# w and v, and doubled letters (ejectives written twice).
_PHONETIC = (
    ("tch", "ch"),
    ("sch", "sh"),
    ("kh", "x"),
    ("gh", "g"),
    ("q", "k"),
    ("ts", "c"),
    ("tz", "c"),
    ("ch", "c"),
    ("dz", "z"),
    ("zh", "j"),
    ("sh", "s"),
    ("ph", "p"),
    ("th", "t"),
    ("w", "v"),
    ("y", "i"),
)


def name_key(text: str | None) -> str | None:
    """A name as lower-case Latin letters of the 2002 national system, without apostrophes,
    spaces or hyphens: `ნიკოლოზ`, `Nik'oloz`, `NIKOLOZ` and `Nikʼoloz` all give `nikoloz`."""
    if text is None:
        return None
    latin = romanise(text) if has_georgian(text) else text
    latin = latin.lower()
    for letter, national in _FOLD:
        latin = latin.replace(letter, national)
    latin = _C_ALONE.sub("ts", latin)
    latin = unicodedata.normalize("NFKD", latin).encode("ascii", "ignore").decode()
    return _NOT_LETTER.sub("", latin) or None


def name_phonetic(key: str | None) -> str | None:
    """A coarse form of a name key (see _PHONETIC): `kvaratskheliya`, `kvaratskhelia` and
    `qvaratskhelia` all give `kvaracxelia`."""
    if key is None:
        return None
    s = _DOUBLED.sub(r"\1", key)
    for spelling, sound in _PHONETIC:
        s = s.replace(spelling, sound)
    return _DOUBLED.sub(r"\1", s)


def _name_forms(values: pl.Series) -> pl.DataFrame:
    """Key and phonetic form of each distinct name: the romaniser is Python, so it runs once per
    distinct value and the result is joined back (a national list has far fewer distinct names
    than records)."""
    distinct = values.drop_nulls().unique()
    keys = [name_key(v) for v in distinct.to_list()]
    return pl.DataFrame(
        {
            "name": distinct,
            "key": pl.Series(keys, dtype=pl.String),
            "phonetic": pl.Series([name_phonetic(k) for k in keys], dtype=pl.String),
        }
    )


def prepare(records: pl.DataFrame) -> pl.DataFrame:
    """The records with the forms the model compares: `first_key`, `last_key` (see `name_key`),
    `first_phonetic`, `last_phonetic` (see `name_phonetic`), and the birth date's parts
    (`birth_year`, `birth_month`, `birth_day`, `birth_year_text`, and `birth_date_either_order`
    with the smaller of day and month first, for the swapped day and month and the year typo)
    and `place` (municipality/settlement).
    Empty strings become nulls, so that a missing value is not an agreement."""
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(f"Records lack the columns: {', '.join(missing)}.")
    out = records.with_columns(
        pl.col(c).cast(t) for c, t in RECORD_COLUMNS.items() if c != "birth_date"
    ).with_columns(
        pl.col(c).str.strip_chars().replace("", None)
        for c, t in RECORD_COLUMNS.items()
        if t == pl.String() and c not in ("unique_id", "source")
    )
    out = out.with_columns(pl.col("birth_date").cast(pl.Date))
    forms = _name_forms(pl.concat([out["first_name"], out["last_name"]]))
    for part in ("first", "last"):
        out = out.join(
            forms.rename(
                {"name": f"{part}_name", "key": f"{part}_key", "phonetic": f"{part}_phonetic"}
            ),
            on=f"{part}_name",
            how="left",
            maintain_order="left",
        )
    return out.with_columns(
        birth_year=pl.col("birth_date").dt.year().cast(pl.Int32),
        birth_month=pl.col("birth_date").dt.month().cast(pl.Int32),
        birth_day=pl.col("birth_date").dt.day().cast(pl.Int32),
        birth_year_text=pl.col("birth_date").dt.year().cast(pl.String),
        birth_date_either_order=pl.format(
            "{}-{}-{}",
            pl.col("birth_date").dt.year(),
            pl.min_horizontal(pl.col("birth_date").dt.month(), pl.col("birth_date").dt.day()),
            pl.max_horizontal(pl.col("birth_date").dt.month(), pl.col("birth_date").dt.day()),
        ),
        place=pl.concat_str("municipality", pl.col("settlement").fill_null(""), separator="/"),
    )


# The model ------------------------------------------------------------------------------------


def _name_comparison(part: str) -> cl.CustomComparison:
    """Exact key (with term frequencies: two `Giorgi`s agree less than two `Pridon`s), the same
    phonetic form (another transliteration), Jaro–Winkler ≥ 0.92 (a typo in a long name, which
    favours agreeing starts), Damerau–Levenshtein ≤ 2 on the key (a typo or two, transpositions
    included, in a short name), else."""
    key, phonetic = f"{part}_key", f"{part}_phonetic"
    return cl.CustomComparison(
        output_column_name=f"{part}_name",
        comparison_levels=[
            cll.NullLevel(key),
            cll.ExactMatchLevel(key, term_frequency_adjustments=True),
            cll.ExactMatchLevel(phonetic),
            cll.JaroWinklerLevel(key, 0.92),
            cll.DamerauLevenshteinLevel(key, 2),
            cll.ElseLevel(),
        ],
    )


def _birth_date_comparison() -> cl.CustomComparison:
    """Exact; day and month swapped (a clerk's American order); the same day and month and a
    year one keystroke away (a digit off, two digits swapped: Damerau–Levenshtein ≤ 1 on the
    year's digits); the same day and month in another year; the same year and month (a day
    typo); else. The swap is plain SQL on the date's parts, so DuckDB and Spark read it alike."""
    same_day_and_month = "birth_month_l = birth_month_r AND birth_day_l = birth_day_r"
    return cl.CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            cll.ExactMatchLevel("birth_date"),
            cll.CustomLevel(
                "birth_year_l = birth_year_r AND birth_month_l = birth_day_r "
                "AND birth_day_l = birth_month_r",
                label_for_charts="Day and month swapped",
            ),
            cll.And(
                cll.CustomLevel(same_day_and_month),
                cll.DamerauLevenshteinLevel("birth_year_text", 1),
            ).configure(label_for_charts="Same day and month, a year typo"),
            cll.CustomLevel(same_day_and_month, label_for_charts="Same day and month"),
            cll.CustomLevel(
                "birth_year_l = birth_year_r AND birth_month_l = birth_month_r",
                label_for_charts="Same year and month, another day",
            ),
            cll.ElseLevel(),
        ],
    )


# A personal number that differs by more than a typo is another person's number (the numbers
# are unique and checked against the registry), whatever EM would say: in its names session,
# namesakes born the same year look like matches whose numbers differ, and it learns m ≈ 0.002
# for this level, enough for two namesakes born the same day in one village to be merged. The
# m is therefore set, not learnt: 1e-12 costs about 40 bits, more than names, date, sex and
# place together can give, so two numbers are two people and do not reach the review queue.
M_OTHER_PERSONAL_NUMBER = 1e-12


def _personal_number_comparison() -> cl.CustomComparison:
    """Exact; one typo (a digit off or two swapped); else (M_OTHER_PERSONAL_NUMBER). A missing
    number (a fifth of the lists' records) is a null: no evidence either way."""
    return cl.CustomComparison(
        output_column_name="personal_number",
        comparison_levels=[
            cll.NullLevel("personal_number"),
            cll.ExactMatchLevel("personal_number"),
            cll.DamerauLevenshteinLevel("personal_number", 1),
            cll.ElseLevel().configure(
                m_probability=M_OTHER_PERSONAL_NUMBER, fix_m_probability=True
            ),
        ],
    )


def _place_comparison() -> cl.CustomComparison:
    """The same settlement of the same municipality; the same municipality; else. One
    comparison, not two: a settlement lies in one municipality, so counting the settlement's
    agreement beside the municipality's would count one fact twice (Splink multiplies
    comparisons as if independent). Term frequencies: two people in Tbilisi agree far less
    than two in a village of Mestia."""
    return cl.CustomComparison(
        output_column_name="place",
        comparison_levels=[
            cll.NullLevel("municipality"),
            cll.ExactMatchLevel("place", term_frequency_adjustments=True),
            cll.ExactMatchLevel("municipality", term_frequency_adjustments=True),
            cll.ElseLevel(),
        ],
    )


def _exact(column: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.ElseLevel(),
        ],
    )


# Each rule brings together the pairs that agree on it; a pair is scored once whichever rules
# it meets. With a fifth of the lists' records lacking a personal number, the others must each
# survive the injected errors in a field they do not use: both names and the year (a swapped
# day and month, a day typo); both names, day and month (a year typo); first name and the date
# in either order of day and month (a surname changed or mistyped, with or without a swap);
# surname and that date (a first name mistyped); date and municipality (both names mistyped or
# spelt beyond the phonetic form). Each block stays small at a million records because the
# date or the pair of names in it is rare: about 3 million pairs are scored at 1M records.
BLOCKING_RULES = (
    ("personal_number",),
    ("first_phonetic", "last_phonetic", "birth_year"),
    ("first_phonetic", "last_phonetic", "birth_month", "birth_day"),
    ("first_phonetic", "birth_date_either_order"),
    ("last_phonetic", "birth_date_either_order"),
    ("birth_date", "municipality"),
)
# Expectation maximisation needs pairs that are mostly, not all, matches, blocked on fields it
# then does not estimate: the personal number session estimates the names, date and places; the
# names session estimates the personal number and the date.
TRAINING_RULES = (
    ("personal_number",),
    ("first_phonetic", "last_phonetic", "birth_year"),
)
# Pairs these rules find are taken as surely matches when estimating how many pairs match at
# all; they find about 90% of the matches in the generated data (a personal number on both
# records, or names and date exactly alike).
DETERMINISTIC_RULES = (("personal_number",), ("first_key", "last_key", "birth_date"))
DETERMINISTIC_RECALL = 0.9


def settings() -> SettingsCreator:
    """The model's specification, untrained."""
    return SettingsCreator(
        link_type="dedupe_only",  # one table holding all sources: links and deduplicates alike
        unique_id_column_name="unique_id",
        comparisons=[
            _personal_number_comparison(),
            _name_comparison("first"),
            _name_comparison("last"),
            _birth_date_comparison(),
            _exact("sex"),
            _place_comparison(),
        ],
        blocking_rules_to_generate_predictions=[block_on(*rule) for rule in BLOCKING_RULES],
        additional_columns_to_retain=["source"],
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,  # the waterfall reads mw_ and tf_ columns
        max_iterations=25,
        em_convergence=0.0001,
        linker_uid=LINKER_UID,
    )


@contextmanager
def _linked(prepared: pl.DataFrame, model: dict | SettingsCreator, *, spark=None):
    """A Splink linker over the prepared records, on a DuckDB connection of its own or on the
    given Spark session; what it leaves (the connection, Spark's copy of the records) goes
    when the block ends."""
    folder = None
    if spark is None:
        connection = duckdb.connect()
        db_api = DuckDBAPI(connection)
        table = db_api.register(prepared.to_arrow(), table_name="records")
    else:
        from splink import SparkAPI

        db_api = SparkAPI(spark_session=spark)
        # Spark reads the records from Parquet, in parallel and with no pandas in between. One
        # session serves many linkers: each input gets a name of its own.
        folder = Path(tempfile.mkdtemp(prefix="zrunva-linkage-"))
        prepared.write_parquet(folder / "records.parquet")
        frame = spark.read.parquet(str(folder / "records.parquet")).cache()
        table = db_api.register(frame, table_name=f"records_{uuid.uuid4().hex[:12]}")
    if isinstance(model, dict):
        model = _in_dialect(model, db_api.sql_dialect.sql_dialect_str)
    try:
        yield Linker(table, model, log_level=None)
    finally:
        if folder is None:
            connection.close()
        else:
            frame.unpersist()
            shutil.rmtree(folder, ignore_errors=True)


# What training sets in a level; everything else (its SQL above all) comes from `settings()`.
_TRAINED = ("m_probability", "u_probability", "fix_m_probability", "fix_u_probability")


def _in_dialect(model: dict, dialect: str) -> dict:
    """The model with its SQL written for `dialect`: `settings()` in that dialect, with the
    trained probabilities of `model`. Splink saves each level's SQL as the training backend
    wrote it (`jaro_winkler_similarity` on DuckDB, the `jaro_winkler` UDF on Spark), and does
    not translate a saved level's `ELSE`; rebuilding from the specification does, and a model
    trained on one backend runs on the other."""
    spec = settings().create_settings_dict(dialect)
    names = [c["output_column_name"] for c in spec["comparisons"]]
    if names != [c["output_column_name"] for c in model["comparisons"]]:
        raise ValueError("The model's comparisons are not those of this version of the engine.")
    for ours, theirs in zip(spec["comparisons"], model["comparisons"], strict=True):
        levels = theirs["comparison_levels"]
        if len(levels) != len(ours["comparison_levels"]):
            raise ValueError(f"The model's {theirs['output_column_name']} levels differ.")
        for level, trained in zip(ours["comparison_levels"], levels, strict=True):
            level.update({k: trained[k] for k in _TRAINED if k in trained})
    spec["probability_two_random_records_match"] = model["probability_two_random_records_match"]
    return spec


# Officers' decisions "the same person" re-estimate m once there are enough of them to say more
# than expectation maximisation does; fewer would only add noise to what EM learnt.
MIN_LABELLED_MATCHES = 100


def train(
    records: pl.DataFrame,
    *,
    seed: int = 2026,
    max_pairs: float = 5e6,
    spark=None,
    labels: pl.DataFrame | None = None,
) -> dict:
    """Train the model unsupervised and return it as a JSON-serialisable dict (Splink's saved
    settings: the comparisons with their m and u probabilities, the blocking rules, the prior).

    u (how often non-matches agree by chance) from `max_pairs` random pairs, seeded; m (how often
    matches agree) by expectation maximisation on the TRAINING_RULES' pairs; the probability two
    random records match from DETERMINISTIC_RULES. No labels are needed; `labels`
    (`unique_id_l`, `unique_id_r`, `is_match`: reviewed pairs) then re-estimate m from the pairs
    decided the same person, when at least MIN_LABELLED_MATCHES of them are among `records`.
    """
    prepared = prepare(records)
    with _linked(prepared, settings(), spark=spark) as linker:
        training = linker.training
        started = time.perf_counter()
        training.estimate_probability_two_random_records_match(
            [block_on(*rule) for rule in DETERMINISTIC_RULES], recall=DETERMINISTIC_RECALL
        )
        pairs = prepared.height * (prepared.height - 1) / 2
        training.estimate_u_using_random_sampling(
            max_pairs=min(max_pairs, pairs), seed=seed, num_chunks=1
        )
        logger.info("u estimated in %.1f s", time.perf_counter() - started)
        for rule in TRAINING_RULES:
            training.estimate_parameters_using_expectation_maximisation(
                block_on(*rule), estimate_without_term_frequencies=True
            )
            logger.info("m estimated on %s in %.1f s", rule, time.perf_counter() - started)
        matches = _labelled_matches(labels, prepared)
        if matches is not None:
            table = linker._db_api.register(matches.to_arrow(), table_name="review_labels")
            training.estimate_m_from_pairwise_labels(table)
            logger.info("m estimated from %d reviewed pairs", matches.height)
        model = linker.misc.save_model_to_json()
    return _with_floors(json.loads(json.dumps(model)))


def _labelled_matches(labels: pl.DataFrame | None, prepared: pl.DataFrame) -> pl.DataFrame | None:
    """The reviewed pairs decided the same person whose records are both being trained on,
    as Splink's labels table; None when they are too few to use."""
    if labels is None or labels.is_empty():
        return None
    ids = prepared.select(pl.col("unique_id").cast(pl.String))
    matches = (
        labels.filter(pl.col("is_match"))
        .select(pl.col("unique_id_l").cast(pl.String), pl.col("unique_id_r").cast(pl.String))
        .join(ids, left_on="unique_id_l", right_on="unique_id", how="semi")
        .join(ids, left_on="unique_id_r", right_on="unique_id", how="semi")
    )
    return matches if matches.height >= MIN_LABELLED_MATCHES else None


# A level that training never saw among matches (a sex that differs, a personal number one
# typo away: the generated errors never make them) is rare, not impossible: its m is raised to
# M_FLOOR rather than left to Splink's defaults or at zero, so the saved dict is the whole model
# and one such field costs about ten bits instead of vetoing a pair whose other fields agree.
# Likewise a level never met among the random pairs that estimate u (a personal number one
# typo from another, in a small list) is rare among non-matches, not impossible: U_FLOOR.
M_FLOOR = 1e-3
U_FLOOR = 1e-7


def _with_floors(model: dict) -> dict:
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            if not level.get("fix_m_probability"):
                level["m_probability"] = max(level.get("m_probability") or 0.0, M_FLOOR)
            level["u_probability"] = max(level.get("u_probability") or 0.0, U_FLOOR)
    return model


def _splink_frame_to_polars(frame, *, spark=None) -> pl.DataFrame:
    if spark is None:
        return frame.as_duckdbpyrelation().pl()
    folder = Path(tempfile.mkdtemp(prefix="zrunva-linkage-"))
    try:
        frame.as_spark_dataframe().write.parquet(str(folder / "out"))
        return pl.read_parquet(folder / "out" / "*.parquet")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def predict(
    records: pl.DataFrame,
    model: dict,
    *,
    min_probability: float,
    spark=None,
    term_frequencies: dict[str, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """Scored pairs of records with a match probability of at least `min_probability`.

    Columns: `unique_id_l`, `unique_id_r` (the smaller id on the left), `source_l`, `source_r`,
    `match_weight` (log2 of the Bayes factor, prior included), `match_probability`, then per
    comparison its level (`gamma_<name>`: -1 null, 0 the last level, higher the closer), its
    weight (`mw_<name>`, log2 of its Bayes factor), the term frequency adjustment's weight
    (`mw_tf_adj_<name>`) and the term frequencies (`tf_<column>_l`, `tf_<column>_r`), and the
    values compared on each side (`<column>_l`, `<column>_r`), as `waterfall` reads them; last
    `match_key`, the index of the first blocking rule that found the pair. Comparison names:
    personal_number, first_name, last_name, birth_date, sex, place. `term_frequencies` (see
    `term_frequencies`) replaces the frequencies Splink would count in `records`.
    """
    with _linked(prepare(records), model, spark=spark) as linker:
        # A few records scored against their candidates (an import's rows) take the
        # population's term frequencies, not their own: among two records every name is common.
        for column, table in (term_frequencies or {}).items():
            registered = linker._db_api.register(table.to_arrow(), table_name=f"tf_lookup_{column}")
            linker.table_management.register_term_frequency_lookup(registered, column)
        scored = linker.inference.predict(threshold_match_probability=min_probability)
        pairs = _splink_frame_to_polars(scored, spark=spark)
    first = ["unique_id_l", "unique_id_r", "source_l", "source_r", "match_weight"]
    first.append("match_probability")
    return pairs.select(*first, *[c for c in pairs.columns if c not in first])


def tf_columns(model: dict) -> list[str]:
    """The columns the model adjusts for term frequency (a common name weighs less)."""
    return sorted(
        {
            level["tf_adjustment_column"]
            for comparison in model.get("comparisons", [])
            for level in comparison.get("comparison_levels", [])
            if level.get("tf_adjustment_column")
        }
    )


def term_frequencies(records: pl.DataFrame, model: dict) -> dict[str, pl.DataFrame]:
    """Each term-frequency column's value frequencies over `records` (a population), in the
    form Splink reads (`<column>`, `tf_<column>`), for `predict` to score a few records."""
    prepared = prepare(records)
    out = {}
    for column in tf_columns(model):
        values = prepared.select(column).drop_nulls()
        out[column] = (
            values.group_by(column)
            .len()
            .select(column, (pl.col("len") / max(1, values.height)).alias(f"tf_{column}"))
        )
    return out


def waterfall(model: dict, pair: dict[str, Any]) -> list[dict[str, Any]]:
    """Why one predicted pair (a row of `predict`, as a dict) scored what it did: the prior, then
    each comparison's level and, where the model adjusts for term frequency, that adjustment.

    Each step: `comparison` ("prior", a comparison's name, or "tf_<name>"), `label` (the level),
    `value_l`, `value_r` (the values compared), `bayes_factor`, `log2_weight`. The log2 weights
    add up to the pair's `match_weight`; the review screen draws them as bars.
    """
    spec = SettingsCreator.from_path_or_dict(_in_dialect(model, "duckdb")).get_settings("duckdb")
    steps = []
    for row in records_to_waterfall_data([pair], spec, False):
        if row["column_name"] == "Final score":
            continue
        prior = row["column_name"] == "Prior"
        steps.append(
            {
                "comparison": "prior" if prior else row["column_name"],
                "label": row["label_for_charts"],
                "value_l": row["value_l"],
                "value_r": row["value_r"],
                "bayes_factor": row["bayes_factor"],
                "log2_weight": row["log2_bayes_factor"],
            }
        )
    return steps


def clusters(
    pairs: pl.DataFrame, *, threshold: float, records: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Groups of records that are one person, across sources: the connected components of the
    pairs with a match probability of at least `threshold` (`unique_id`, `cluster_id`; the
    cluster id is the smallest unique id in it). With `records`, records linked to none are
    their own cluster; without, only linked records are listed."""
    edges = pairs.filter(pl.col("match_probability") >= threshold).select(
        "unique_id_l", "unique_id_r"
    )
    ids = pl.concat([edges["unique_id_l"], edges["unique_id_r"]])
    if records is not None:
        ids = pl.concat([ids, records["unique_id"].cast(pl.String)])
    nodes = pl.DataFrame({"unique_id": ids.unique()})
    if edges.is_empty():
        return nodes.with_columns(cluster_id=pl.col("unique_id")).sort("unique_id")
    # Label propagation in Polars: each record takes the smallest label among its neighbours
    # until nothing changes; the number of rounds is the longest chain, a handful here.
    both = pl.concat(
        [edges, edges.select(unique_id_l="unique_id_r", unique_id_r="unique_id_l")]
    ).rename({"unique_id_l": "unique_id", "unique_id_r": "neighbour"})
    labels = nodes.with_columns(cluster_id=pl.col("unique_id"))
    while True:
        proposed = (
            both.join(labels.rename({"unique_id": "neighbour"}), on="neighbour")
            .group_by("unique_id")
            .agg(pl.col("cluster_id").min().alias("proposed"))
        )
        updated = (
            labels.join(proposed, on="unique_id", how="left")
            .with_columns(
                cluster_id=pl.min_horizontal(
                    "cluster_id", pl.col("proposed").fill_null(pl.col("cluster_id"))
                )
            )
            .drop("proposed")
        )
        changed = updated.join(labels, on="unique_id", suffix="_old").filter(
            pl.col("cluster_id") != pl.col("cluster_id_old")
        )
        labels = updated
        if changed.is_empty():
            return labels.sort("unique_id")


def exact_baseline(records: pl.DataFrame) -> pl.DataFrame:
    """The comparator: pairs of records with the same personal number (a missing one matches
    nothing). Columns as `predict`'s first six, with probability 1 and an infinite weight."""
    keyed = records.select(
        pl.col("unique_id").cast(pl.String),
        pl.col("source").cast(pl.String),
        pl.col("personal_number").cast(pl.String).str.strip_chars().replace("", None),
    ).drop_nulls("personal_number")
    pairs = keyed.join(keyed, on="personal_number", suffix="_r").filter(
        pl.col("unique_id") < pl.col("unique_id_r")
    )
    return pairs.select(
        unique_id_l="unique_id",
        unique_id_r="unique_id_r",
        source_l="source",
        source_r="source_r",
        match_weight=pl.lit(math.inf),
        match_probability=pl.lit(1.0),
    )
