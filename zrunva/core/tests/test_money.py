"""`gel` rounds one amount exactly as `tetri` rounds a column: the same `Decimal`, digit for
digit, or none for both."""

from decimal import localcontext

import numpy as np
import polars as pl

from zrunva.core.money import gel, tetri


def _values() -> list[float]:
    rng = np.random.default_rng(2026)
    values = [*rng.uniform(-1e4, 1e4, 100_000), *rng.uniform(-2, 2, 50_000)]
    # Half a tetri, and a hair either side of it and of the millionth the noise is cut at.
    values += [k / 100 + 0.005 for k in range(-20_000, 20_000)]
    values += [
        k / 100 + 0.005 + d
        for k in range(-2_000, 2_000)
        for d in (1e-9, -1e-9, 4.99e-9, 5e-9, 5.01e-9, -5e-9)
    ]
    # Products that carry binary noise, as rules' results do.
    values += [k * 1.1 for k in range(5_000)] + [k * 0.07 for k in range(5_000)]
    values += [k / 1e8 for k in range(-100_000, 100_000, 7)]
    edges = [1.005, 2.675, -1.005, 324.50000000000006, 0.0, -0.0, 0.004, -0.005]
    beyond = [9999999999.99, 9999999999.995, 1e10, -1e10, 1e305, float("inf"), float("nan")]
    return values + edges + beyond


def test_one_amount_is_rounded_as_the_column_is():
    values = _values()
    column = pl.select(tetri(pl.Series(values, dtype=pl.Float64))).to_series().to_list()
    differ = [
        (value, expected, gel(value))
        for value, expected in zip(values, column, strict=True)
        if str(gel(value)) != str(expected)
    ]
    assert differ == []
    assert str(gel(2.675)) == "2.68" and str(gel(-0.0)) == "0.00" and gel(1e10) is None


def test_one_amount_whatever_the_decimal_context():
    with localcontext() as context:
        context.prec = 6
        assert str(gel(123456.78)) == "123456.78"
