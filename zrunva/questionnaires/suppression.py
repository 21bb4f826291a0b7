"""Small cells hidden from results: a count under `SMALL_CELL` respondents could point at the
people behind it (in a village, "3 answered 'blind'" names them), so it is never shown to
anyone but the survey's owners.

Hiding the small cell alone is not enough when a total is shown beside it: the total less the
cells shown gives it back. So a table comes with its *sums* — a region's cell is its
municipalities' cells added up, the country's is its regions', and for a one-choice question an
area's respondents are its cells added up — and whenever a shown sum has exactly one hidden part,
one more part is hidden (the smallest shown one, the cheapest to lose), until no sum gives a
hidden cell away. This is the "secondary suppression" statistical offices apply to tables.
"""

from collections.abc import Iterable

import numpy as np

SMALL_CELL = 10


def hidden(counts: np.ndarray, sums: Iterable[tuple[int, list[int]]]) -> np.ndarray:
    """Which of the flat `counts` to hide: every count under SMALL_CELL (zero included: "nobody
    here answered X" is as telling), then more until no shown sum reveals a hidden part.
    `sums` are (the total's index, its parts' indices), all indices into `counts`."""
    counts = np.asarray(counts)
    hide = counts < SMALL_CELL
    sums = [(total, list(parts)) for total, parts in sums if parts]
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            members = [total, *parts]
            shown = [i for i in members if not hide[i]]
            # A sum is an equation over its members: one unknown among them is solvable.
            if len(members) - len(shown) != 1:
                continue
            if not shown:
                continue
            smallest = min(shown, key=lambda i: (counts[i], i))
            hide[smallest] = True
            changed = True
    return hide
