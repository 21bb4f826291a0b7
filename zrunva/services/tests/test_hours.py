import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from zrunva.core import hours


def test_typed_lines_in_either_language_become_the_stored_list():
    assert hours.parse("Mon-Wed 09:00-13:00\nორშ-ოთხ 14:00-18:00\n\nSat 10:00-14:00") == [
        [1, "09:00", "13:00"],
        [1, "14:00", "18:00"],
        [2, "09:00", "13:00"],
        [2, "14:00", "18:00"],
        [3, "09:00", "13:00"],
        [3, "14:00", "18:00"],
        [6, "10:00", "14:00"],
    ]


def test_the_stored_list_reads_back_as_runs_of_days():
    stored = hours.parse("Mon-Fri 9:00-18:00\nSat 10:00-14:00")
    assert hours.text(stored) == "Mon-Fri 09:00-18:00\nSat 10:00-14:00"
    with translation.override("en"):
        assert hours.readable(stored) == ["Monday–Friday, 09:00–18:00", "Saturday, 10:00–14:00"]
    with translation.override("ka"):
        assert hours.readable(stored)[0] == "ორშაბათი–პარასკევი, 09:00–18:00"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Mon 18:00-09:00", "Monday: closing at 09:00 is not after opening at 18:00."),
        (
            "Mon 09:00-13:00\nMon 12:00-15:00",
            "Monday: the hours overlap (12:00 starts before 13:00 ends).",
        ),
        (
            "Mon-Fri 09:00-18:00\nWed 17:00-19:00",
            "Wednesday: the hours overlap (17:00 starts before 18:00 ends).",
        ),
        ("Funday 09:00-10:00", "Line 1: “Funday” is not a day of the week (Mon … Sun, ორშ … კვ)."),
        ("Mon 25:00-26:00", "Line 1: “25:00” is not a time of day (00:00 to 24:00)."),
        ("Fri-Mon 09:00-10:00", "Line 1: the days run from Monday to Sunday."),
        ("every day", "Line 1: write a day or days and the hours, e.g. Mon-Fri 09:00-18:00."),
    ],
)
def test_bad_hours_say_what_is_wrong(typed, message):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        hours.parse(typed)
    assert error.value.messages == [message]


def test_the_stored_form_is_checked_too():
    with translation.override("en"), pytest.raises(ValidationError):
        hours.hours_validator([[8, "09:00", "10:00"]])
    hours.hours_validator([[7, "00:00", "24:00"]])


def test_days_are_whole_words_and_stored_times_have_two_digit_hours():
    with translation.override("en"):
        for typed in ("monkey 09:00-10:00", "Mon-Fri-Sat 09:00-10:00", "კვXYZ 09:00-10:00"):
            with pytest.raises(ValidationError):
                hours.parse(typed)
        assert hours.parse("Monday 9:00-10:00\nკვირა 10:00-11:00") == [
            [1, "09:00", "10:00"],
            [7, "10:00", "11:00"],
        ]
        for stored in ([[1, "10:00", "9:30"]], [[True, "09:00", "10:00"]]):
            with pytest.raises(ValidationError):
                hours.hours_validator(stored)


def test_runs_read_in_the_order_of_days():
    stored = hours.parse("Mon-Tue 09:00-12:00\nMon 13:00-18:00")
    with translation.override("en"):
        assert hours.readable(stored) == [
            "Monday–Tuesday, 09:00–12:00",
            "Monday, 13:00–18:00",
        ]
