"""Pagination that never counts: large registries make `COUNT(*)` the slowest part of a search.

It fetches one row more than the page to know whether a next page exists.
"""

from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


MAX_PAGE = 1000


def paginate(qs: QuerySet, *, number: int | str | None, size: int) -> Page:
    try:
        number = max(1, min(int(number or 1), MAX_PAGE))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * size
    rows = list(qs[start : start + size + 1])
    return Page(items=rows[:size], number=number, has_next=len(rows) > size)
