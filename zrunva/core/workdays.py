"""Deadlines in working days: Monday to Friday, less Georgia's public holidays (Labour Code of
Georgia, article 20, as the `holidays` package lists them, Orthodox Easter included)."""

from datetime import date, timedelta
from functools import cache

import holidays


@cache
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.Georgia(years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def working_days_after(start: date, days: int) -> date:
    """The date `days` working days after `start` (the start day itself does not count)."""
    if days < 0:
        raise ValueError("A deadline counts forward")
    day = start
    while days:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 if `end` is not later)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count
