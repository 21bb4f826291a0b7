"""Money: GEL with two places, exact from the moment a rule's amount is decided.

The rule engine works in Float64 (Polars' arithmetic over millions of rows); its amounts are
rounded to the tetri once, here, and are `Decimal` from then on: in frames (`AMOUNT`), in the
database (numeric(12, 2)), in entitlements, letters and the API. Nothing after the decision
turns an amount back into a float.
"""

import math
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

# The frames' amount type, as the amount columns store it.
AMOUNT = pl.Decimal(12, 2)
TETRI = Decimal("0.01")
# A rule's float result carries binary noise (1.005 is stored as 1.00499999999999989…, and
# 295 * 1.1 as 324.50000000000006): it is dropped at a millionth of a tetri before rounding, so
# an amount is rounded as it is written, not as the float happens to fall.
_NOISE_PLACES = 6
_NOISE_SCALE = 10.0**_NOISE_PLACES
# Cents no numeric(12, 2) holds.
_CENTS_BEYOND = 10**12


def tetri(amount: pl.Expr) -> pl.Expr:
    """An amount in GEL (a rule's Float64 result) rounded half-up to the tetri, the half
    away from zero (1.005 → 1.01, 2.675 → 2.68, −1.005 → −1.01), as an exact `AMOUNT`.
    The one rounding of money in the system: the bulk path and the one-household path both
    reach it through `engine.decide`, and `gel` applies it to a single value. An amount no
    numeric(12, 2) can hold (infinite, NaN, 10 billion or more) is null: the engine decides
    those as errors before they are rounded."""
    cents = (amount * 100).round(_NOISE_PLACES)
    whole = (cents.abs() + 0.5).floor() * cents.sign()
    exact = whole.cast(pl.Int64, strict=False).cast(pl.Decimal(38, 2)) / 100
    return exact.cast(AMOUNT, strict=False)


def gel(value) -> Decimal | None:
    """One amount rounded as `tetri` rounds it: a `Decimal` with two places (None stays None)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        # Already exact: only a third place could need rounding, and half-up is the rule.
        return value.quantize(TETRI, rounding=ROUND_HALF_UP)
    # `tetri`'s steps in the same float operations, which Python and Polars both do in IEEE
    # double (round() is half to even, as Polars' round): a one-row Polars query for each
    # amount a page shows took about 200 times as long. A test compares the two paths.
    scaled = float(value) * 100 * _NOISE_SCALE
    if not math.isfinite(scaled):
        return None
    cents = round(scaled) / _NOISE_SCALE
    whole = math.floor(abs(cents) + 0.5)
    if whole >= _CENTS_BEYOND:
        return None
    # From text: exact whatever the thread's decimal context (scaleb would round to it).
    return Decimal(f"{-whole if cents < 0 else whole}e-2")
