"""A form's definition: data, not code, so that people who are not programmers write and change
forms, and a version is kept whole (`FormVersion.definition`). The same JSON is what the editor
saves, what import and export carry, and what the answering page and the API read:

    {"sections": [
        {"title_ka": "…", "title_en": "About you",
         "questions": [
            {"key": "age", "kind": "number", "label_ka": "…", "label_en": "Age",
             "required": true, "min": 0, "max": 120, "integer": true},
            {"key": "mobility", "kind": "single", "label_ka": "…", "label_en": "…",
             "choices": [{"value": "none", "label_ka": "…", "label_en": "No difficulty"}, …],
             "show_if": "${age} >= 60"},
            {"key": "members", "kind": "group", "label_ka": "…", "label_en": "Members",
             "max_repeats": 15, "questions": [ … ]}
         ]}
    ]}

`check` returns every fault at once, each naming where it is ("Section 1, question 3 (age)"),
so an editor can fix them all in one pass. Keys are stable: results across versions are
matched by key.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.questionnaires import conditions

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CHOICE_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
MAX_QUESTIONS = 400
MAX_CHOICES = 100
MAX_REPEATS = 30
TEXT_MAX = 4000


class Kind:
    SINGLE = "single"
    MULTIPLE = "multiple"
    NUMBER = "number"
    DATE = "date"
    TEXT = "text"
    YES_NO = "yes_no"
    SCALE = "scale"
    PERSON = "person"
    GROUP = "group"


KIND_LABELS = {
    Kind.SINGLE: gettext_lazy("One choice"),
    Kind.MULTIPLE: gettext_lazy("Several choices"),
    Kind.NUMBER: gettext_lazy("Number"),
    Kind.DATE: gettext_lazy("Date"),
    Kind.TEXT: gettext_lazy("Text"),
    Kind.YES_NO: gettext_lazy("Yes or no"),
    Kind.SCALE: gettext_lazy("Scale"),
    Kind.PERSON: gettext_lazy("A person in the registry"),
    Kind.GROUP: gettext_lazy("Repeated group"),
}
CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE)


@dataclass(frozen=True)
class Place:
    """Where a question is, as an editor counts: section and question from 1, and the group's
    question inside a repeated group."""

    section: int
    question: int
    key: str
    inner: int | None = None

    def __str__(self) -> str:
        where = _("Section %(section)d, question %(question)d") % {
            "section": self.section,
            "question": self.question,
        }
        if self.inner is not None:
            where += ", " + _("its question %(inner)d") % {"inner": self.inner}
        return f"{where} ({self.key or '?'})"


def questions(definition: dict):
    """Every question in order, with its place and the group it belongs to (None outside a
    group): (place, question, group)."""
    for s, section in enumerate(definition.get("sections") or [], start=1):
        for q, question in enumerate(section.get("questions") or [], start=1):
            yield Place(s, q, question.get("key", "")), question, None
            if question.get("kind") == Kind.GROUP:
                for i, inner in enumerate(question.get("questions") or [], start=1):
                    yield Place(s, q, inner.get("key", ""), i), inner, question


def keys(definition: dict) -> list[str]:
    """The questions' keys in order (a group's own key, then its questions')."""
    return [question.get("key", "") for _place, question, _group in questions(definition)]


def _number(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _texts(question: dict, place, errors: list, *names: str, required=True) -> None:
    for name in names:
        value = question.get(name, "")
        if not isinstance(value, str) or (required and not value.strip()):
            errors.append(
                _("%(place)s: give “%(field)s” in Georgian and English.")
                % {"place": place, "field": name.rsplit("_", 1)[0]}
            )
        elif len(value) > TEXT_MAX:
            errors.append(
                _("%(place)s: “%(field)s” is longer than %(max)d characters.")
                % {"place": place, "field": name, "max": TEXT_MAX}
            )


def _bounds(question: dict, place: Place, errors: list) -> None:
    kind = question["kind"]
    if kind == Kind.NUMBER:
        low, high = (question.get(n) for n in ("min", "max"))
        for name, value in (("min", low), ("max", high)):
            if value is not None and _number(value) is None:
                errors.append(
                    _("%(place)s: %(name)s must be a number.") % {"place": place, "name": name}
                )
        if _number(low) is not None and _number(high) is not None and _number(low) > _number(high):
            errors.append(_("%(place)s: the lowest value is above the highest.") % {"place": place})
    elif kind == Kind.DATE:
        for name in ("min", "max"):
            if question.get(name) is not None and _day(question[name]) is None:
                errors.append(
                    _("%(place)s: %(name)s must be a date, YYYY-MM-DD.")
                    % {"place": place, "name": name}
                )
        earliest, latest = _day(question.get("min")), _day(question.get("max"))
        if earliest and latest and earliest > latest:
            errors.append(_("%(place)s: the earliest date is after the latest.") % {"place": place})
    elif kind == Kind.SCALE:
        low, high = question.get("min", 1), question.get("max", 5)
        if not (isinstance(low, int) and isinstance(high, int)) or not (0 <= low < high <= 10):
            errors.append(
                _("%(place)s: a scale runs between whole numbers from 0 to 10, low to high.")
                % {"place": place}
            )
    elif kind == Kind.TEXT:
        longest = question.get("max_length", 2000)
        if not isinstance(longest, int) or not 1 <= longest <= TEXT_MAX:
            errors.append(
                _("%(place)s: the longest answer must be from 1 to %(max)d characters.")
                % {"place": place, "max": TEXT_MAX}
            )


def _choices(question: dict, place: Place, errors: list) -> None:
    choices = question.get("choices")
    if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
        errors.append(
            _("%(place)s: give from 2 to %(max)d choices.") % {"place": place, "max": MAX_CHOICES}
        )
        return
    seen = set()
    for n, choice in enumerate(choices, start=1):
        value = choice.get("value") if isinstance(choice, dict) else None
        if not isinstance(value, str) or not CHOICE_VALUE.match(value):
            errors.append(
                _("%(place)s, choice %(n)d: a value is 1 to 40 Latin letters, digits, - or _.")
                % {"place": place, "n": n}
            )
            continue
        if value in seen:
            errors.append(
                _("%(place)s: the choice “%(value)s” is given twice.")
                % {"place": place, "value": value}
            )
        seen.add(value)
        _texts(choice, place, errors, "label_ka", "label_en")


def _condition(question, place, errors, earlier: dict[str, dict]) -> None:
    text = question.get("show_if") or ""
    if not text:
        return
    if not isinstance(text, str):
        errors.append(_("%(place)s: a condition is text.") % {"place": place})
        return
    try:
        tree = conditions.parse(text)
    except conditions.ConditionError as error:
        errors.append(
            _("%(place)s: the condition cannot be read at character %(at)d: %(error)s")
            % {"place": place, "at": error.position + 1, "error": error}
        )
        return
    for key, value in conditions.references(tree):
        other = earlier.get(key)
        if other is None:
            errors.append(
                _(
                    "%(place)s: the condition reads “%(key)s”, which is not a question before "
                    "this one."
                )
                % {"place": place, "key": key}
            )
        elif other.get("kind") in CHOICE_KINDS and isinstance(value, str):
            values = {c.get("value") for c in other.get("choices") or [] if isinstance(c, dict)}
            if value not in values:
                errors.append(
                    _("%(place)s: “%(value)s” is not a choice of “%(key)s”.")
                    % {"place": place, "value": value, "key": key}
                )


def check(definition, *, complete: bool = True) -> list[str]:
    """Every fault of a definition, each with its place; empty when it may be published.
    A draft being built (`complete=False`) may still have an empty section or group."""
    if not isinstance(definition, dict) or not isinstance(definition.get("sections"), list):
        return [_("A form is a list of sections, each with its questions.")]
    errors: list[str] = []
    if complete and not definition["sections"]:
        errors.append(_("A form has at least one section."))
    earlier: dict[str, dict] = {}
    count = 0
    for s, section in enumerate(definition["sections"], start=1):
        if not isinstance(section, dict) or not isinstance(section.get("questions"), list):
            errors.append(_("Section %(n)d has no list of questions.") % {"n": s})
            continue
        _texts(section, _("Section %(n)d") % {"n": s}, errors, "title_ka", "title_en")
        if complete and not section["questions"]:
            errors.append(_("Section %(n)d has no question.") % {"n": s})
    group_keys: dict[str, set] = {}
    for place, question, group in questions(definition):
        count += 1
        if not isinstance(question, dict):
            errors.append(_("%(place)s is not a question.") % {"place": place})
            continue
        key, kind = question.get("key"), question.get("kind")
        if not isinstance(key, str) or not KEY.match(key):
            errors.append(
                _(
                    "%(place)s: a key is 1 to 40 small Latin letters, digits or _, starting "
                    "with a letter."
                )
                % {"place": place}
            )
            continue
        if key in earlier:
            errors.append(
                _("%(place)s: the key “%(key)s” is used twice.") % {"place": place, "key": key}
            )
        if kind not in KIND_LABELS:
            errors.append(_("%(place)s: unknown kind “%(kind)s”.") % {"place": place, "kind": kind})
            earlier[key] = question
            continue
        if group is not None and kind == Kind.GROUP:
            errors.append(_("%(place)s: a group cannot hold another group.") % {"place": place})
        _texts(question, place, errors, "label_ka", "label_en")
        _texts(question, place, errors, "help_ka", "help_en", required=False)
        if not isinstance(question.get("required", False), bool):
            errors.append(_("%(place)s: “required” is true or false.") % {"place": place})
        if kind in CHOICE_KINDS:
            _choices(question, place, errors)
        if kind == Kind.GROUP:
            inner = question.get("questions")
            if not isinstance(inner, list) or (complete and not inner):
                errors.append(
                    _("%(place)s: a group holds at least one question.") % {"place": place}
                )
            low, high = question.get("min_repeats", 0), question.get("max_repeats", 10)
            if not (isinstance(low, int) and isinstance(high, int)) or not (
                0 <= low <= high <= MAX_REPEATS and high >= 1
            ):
                errors.append(
                    _("%(place)s: a group repeats from 0 to %(max)d times, fewest to most.")
                    % {"place": place, "max": MAX_REPEATS}
                )
            group_keys[key] = set()
        _bounds(question, place, errors)
        # A question inside a group may read the group's earlier questions and any question
        # before the group; one outside may not read inside a group (it has many answers).
        visible = {
            k: q
            for k, q in earlier.items()
            if k not in set().union(*group_keys.values())
            or (group is not None and k in group_keys.get(group.get("key"), set()))
        }
        _condition(question, place, errors, visible)
        earlier[key] = question
        if group is not None and group.get("key") in group_keys:
            group_keys[group["key"]].add(key)
    if count > MAX_QUESTIONS:
        errors.append(_("A form has at most %(max)d questions.") % {"max": MAX_QUESTIONS})
    return errors
