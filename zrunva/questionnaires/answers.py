"""A response checked against its form version's definition: the one rule the answering page,
the API and imports share. Every fault is returned at once, keyed by where it is: the
question's key, or `group.2.question` for the second repeat of a group. A question whose
condition does not hold is not asked: any answer given to it is dropped, and it is never
required."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from zrunva.questionnaires import conditions
from zrunva.questionnaires.definition import CHOICE_KINDS, Kind


def _is_empty(value) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _number(question: dict, value):
    if isinstance(value, bool):
        raise ValueError(_("Give a number."))
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace("\xa0", "").replace(" ", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(_("Give a number.")) from None
    if not number.is_finite():
        raise ValueError(_("Give a number."))
    low, high = question.get("min"), question.get("max")
    if question.get("integer") and number != number.to_integral_value():
        raise ValueError(_("Give a whole number."))
    if (
        low is not None
        and number < Decimal(str(low))
        or high is not None
        and number > Decimal(str(high))
    ):
        raise ValueError(_bounds_message(low, high))
    return int(number) if number == number.to_integral_value() else float(number)


def _bounds_message(low, high) -> str:
    if low is not None and high is not None:
        return _("Give a value from %(low)s to %(high)s.") % {"low": low, "high": high}
    if low is not None:
        return _("Give a value of at least %(low)s.") % {"low": low}
    return _("Give a value of at most %(high)s.") % {"high": high}


def _day(question: dict, value) -> str:
    try:
        day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        day = None
    if day is None:
        raise ValueError(_("Give a date as YYYY-MM-DD."))
    low, high = question.get("min"), question.get("max")
    if (low and day < date.fromisoformat(low)) or (high and day > date.fromisoformat(high)):
        raise ValueError(_bounds_message(low, high))
    return day.isoformat()


def _value(question: dict, value, person: Callable | None):
    """The answer as stored, or ValueError with what is wrong."""
    kind = question["kind"]
    if kind in CHOICE_KINDS:
        allowed = [c["value"] for c in question["choices"]]
        chosen = value if isinstance(value, list) else [value]
        if kind == Kind.SINGLE and isinstance(value, list):
            raise ValueError(_("Choose one."))
        if any(not isinstance(v, str) or v not in allowed for v in chosen):
            raise ValueError(_("Choose from the choices given."))
        if len(set(chosen)) != len(chosen):
            raise ValueError(_("A choice is given twice."))
        # Kept in the form's order, whatever order they came in.
        return [v for v in allowed if v in chosen] if kind == Kind.MULTIPLE else value
    if kind == Kind.NUMBER:
        return _number(question, value)
    if kind == Kind.DATE:
        return _day(question, value)
    if kind == Kind.TEXT:
        if not isinstance(value, str):
            raise ValueError(_("Give a text."))
        longest = question.get("max_length", 2000)
        if len(value.strip()) > longest:
            raise ValueError(_("Use at most %(max)d characters.") % {"max": longest})
        return value.strip()
    if kind == Kind.YES_NO:
        if isinstance(value, bool):
            return value
        if value in ("yes", "no"):
            return value == "yes"
        raise ValueError(_("Answer yes or no."))
    if kind == Kind.SCALE:
        low, high = question.get("min", 1), question.get("max", 5)
        if isinstance(value, bool):
            raise ValueError(_bounds_message(low, high))
        try:
            number = int(str(value))
        except ValueError:
            raise ValueError(_bounds_message(low, high)) from None
        if not low <= number <= high:
            raise ValueError(_bounds_message(low, high))
        return number
    if kind == Kind.PERSON:
        found = person(value) if person is not None else None
        if found is None:
            raise ValueError(_("No person you may see has this personal number."))
        return found
    raise ValueError(_("This question cannot be answered here."))


def _asked(question: dict, context: dict) -> bool:
    text = question.get("show_if")
    return not text or conditions.holds(conditions.parse(text), context)


def _check_questions(
    listed: list[dict], given: dict, context: dict, prefix: str, person, errors: dict
) -> dict:
    clean = {}
    for question in listed:
        key = question["key"]
        where = f"{prefix}{key}"
        if not _asked(question, {**context, **clean}):
            continue
        value = given.get(key)
        if question["kind"] == Kind.GROUP:
            rows = [] if value is None else value
            if not isinstance(rows, list) or any(not isinstance(r, dict) for r in rows):
                errors[where] = _("Give a list of entries.")
                continue
            low, high = question.get("min_repeats", 0), question.get("max_repeats", 10)
            if question.get("required") and low < 1:
                low = 1
            if not low <= len(rows) <= high:
                errors[where] = _("Give from %(low)d to %(high)d entries.") % {
                    "low": low,
                    "high": high,
                }
                continue
            inner_keys = {q["key"] for q in question["questions"]}
            cleaned_rows = []
            for n, row in enumerate(rows, start=1):
                for unknown in sorted(set(row) - inner_keys):
                    errors[f"{where}.{n}.{unknown}"] = _("This form has no such question.")
                cleaned_rows.append(
                    _check_questions(
                        question["questions"],
                        row,
                        {**context, **clean},
                        f"{where}.{n}.",
                        person,
                        errors,
                    )
                )
            if cleaned_rows:
                clean[key] = cleaned_rows
            continue
        if _is_empty(value):
            if question.get("required"):
                errors[where] = _("Answer this question.")
            continue
        try:
            clean[key] = _value(question, value, person)
        except ValueError as error:
            errors[where] = str(error)
    return clean


def check(
    definition: dict, given: dict, *, person: Callable[[object], int | None] | None = None
) -> tuple[dict, dict[str, str]]:
    """The answers as stored and the faults by place. `person(value)` finds a registry person
    the one answering may see (by personal number or id) and returns their id, or None."""
    errors: dict[str, str] = {}
    if not isinstance(given, dict):
        return {}, {"": _("Answers are given as an object of question keys.")}
    listed = [q for section in definition["sections"] for q in section["questions"]]
    known = {q["key"] for q in listed}
    for unknown in sorted(set(given) - known):
        errors[unknown] = _("This form has no such question.")
    clean = _check_questions(listed, given, {}, "", person, errors)
    return clean, errors


def asked(definition: dict, clean: dict) -> set[str]:
    """The places of the questions asked, given the answers that hold: `key` for a question,
    `group.N.key` for one in a group's Nth entry (every later question's condition reads only
    questions before it, so the whole of `clean` gives what the answering order would)."""
    places: set[str] = set()
    for section in definition["sections"]:
        for question in section["questions"]:
            if not _asked(question, clean):
                continue
            key = question["key"]
            places.add(key)
            if question["kind"] == Kind.GROUP:
                rows = clean.get(key) or []
                for n in range(1, question.get("max_repeats", 10) + 1):
                    row = rows[n - 1] if n <= len(rows) else {}
                    for inner in question["questions"]:
                        if _asked(inner, {**clean, **row}):
                            places.add(f"{key}.{n}.{inner['key']}")
    return places
