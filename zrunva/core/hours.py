"""Opening hours: stored as a list of `[weekday, opens, closes]` (weekday 1 = Monday … 7 =
Sunday, times "HH:MM"), written and read as lines people type and read:

    Mon-Fri 09:00-18:00
    Sat 10:00-14:00

Weekdays in English (Mon, Tue …) or Georgian (ორშ, სამ, ოთხ, ხუთ, პარ, შაბ, კვ), single or a
range. One rule, used by the model (the stored list), the form (the typed lines) and the API:
each interval ends after it starts, and no two intervals of a day overlap.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DAYS = {
    "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
    "ორშ": 1, "სამ": 2, "ოთხ": 3, "ხუთ": 4, "პარ": 5, "შაბ": 6, "კვ": 7,
}  # fmt: skip
DAY_NAMES = {
    1: gettext_lazy("Monday"),
    2: gettext_lazy("Tuesday"),
    3: gettext_lazy("Wednesday"),
    4: gettext_lazy("Thursday"),
    5: gettext_lazy("Friday"),
    6: gettext_lazy("Saturday"),
    7: gettext_lazy("Sunday"),
}
_LINE = re.compile(
    r"^\s*(?P<first>\S+?)(?:\s*[-–]\s*(?P<last>\S+?))?\s+"
    r"(?P<opens>\d{1,2}:\d{2})\s*[-–]\s*(?P<closes>\d{1,2}:\d{2})\s*$"
)
_TYPED_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$|^24:00$")
# Stored times have two-digit hours, so that comparing them as text compares the times.
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
_FULL_DAYS = {
    "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
    "sunday": 7, "ორშაბათი": 1, "სამშაბათი": 2, "ოთხშაბათი": 3, "ხუთშაბათი": 4,
    "პარასკევი": 5, "შაბათი": 6, "კვირა": 7,
}  # fmt: skip
HELP = gettext_lazy(
    "One line per opening, e.g. “Mon-Fri 09:00-18:00” and “Sat 10:00-14:00” (or ორშ-პარ)."
)


def _day(word: str, line: int) -> int:
    word_lower = word.lower().rstrip(".")
    day = DAYS.get(word_lower) or _FULL_DAYS.get(word_lower)
    if day is None:
        raise ValidationError(
            _("Line %(line)s: “%(word)s” is not a day of the week (Mon … Sun, ორშ … კვ).")
            % {"line": line, "word": word}
        )
    return day


def _time(text: str, line: int) -> str:
    if not _TYPED_TIME.match(text):
        raise ValidationError(
            _("Line %(line)s: “%(time)s” is not a time of day (00:00 to 24:00).")
            % {"line": line, "time": text}
        )
    hours, minutes = text.split(":")
    return f"{int(hours):02d}:{minutes}"


def parse(text: str) -> list[list]:
    """Typed lines to the stored list, checked (`hours_validator`)."""
    intervals = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        if match is None:
            raise ValidationError(
                _("Line %(line)s: write a day or days and the hours, e.g. Mon-Fri 09:00-18:00.")
                % {"line": n}
            )
        first = _day(match["first"], n)
        last = _day(match["last"], n) if match["last"] else first
        if last < first:
            raise ValidationError(
                _("Line %(line)s: the days run from Monday to Sunday.") % {"line": n}
            )
        opens, closes = _time(match["opens"], n), _time(match["closes"], n)
        intervals += [[day, opens, closes] for day in range(first, last + 1)]
    hours_validator(intervals)
    return sorted(intervals)


def hours_validator(intervals) -> None:
    """Each interval ends after it starts; no two of one day overlap."""
    if not isinstance(intervals, list):
        raise ValidationError(_("Opening hours are a list of [day, opens, closes]."))
    by_day: dict[int, list] = {}
    for item in intervals:
        if (
            not isinstance(item, list | tuple)
            or len(item) != 3
            or type(item[0]) is not int
            or item[0] not in DAY_NAMES
            or not all(isinstance(t, str) and _TIME.match(t) for t in item[1:])
        ):
            raise ValidationError(_("Opening hours are a list of [day, opens, closes]."))
        day, opens, closes = item
        if closes <= opens:
            raise ValidationError(
                _("%(day)s: closing at %(closes)s is not after opening at %(opens)s.")
                % {"day": DAY_NAMES[day], "closes": closes, "opens": opens}
            )
        by_day.setdefault(day, []).append((opens, closes))
    for day, spans in by_day.items():
        spans.sort()
        for (_a, end), (start, _b) in zip(spans, spans[1:], strict=False):
            if start < end:
                raise ValidationError(
                    _("%(day)s: the hours overlap (%(start)s starts before %(end)s ends).")
                    % {"day": DAY_NAMES[day], "start": start, "end": end}
                )


def text(intervals) -> str:
    """The stored list as typed lines (for the form), days run together where hours repeat."""
    return "\n".join(
        f"{_abbr(first)}{'-' + _abbr(last) if last != first else ''} {opens}-{closes}"
        for first, last, opens, closes in _runs(intervals)
    )


def readable(intervals) -> list[str]:
    """The stored list as people read it, in the active language: "Monday–Friday, 09:00–18:00"."""
    return [
        f"{DAY_NAMES[first]}{'–' + str(DAY_NAMES[last]) if last != first else ''}, {opens}–{closes}"
        for first, last, opens, closes in _runs(intervals)
    ]


_ABBR = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}


def _abbr(day: int) -> str:
    return _ABBR[day]


def _runs(intervals):
    """Consecutive days with the same hours, as (first, last, opens, closes)."""
    runs: list[list] = []
    for day, opens, closes in sorted(intervals or [], key=lambda i: (i[1], i[2], i[0])):
        if runs and runs[-1][2:] == [opens, closes] and runs[-1][1] == day - 1:
            runs[-1][1] = day
        else:
            runs.append([day, day, opens, closes])
    return sorted(runs, key=lambda run: (run[0], run[2]))
