"""The linkage engine on generated records: quality against the known truth, the baseline it
must beat, the waterfall, romanisation, swapped dates, determinism and the saved model.

No database: the records are generated in memory (`synthetic.linked_records`) and Splink runs
on an in-memory DuckDB. The model is trained once per module (about 5 s on 2 cores).
"""

import json
from datetime import date

import polars as pl
import pytest

from zrunva.integration import matching
from zrunva.integration.matching import (
    Thresholds,
    clusters,
    exact_baseline,
    name_key,
    name_phonetic,
    predict,
    prepare,
    train,
    waterfall,
)
from zrunva.integration.synthetic import (
    LATIN_SYSTEMS,
    MINISTRY,
    RATES,
    REGISTRY,
    evaluate,
    evaluate_clusters,
    latin_variant,
    linked_records,
    true_pair_count,
)
from zrunva.registry.population import names_load

RECORDS = 4_000
SEED = 7
TRAINING_PAIRS = 1e6  # the default 5e6 is for a national run; a million is plenty for 4,000


@pytest.fixture(scope="module")
def records() -> pl.DataFrame:
    return linked_records(RECORDS, seed=SEED)


@pytest.fixture(scope="module")
def model(records) -> dict:
    return train(records, seed=SEED, max_pairs=TRAINING_PAIRS)


@pytest.fixture(scope="module")
def pairs(records, model) -> pl.DataFrame:
    return predict(records, model, min_probability=0.01)


def _record(uid: str, source: str, **values) -> dict:
    base = {
        "unique_id": uid,
        "source": source,
        "personal_number": None,
        "first_name": "ნიკოლოზ",
        "last_name": "კვარაცხელია",
        "birth_date": date(1984, 3, 11),
        "sex": "M",
        "municipality": "zugdidi",
        "settlement": "ზუგდიდი",
        "person_id": -1,
        "errors": "",
    }
    return {**base, **values}


def _with(records: pl.DataFrame, extra: list[dict]) -> pl.DataFrame:
    return pl.concat([records, pl.DataFrame(extra, schema=records.schema)])


def _pair(pairs: pl.DataFrame, a: str, b: str) -> dict | None:
    found = pairs.filter(
        ((pl.col("unique_id_l") == a) & (pl.col("unique_id_r") == b))
        | ((pl.col("unique_id_l") == b) & (pl.col("unique_id_r") == a))
    )
    return found.row(0, named=True) if found.height else None


# Quality ----------------------------------------------------------------------------------------


def test_quality_on_generated_records_meets_the_thresholds(records, pairs):
    thresholds = Thresholds()
    linked = evaluate(pairs, records, threshold=thresholds.auto_match)
    assert linked["precision"] >= 0.98
    assert linked["recall"] >= 0.95
    with_review = evaluate(pairs, records, threshold=thresholds.review)
    assert with_review["precision"] >= 0.97
    assert with_review["recall"] >= 0.97
    assert with_review["true_pairs"] == true_pair_count(records) > 1_000


def test_the_exact_personal_number_baseline_is_beaten(records, pairs):
    baseline = evaluate(exact_baseline(records), records, threshold=None)
    ours = evaluate(pairs, records, threshold=Thresholds().auto_match)
    # A fifth of the ministry's records lack the number, so the baseline misses their links.
    assert baseline["precision"] == 1.0
    assert baseline["recall"] < 0.85
    assert ours["f1"] > baseline["f1"] + 0.08
    assert ours["recall"] > baseline["recall"] + 0.1


def test_clusters_of_the_predicted_pairs_hold_the_people_across_sources(records, pairs):
    groups = clusters(pairs, threshold=Thresholds().auto_match, records=records)
    assert groups.height == records.height
    scores = evaluate_clusters(groups, records)
    assert scores["precision"] >= 0.98
    assert scores["recall"] >= 0.95
    joined = groups.join(records.select("unique_id", "source"), on="unique_id")
    mixed = joined.group_by("cluster_id").agg(pl.col("source").n_unique().alias("n"))
    assert mixed.filter(pl.col("n") == 2).height > 1_000  # registry and ministry together


# The waterfall ---------------------------------------------------------------------------------


def test_waterfall_adds_up_to_each_pairs_match_weight(model, pairs):
    sample = pl.concat(
        [
            pairs.filter(pl.col("match_probability") >= 0.99).head(5),
            pairs.sort("match_probability").head(5),
            pairs.filter(pl.col("gamma_personal_number") == -1).head(5),
        ]
    )
    assert sample.height == 15
    for pair in sample.iter_rows(named=True):
        steps = waterfall(model, pair)
        assert steps[0]["comparison"] == "prior"
        assert sum(s["log2_weight"] for s in steps) == pytest.approx(pair["match_weight"])
        names = {s["comparison"] for s in steps}
        assert {"personal_number", "first_name", "last_name", "birth_date", "sex"} <= names
        assert {"place", "tf_first_name"} <= names


def test_waterfall_shows_the_values_and_the_level_of_each_comparison(model, pairs):
    pair = pairs.filter(pl.col("gamma_personal_number") == -1).row(0, named=True)
    steps = {s["comparison"]: s for s in waterfall(model, pair)}
    assert steps["personal_number"]["label"] == "personal_number is NULL"
    assert steps["personal_number"]["log2_weight"] == 0
    birth = steps["birth_date"]
    assert str(pair["birth_date_l"]) in birth["value_l"]
    assert str(pair["birth_date_r"]) in birth["value_r"]
    assert birth["bayes_factor"] == pytest.approx(2 ** birth["log2_weight"])


# Scripts and dates ----------------------------------------------------------------------------


def test_name_forms_agree_across_scripts_and_systems():
    assert name_key("ნიკოლოზ") == name_key("Nik'oloz") == name_key("NIKʼOLOZ") == "nikoloz"
    assert name_key("Lobžaniʒe") == name_key("ლობჟანიძე") == "lobzhanidze"
    assert name_key("  ") is None
    assert name_phonetic(name_key("Kvaratskheliya")) == name_phonetic(name_key("კვარაცხელია"))
    assert name_phonetic(name_key("Qipiani")) == name_phonetic(name_key("Kipiani"))
    assert name_phonetic(name_key("Beridze")) != name_phonetic(name_key("Benidze"))


def test_every_latin_spelling_of_every_population_name_has_the_georgian_phonetic_form():
    names = names_load()
    every = set(names.male.georgian) | set(names.female.georgian) | set(names.last.georgian)
    for name in sorted(every):
        expected = name_phonetic(name_key(name))
        for system in LATIN_SYSTEMS:
            spelt = latin_variant(name, system)
            assert name_phonetic(name_key(spelt)) == expected, (name, system, spelt)


def test_georgian_script_links_to_its_latin_spellings(records, model):
    extra = [_record("r-test", REGISTRY, personal_number="01024083745")]
    for system in LATIN_SYSTEMS:
        extra.append(
            _record(
                f"m-{system}",
                MINISTRY,
                first_name=latin_variant("ნიკოლოზ", system),
                last_name=latin_variant("კვარაცხელია", system),
            )
        )
    scored = predict(_with(records, extra), model, min_probability=0.01)
    for system in LATIN_SYSTEMS:
        pair = _pair(scored, "r-test", f"m-{system}")
        assert pair is not None, system
        assert pair["match_probability"] >= Thresholds().auto_match, system


def test_swapped_day_and_month_links_and_says_so(records, model):
    extra = [
        _record("r-swap", REGISTRY, personal_number="01024083745", birth_date=date(1984, 3, 11)),
        _record("m-swap", MINISTRY, birth_date=date(1984, 11, 3)),
    ]
    scored = predict(_with(records, extra), model, min_probability=0.01)
    pair = _pair(scored, "r-swap", "m-swap")
    assert pair is not None
    assert pair["match_probability"] >= Thresholds().auto_match
    steps = {s["comparison"]: s for s in waterfall(model, pair)}
    assert steps["birth_date"]["label"] == "Day and month swapped"
    assert steps["birth_date"]["log2_weight"] > 5


def test_another_personal_number_keeps_namesakes_apart(records, model):
    extra = [
        _record("r-one", REGISTRY, personal_number="01024083745"),
        _record("r-two", REGISTRY, personal_number="59001122334"),
    ]
    scored = predict(_with(records, extra), model, min_probability=0.0)
    pair = _pair(scored, "r-one", "r-two")
    assert pair is not None
    assert pair["match_probability"] < Thresholds().review
    steps = {s["comparison"]: s for s in waterfall(model, pair)}
    assert steps["personal_number"]["log2_weight"] < -35


# The model -------------------------------------------------------------------------------------


def test_training_is_deterministic_with_a_seed():
    sample = linked_records(1_500, seed=3)
    first = train(sample, seed=3, max_pairs=2e5)
    second = train(sample, seed=3, max_pairs=2e5)
    assert first == second
    other = train(sample, seed=4, max_pairs=2e5)
    assert other != first  # the seed does drive the sampling


def test_the_model_round_trips_through_json(records, model, pairs):
    loaded = json.loads(json.dumps(model))
    assert loaded == model
    again = predict(records, loaded, min_probability=0.01)
    assert again.height == pairs.height
    assert again.sort("unique_id_l", "unique_id_r")["match_weight"].to_list() == pytest.approx(
        pairs.sort("unique_id_l", "unique_id_r")["match_weight"].to_list()
    )


def test_the_model_is_complete_and_names_its_comparisons(model):
    names = [c["output_column_name"] for c in model["comparisons"]]
    assert names == ["personal_number", "first_name", "last_name", "birth_date", "sex", "place"]
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                assert level["m_probability"] > 0, (comparison["output_column_name"], level)
                assert level["u_probability"] > 0, (comparison["output_column_name"], level)
    assert 0 < model["probability_two_random_records_match"] < 0.01


def test_the_model_is_rewritten_for_spark_with_its_trained_parameters(model):
    spark = matching._in_dialect(model, "spark")
    names = [c["output_column_name"] for c in model["comparisons"]]
    levels = [lv for c in spark["comparisons"] for lv in c["comparison_levels"]]
    sql = " ".join(lv["sql_condition"] for lv in levels)
    assert "jaro_winkler(`first_key_l`, `first_key_r`) >= 0.92" in sql
    assert "jaro_winkler_similarity" not in sql
    assert [c["output_column_name"] for c in spark["comparisons"]] == names
    trained = [
        lv.get("m_probability") for c in model["comparisons"] for lv in c["comparison_levels"]
    ]
    assert [lv.get("m_probability") for lv in levels] == trained
    assert (
        spark["probability_two_random_records_match"]
        == model["probability_two_random_records_match"]
    )
    broken = json.loads(json.dumps(model))
    broken["comparisons"].pop()
    with pytest.raises(ValueError, match=r"^The model's comparisons are not those of this version"):
        matching._in_dialect(broken, "spark")


def test_predict_gives_the_pair_columns_in_order(pairs):
    assert pairs.columns[:6] == [
        "unique_id_l",
        "unique_id_r",
        "source_l",
        "source_r",
        "match_weight",
        "match_probability",
    ]
    assert {"gamma_first_name", "mw_first_name", "mw_tf_adj_first_name"} <= set(pairs.columns)
    assert (pairs["unique_id_l"] < pairs["unique_id_r"]).all()
    assert pairs["match_probability"].min() >= 0.01


# Inputs, baseline, clusters, thresholds ---------------------------------------------------------


def test_prepare_names_missing_columns_and_nulls_empty_strings():
    with pytest.raises(ValueError, match=r"^Records lack the columns: sex, settlement\.$"):
        prepare(
            pl.DataFrame({c: [] for c in matching.RECORD_COLUMNS if c not in ("sex", "settlement")})
        )
    frame = pl.DataFrame(
        [_record("a", REGISTRY, personal_number=" ", settlement="", last_name="ბერიძე")]
    )
    prepared = prepare(frame).row(0, named=True)
    assert prepared["personal_number"] is None
    assert prepared["settlement"] is None
    assert prepared["place"] == "zugdidi/"
    assert prepared["last_key"] == "beridze"
    assert (prepared["birth_year"], prepared["birth_month"], prepared["birth_day"]) == (1984, 3, 11)
    assert prepared["birth_date_either_order"] == "1984-3-11"


def test_exact_baseline_pairs_shared_personal_numbers_only():
    frame = pl.DataFrame(
        [
            _record("r1", REGISTRY, personal_number="01001000001"),
            _record("m1", MINISTRY, personal_number="01001000001"),
            _record("m2", MINISTRY, personal_number="01001000001"),
            _record("m3", MINISTRY, personal_number=None),
            _record("r3", REGISTRY, personal_number=""),
        ]
    )
    got = exact_baseline(frame).sort("unique_id_l", "unique_id_r")
    assert got.select("unique_id_l", "unique_id_r").rows() == [
        ("m1", "m2"),
        ("m1", "r1"),
        ("m2", "r1"),
    ]
    assert got["match_probability"].to_list() == [1.0, 1.0, 1.0]


def test_clusters_join_chains_above_the_threshold_only():
    pairs = pl.DataFrame(
        {
            "unique_id_l": ["a", "b", "d", "f"],
            "unique_id_r": ["b", "c", "e", "g"],
            "match_probability": [0.999, 0.995, 0.4, 0.995],
        }
    )
    records = pl.DataFrame({"unique_id": ["a", "b", "c", "d", "e", "f", "g", "h"]})
    got = dict(clusters(pairs, threshold=0.99, records=records).iter_rows())
    assert got == {"a": "a", "b": "a", "c": "a", "d": "d", "e": "e", "f": "f", "g": "f", "h": "h"}
    only_linked = clusters(pairs, threshold=0.99)
    assert sorted(only_linked["unique_id"]) == ["a", "b", "c", "f", "g"]


def test_thresholds_route_pairs():
    thresholds = Thresholds()
    assert thresholds.decide(0.995) == "match"
    assert thresholds.decide(thresholds.auto_match) == "match"
    assert thresholds.decide(0.7) == "review"
    assert thresholds.decide(0.2) == "non_match"


# The generator ---------------------------------------------------------------------------------


def test_generated_errors_come_at_the_fixed_rates():
    generated = linked_records(50_000, seed=11)
    ministry = generated.filter(pl.col("source") == MINISTRY)
    assert ministry.height == 20_000
    registry = generated.filter(pl.col("source") == REGISTRY)
    assert registry["errors"].eq("").all()
    assert registry["personal_number"].null_count() == 0
    for error, rate in RATES.items():
        share = ministry["errors"].str.split(",").list.contains(error).mean()
        # Surname changes that drew the same surname are not made (a few per cent of them).
        assert share == pytest.approx(rate, abs=0.01), error
    assert (
        ministry["personal_number"].null_count()
        == ministry["errors"].str.contains("no_personal_number").sum()
    )
    latin = ministry.filter(pl.col("errors").str.contains("latin"))
    assert not latin["first_name"].str.contains(r"[\u10d0-\u10fa]").any()


def test_generation_is_deterministic_and_holds_the_truth():
    first = linked_records(3_000, seed=5)
    assert first.equals(linked_records(3_000, seed=5))
    assert not first.equals(linked_records(3_000, seed=6))
    assert first["unique_id"].n_unique() == first.height
    registry = first.filter(pl.col("source") == REGISTRY)
    assert registry["person_id"].n_unique() == registry.height
    in_both = first.group_by("person_id").agg(pl.col("source").n_unique().alias("n"))
    assert in_both.filter(pl.col("n") == 2).height > 900


def test_reviewed_matches_re_estimate_m_when_there_are_enough(records):
    """Officers' "the same person" decisions train the next model: with enough of them among
    the records, m comes from them; with too few, the model is what EM alone learnt."""
    truth = records.select("unique_id", "person_id")
    true = (
        truth.join(truth, on="person_id", suffix="_r")
        .filter(pl.col("unique_id") < pl.col("unique_id_r"))
        .select(unique_id_l="unique_id", unique_id_r="unique_id_r")
        .with_columns(is_match=pl.lit(True))
    )
    assert true.height >= matching.MIN_LABELLED_MATCHES

    def ms(model):
        return [
            level.get("m_probability")
            for comparison in model["comparisons"]
            for level in comparison["comparison_levels"]
            if not level.get("is_null_level")
        ]

    plain = train(records, seed=SEED, max_pairs=TRAINING_PAIRS)
    few = train(records, seed=SEED, max_pairs=TRAINING_PAIRS, labels=true.head(5))
    assert ms(few) == pytest.approx(ms(plain), rel=1e-9)
    labelled = train(records, seed=SEED, max_pairs=TRAINING_PAIRS, labels=true.head(400))
    assert ms(labelled) != pytest.approx(ms(plain), rel=1e-3)
    assert labelled["probability_two_random_records_match"] == pytest.approx(
        plain["probability_two_random_records_match"]
    )
