"""Record linkage at national scale (issue 17): the Splink engine against the exact personal
number baseline, on DuckDB at a million records, and the same model on Spark local mode.

    .venv/bin/pip install -r requirements-bench.lock -c requirements.lock   # pyspark, bench only
    .venv/bin/python bench/linkage.py [--records 1000000] [--spark-records 100000]
        [--spark-million] [--skip-spark]

No database: `zrunva.integration.synthetic.linked_records` generates the records in memory
from the synthetic population (seed 2026): 60% the registry (one clean record per person), 40%
a ministry's list (90% of its people in the registry, 5% of its records a person's second
record) with the issue's errors injected per record at fixed rates (name typo 10%, Latin
spelling 10%, day and month swapped 3%, year typo 2%, no personal number 20%, surname changed
5%, moved municipality 10%). Each measurement runs in its own child process and reports its own
peak memory (VmHWM; for Spark, the Python driver's plus the JVM's):

1. **Baseline**: `matching.exact_baseline` (pairs with the same personal number), timed.
2. **DuckDB**, at `--records` and at `--spark-records`: `train` (u from 5M random pairs, m by
   EM, the prior from deterministic rules), `predict` at the review threshold, `clusters` at
   the auto-match threshold; each step timed, with the generation timed apart.
3. **Spark local mode** (`local[2]`, Java 17, pyspark from requirements-bench.lock): the same
   `train` and `predict` with `spark=`, at `--spark-records`; at `--records` too with
   `--spark-million`, given 30 minutes (a run that takes longer is stopped and reported so).

Pairs count as the truth says (`synthetic.evaluate`): every two records of one person, across
sources or within the ministry's list. Precision, recall and F1 are printed at the auto-match
threshold (what links with no one looking) and at the review threshold (if every reviewed pair
were decided right), beside the baseline's, with the ratios. Targets: F1 ≥ 0.98 and at most 10
minutes at 1M on DuckDB on 2 cores.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
os.environ.setdefault("DJANGO_DEBUG", "1")

SEED = 2026
TARGETS = {"f1": 0.98, "seconds": 600.0}
SPARK_LIMIT = 30 * 60
SWEEP = (0.5, 0.8, 0.9, 0.95, 0.99, 0.999)


def _status_kib(pid: int | str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def peak_mib(*, with_children: bool = False) -> float:
    total = _status_kib("self", "VmHWM")
    if with_children:
        total += sum(_status_kib(p, "VmHWM") for p in _descendants(os.getpid()))
    return total / 1024


def setup():
    import logging

    import django

    django.setup()
    logging.getLogger("splink").setLevel(logging.ERROR)


def _generate(records: int):
    from zrunva.integration.synthetic import linked_records

    started = time.perf_counter()
    frame = linked_records(records, seed=SEED)
    return frame, time.perf_counter() - started


def _scores(pairs, groups, truth) -> dict:
    from zrunva.integration.matching import Thresholds
    from zrunva.integration.synthetic import evaluate, evaluate_clusters

    thresholds = Thresholds()
    return {
        "auto_match": evaluate(pairs, truth, threshold=thresholds.auto_match),
        "review": evaluate(pairs, truth, threshold=thresholds.review),
        "clusters": evaluate_clusters(groups, truth),
        "sweep": {str(t): evaluate(pairs, truth, threshold=t) for t in SWEEP},
    }


def child_baseline(records: int) -> dict:
    from zrunva.integration.matching import exact_baseline
    from zrunva.integration.synthetic import evaluate

    truth, generate = _generate(records)
    started = time.perf_counter()
    pairs = exact_baseline(truth)
    seconds = time.perf_counter() - started
    return {
        "engine": "baseline",
        "records": records,
        "generate_seconds": generate,
        "seconds": seconds,
        "scores": evaluate(pairs, truth, threshold=None),
        "peak_mib": peak_mib(),
    }


def _spark_session():
    from pyspark.sql import SparkSession
    from splink.internals.spark.jar_location import similarity_jar_location

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("zrunva-linkage-bench")
        .config("spark.jars", similarity_jar_location())
        .config("spark.driver.memory", "8g")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.local.dir", tempfile.mkdtemp(prefix="zrunva-spark-"))
        .getOrCreate()
    )
    spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="zrunva-spark-checkpoints-"))
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def child_engine(records: int, engine: str) -> dict:
    from zrunva.integration.matching import Thresholds, clusters, predict, train

    truth, generate = _generate(records)
    spark, startup = None, 0.0
    if engine == "spark":
        started = time.perf_counter()
        spark = _spark_session()
        startup = time.perf_counter() - started
    thresholds = Thresholds()
    steps = {}
    started = time.perf_counter()
    model = train(truth, seed=SEED, spark=spark)
    steps["train"] = time.perf_counter() - started
    mark = time.perf_counter()
    pairs = predict(truth, model, min_probability=thresholds.review, spark=spark)
    steps["predict"] = time.perf_counter() - mark
    mark = time.perf_counter()
    groups = clusters(pairs, threshold=thresholds.auto_match, records=truth)
    steps["clusters"] = time.perf_counter() - mark
    seconds = time.perf_counter() - started
    peak = peak_mib(with_children=spark is not None)
    if spark is not None:
        spark.stop()
    return {
        "engine": engine,
        "records": records,
        "generate_seconds": generate,
        "spark_startup_seconds": startup,
        "steps": steps,
        "seconds": seconds,
        "pairs": pairs.height,
        "scores": _scores(pairs, groups, truth),
        "peak_mib": peak,
        "model_bytes": len(json.dumps(model)),
    }


def run_child(kind: str, records: int, *, timeout: float | None = None) -> dict | None:
    command = [sys.executable, __file__, "--child", kind, "--records", str(records)]
    try:
        result = subprocess.run(  # noqa: S603 (this script, fixed arguments)
            command, check=True, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as error:
        print(error.stderr[-4000:], file=sys.stderr)
        raise
    return json.loads(result.stdout.strip().splitlines()[-1])


def _line(label: str, result: dict, key: str | None, baseline: dict) -> str:
    s = result["scores"] if key is None else result["scores"][key]
    b = baseline["scores"]
    return (
        f"  {label:<38} precision {s['precision']:.4f}  recall {s['recall']:.4f}  "
        f"F1 {s['f1']:.4f}  (F1 / baseline {s['f1'] / b['f1']:.3f}, "
        f"recall / baseline {s['recall'] / b['recall']:.3f})"
    )


def report(result: dict, baseline: dict) -> None:
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in result["steps"].items())
    extra = ""
    if result["engine"] == "spark":
        extra = f" (plus Spark start-up {result['spark_startup_seconds']:.1f} s)"
    print(
        f"\n{result['engine']} at {result['records']:,} records: {result['seconds']:.1f} s{extra}"
        f" [{steps}]; generation {result['generate_seconds']:.1f} s (not counted); "
        f"{result['pairs']:,} pairs at or above the review threshold; peak "
        f"{result['peak_mib']:,.0f} MiB; model {result['model_bytes']:,} bytes of JSON"
    )
    print(_line("auto-match (linked with no one looking)", result, "auto_match", baseline))
    print(_line("review (every reviewed pair decided)", result, "review", baseline))
    print(_line("clusters at auto-match", result, "clusters", baseline))
    s = result["scores"]["auto_match"]
    print(
        f"    true pairs {s['true_pairs']:,}; at auto-match {s['false_positives']:,} false and "
        f"{s['false_negatives']:,} missed; review queue "
        f"{result['scores']['review']['predicted_pairs'] - s['predicted_pairs']:,} pairs"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--spark-records", type=int, default=100_000)
    parser.add_argument("--spark-million", action="store_true", help="Spark at --records too")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--child", choices=["baseline", "duckdb", "spark"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        setup()
        if args.child == "baseline":
            result = child_baseline(args.records)
        else:
            result = child_engine(args.records, args.child)
        print(json.dumps(result))
        return

    print(f"Record linkage, seed {SEED}; load average {os.getloadavg()[0]:.2f} at the start")
    sizes = sorted({args.records, args.spark_records}, reverse=True)
    results = {}
    for size in sizes:
        baseline = run_child("baseline", size)
        b = baseline["scores"]
        print(
            f"\nbaseline (exact personal number) at {size:,} records: {baseline['seconds']:.2f} s, "
            f"peak {baseline['peak_mib']:,.0f} MiB: precision {b['precision']:.4f}  recall "
            f"{b['recall']:.4f}  F1 {b['f1']:.4f}"
        )
        result = run_child("duckdb", size)
        report(result, baseline)
        results[("duckdb", size)] = (result, baseline)
        if size == args.records:
            print("    threshold sweep:")
            for t, s in result["scores"]["sweep"].items():
                print(
                    f"      ≥ {t:<6} precision {s['precision']:.4f}  recall {s['recall']:.4f}  "
                    f"F1 {s['f1']:.4f}  pairs {s['predicted_pairs']:,}"
                )
            f1 = result["scores"]["auto_match"]["f1"]
            verdict = f1 >= TARGETS["f1"] and result["seconds"] <= TARGETS["seconds"]
            print(
                f"    target F1 ≥ {TARGETS['f1']} and ≤ {TARGETS['seconds']:.0f} s: "
                f"{'met' if verdict else 'NOT met'}"
            )
    if args.skip_spark:
        return
    spark_sizes = [args.spark_records] + ([args.records] if args.spark_million else [])
    for size in spark_sizes:
        result = run_child("spark", size, timeout=SPARK_LIMIT)
        duck, baseline = results[("duckdb", size)]
        if result is None:
            print(f"\nspark at {size:,} records: not finished within {SPARK_LIMIT // 60} minutes")
            continue
        report(result, baseline)
        print(
            f"    Spark / DuckDB time at {size:,}: {result['seconds'] / duck['seconds']:.1f}x; "
            f"F1 at auto-match {result['scores']['auto_match']['f1']:.4f} against DuckDB's "
            f"{duck['scores']['auto_match']['f1']:.4f}"
        )


if __name__ == "__main__":
    main()
