"""Inequality and poverty measures over a welfare measure, as small pure functions (NumPy).

Each takes the values (welfare per person of each household, say) and optional weights (the
people each value stands for): a household's per-capita welfare counts once per member, so the
measures are of people, as statistical offices state them. Tested against hand-computed
fixtures (`tests/test_inequality.py`).
"""

import numpy as np


def _arrays(values, weights) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(values, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    if x.shape != w.shape:
        raise ValueError("values and weights differ in length")
    return x, w


def gini(values, weights=None, *, presorted: bool = False) -> float:
    """The Gini coefficient: 1 − Σ (pᵢ − pᵢ₋₁)(Lᵢ + Lᵢ₋₁) over the Lorenz curve of the values
    sorted ascending (p: cumulative share of weight, L: of welfare). 0 when all are equal,
    towards 1 when one holds everything; NaN for no weight or no welfare. `presorted`: the
    values come sorted ascending already (a caller sorting once for several measures)."""
    x, w = _arrays(values, weights)
    if not presorted:
        # Equal values in any order give the same Lorenz curve: no stable sort needed.
        order = np.argsort(x)
        x, w = x[order], w[order]
    total_w, total_x = w.sum(), (w * x).sum()
    if total_w <= 0 or total_x <= 0:
        return float("nan")
    p = np.cumsum(w) / total_w
    lorenz = np.cumsum(w * x) / total_x
    dp = np.diff(p, prepend=0.0)
    return float(1.0 - (dp * (lorenz + np.concatenate(([0.0], lorenz[:-1])))).sum())


def median(values, weights=None, *, presorted: bool = False) -> float:
    """The weighted median: the value where the cumulative weight reaches half, the mean of the
    two values around it when it falls exactly between them (so [1, 2, 3, 4] gives 2.5)."""
    x, w = _arrays(values, weights)
    if not len(x) or w.sum() <= 0:
        return float("nan")
    if not presorted:
        order = np.argsort(x, kind="stable")
        x, w = x[order], w[order]
    cumulative = np.cumsum(w)
    half = cumulative[-1] / 2
    i = int(np.searchsorted(cumulative, half, side="left"))
    if np.isclose(cumulative[i], half) and i + 1 < len(x):
        return float((x[i] + x[i + 1]) / 2)
    return float(x[i])


def headcount(values, line: float, weights=None) -> float:
    """The poverty headcount ratio: the share of weight with welfare below the line."""
    x, w = _arrays(values, weights)
    total = w.sum()
    return float(w[x < line].sum() / total) if total > 0 else float("nan")


def poverty_gap(values, line: float, weights=None) -> float:
    """The poverty gap index: the mean shortfall below the line as a share of the line,
    counting zero for those above it (FGT with α = 1)."""
    x, w = _arrays(values, weights)
    total = w.sum()
    if total <= 0 or line <= 0:
        return float("nan")
    shortfall = np.clip((line - x) / line, 0.0, None)
    return float((w * shortfall).sum() / total)


def deciles(values, weights=None, *, order: np.ndarray | None = None) -> np.ndarray:
    """Each value's decile (1 the poorest to 10) by weighted rank: sorted ascending, a value
    is in decile k when the weight before it is at least (k − 1)/10 of the total and less than
    k/10. Equal values keep their order. `order`: the values' stable ascending order, if known."""
    x, w = _arrays(values, weights)
    out = np.zeros(len(x), dtype=np.int8)
    if not len(x):
        return out
    if order is None:
        order = np.argsort(x, kind="stable")
    before = np.cumsum(w[order]) - w[order]
    total = w.sum()
    out[order] = np.minimum(10, np.floor(before / total * 10 + 1e-9).astype(np.int64) + 1)
    return out
