"""Bar charts drawn in HTML: each bar's length a share of the largest value, from zero, and
its figure written beside it (never inside, where a short bar would have to be stretched to
hold it). One shape for every chart, so none gives a small value a minimum length."""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    width: str  # a CSS length ("42.5%"): never localised, a decimal comma would void it
    value: str  # the figure as people read it (money, count, days)


def bars(
    rows: Iterable[tuple[str, float | int | None, str]], top: float | None = None
) -> list[Bar]:
    """(label, value, value as written) rows to bars; no value or a negative one draws none.
    `top`: the value of a whole bar when it is not the largest's (100 for percentages, so that
    bars of different charts compare)."""
    rows = list(rows)
    if top is None:
        top = max((float(v) for _, v, _ in rows if v is not None), default=0.0)
    top = top if top > 0 else 1.0
    return [
        Bar(label, f"{max(0.0, 100 * float(v or 0) / top):.1f}%", text) for label, v, text in rows
    ]
