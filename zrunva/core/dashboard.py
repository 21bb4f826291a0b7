"""The staff home page's work dashboard: what each app says is waiting for the user.

An app registers, from its `AppConfig.ready()`, a function under the `dashboard` slot of
`zrunva.core.extensions` that takes the user and returns `Tile`s: a count and the link to the
filtered list it counts (so the number is always one click from the work). The function returns
nothing for a user who may not see that list. Counts stop at `CAP` (a list's first page holds
the work of the morning; a full `COUNT(*)` over the registry on every page load does not).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from zrunva.core import extensions

# Counted up to this many; more shows as "100+".
CAP = 100


@dataclass(frozen=True)
class Tile:
    group: str  # the heading the tile sits under ("Applications", "Payments", …)
    label: str
    count: int | None  # None: a figure given in `value` instead (a date, an amount)
    url: str = ""
    capped: bool = False  # the count stopped at CAP
    alert: bool = False  # overdue, failed, denied: shown as needing attention when non-zero
    value: str = ""
    detail: str = ""  # a second line: "3 overdue"
    order: int = 50


def capped(qs: QuerySet) -> tuple[int, bool]:
    """How many rows `qs` has, reading at most CAP + 1 of their keys: (count, capped)."""
    found = len(qs.values_list("pk", flat=True)[: CAP + 1])
    return min(found, CAP), found > CAP


def tile(group: str, label: str, qs: QuerySet, url: str, **extra) -> Tile:
    count, over = capped(qs)
    return Tile(group=group, label=label, count=count, url=url, capped=over, **extra)


def register(key: str, provider: Callable, *, order: int = 50) -> None:
    extensions.register("dashboard", key, provider, order=order)


def tiles(user) -> list[dict]:
    """The user's tiles by group, in the apps' order: [{"title", "tiles": [Tile, …]}]."""
    groups: dict[str, list[Tile]] = {}
    for provider in extensions.values("dashboard"):
        for each in provider(user) or ():
            groups.setdefault(str(each.group), []).append(each)
    return [
        {"title": title, "tiles": sorted(found, key=lambda t: t.order)}
        for title, found in groups.items()
    ]
