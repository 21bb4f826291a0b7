"""A form carried out of Zrunva and back in: as Zrunva's own JSON document, and as an XLSForm
workbook, the spreadsheet ODK and KoBoToolbox write forms in.

The JSON document (`form_json`), format version 1, is stable: keys are only ever added.

    {"format": "zrunva-form", "format_version": 1,
     "code": "needs", "name_ka": "…", "name_en": "Needs",
     "description_ka": "…", "description_en": "…", "source_ka": "…", "source_en": "…",
     "illustrative": false, "version": 3,
     "definition": {"sections": [ … ]}}          (as definition.py describes it)

The XLSForm (`xlsform`) has the sheets survey, choices and settings. Each section is a
top-level `begin_group`; a repeated group is `begin_repeat`; labels and hints are in the
columns `label::Georgian (ka)` and `label::English (en)`; bounds are constraints
(`. >= 0 and . <= 120`, `. >= date('2020-01-01')`, `string-length(.) <= 200`); a scale is a
`range` from `start` to `end`; a yes-or-no question is `select_one yes_no`. What XLSForm has
no column for travels in columns that ODK and pyxform pass over: `zrunva_kind` (`person` for a
person from the registry, which ODK asks as text; `single` for one choice whose choices happen
to be yes and no), `zrunva_min_repeats` and `zrunva_max_repeats` (not `repeat_count`, which
ODK reads as an exact count), and the settings `zrunva_name_en`, `zrunva_description_*`,
`zrunva_source_*` and `zrunva_illustrative` (`form_title` is the Georgian name).

Reading either refuses with `TransferError` carrying every reason at once (`.messages`), a
workbook's each at its row ("Sheet survey, row 7 (gps): …"), then the definition's own faults
(`definition.check`), and nothing is imported.
"""

import io
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal

import xlsxwriter
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils.text import slugify
from django.utils.translation import gettext as _
from pyxform.errors import PyXFormError
from pyxform.xls2json_backends import get_xlsform

from zrunva.questionnaires import conditions, definition
from zrunva.questionnaires.definition import Kind

FORMAT = "zrunva-form"
FORMAT_VERSION = 1
TEXT_FIELDS = ("description_ka", "description_en", "source_ka", "source_en")
CODE_MAX = 40
NAME_MAX = 200

LANGUAGES = {"ka": "Georgian (ka)", "en": "English (en)"}
YES_NO_VALUES = ("yes", "no")
YES_NO_LABELS = {"yes": ("დიახ", "Yes"), "no": ("არა", "No")}
# Recorded by the device, not asked: left out, and said so.
METADATA_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "phonenumber",
    "simserial",
    "subscriberid",
    "username",
    "email",
    "audit",
}
# Columns whose content would change what is asked: refused rather than dropped.
REFUSED_COLUMNS = ("calculation", "choice_filter", "default", "trigger", "read_only")
SCALE_DEFAULTS = (1, 10)  # pyxform's range without parameters


class TransferError(ValidationError):
    """An import refused, with every reason at once in `.messages`."""


@dataclass
class Imported:
    """A form read from a file, its definition checked: what `services.form_create` takes."""

    code: str
    name_ka: str
    name_en: str
    definition: dict
    texts: dict = field(default_factory=dict)  # description_ka/en, source_ka/en
    illustrative: bool = False
    notes: list[str] = field(default_factory=list)  # what was left out, row by row

    def form_fields(self) -> dict:
        """Keyword arguments for `services.form_create` besides `actor` and `questions`."""
        return {
            "code": self.code,
            "name_ka": self.name_ka,
            "name_en": self.name_en,
            "illustrative": self.illustrative,
            **self.texts,
        }


# JSON ------------------------------------------------------------------------------------------


def form_json(form, version) -> dict:
    """The form and one of its versions as Zrunva's JSON document (format version 1)."""
    if version.form_id is not None and version.form_id != form.pk:
        raise ValueError("The version is not this form's.")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "code": form.code,
        "name_ka": form.name_ka,
        "name_en": form.name_en,
        **{name: getattr(form, name) for name in TEXT_FIELDS},
        "illustrative": form.illustrative,
        "version": version.number,
        "definition": version.definition,
    }


def _header(code, name_ka, name_en, errors: list) -> None:
    if not isinstance(code, str) or not code or len(code) > CODE_MAX:
        errors.append(
            _("Give the form a code of 1 to %(max)d Latin letters, digits, - or _.")
            % {"max": CODE_MAX}
        )
    else:
        try:
            validate_slug(code)
        except ValidationError:
            errors.append(
                _("The code “%(code)s” may hold only Latin letters, digits, - and _.")
                % {"code": code}
            )
    for value in (name_ka, name_en):
        if not isinstance(value, str) or not value.strip():
            errors.append(_("Give the form's name in Georgian and English."))
            break
        if len(value) > NAME_MAX:
            errors.append(_("A form's name is at most %(max)d characters.") % {"max": NAME_MAX})
            break


def read_json(data) -> Imported:
    """A form from Zrunva's JSON document (bytes, text or already decoded), or TransferError
    with every reason."""
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise TransferError([_("The file is not text in UTF-8.")]) from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            raise TransferError(
                [
                    _("The file is not JSON: at line %(line)d, column %(column)d: %(error)s.")
                    % {"line": error.lineno, "column": error.colno, "error": error.msg}
                ]
            ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TransferError(
            [_("This is not a Zrunva form: its “format” is not “%(format)s”.") % {"format": FORMAT}]
        )
    if data.get("format_version") != FORMAT_VERSION:
        raise TransferError(
            [
                _("This form is in format version %(found)s; Zrunva reads version %(known)d.")
                % {"found": data.get("format_version"), "known": FORMAT_VERSION}
            ]
        )
    errors: list[str] = []
    _header(data.get("code"), data.get("name_ka"), data.get("name_en"), errors)
    texts = {}
    for name in TEXT_FIELDS:
        value = data.get(name) or ""
        if not isinstance(value, str):
            errors.append(_("“%(field)s” is a text.") % {"field": name})
        texts[name] = value if isinstance(value, str) else ""
    illustrative = data.get("illustrative", False)
    if not isinstance(illustrative, bool):
        errors.append(_("“illustrative” is true or false."))
    errors += definition.check(data.get("definition"))
    if errors:
        raise TransferError(errors)
    return Imported(
        code=data["code"],
        name_ka=data["name_ka"],
        name_en=data["name_en"],
        definition=data["definition"],
        texts=texts,
        illustrative=illustrative,
    )


# XLSForm out -----------------------------------------------------------------------------------

SURVEY_COLUMNS = [
    "type",
    "name",
    f"label::{LANGUAGES['ka']}",
    f"label::{LANGUAGES['en']}",
    f"hint::{LANGUAGES['ka']}",
    f"hint::{LANGUAGES['en']}",
    "required",
    "relevant",
    "constraint",
    "parameters",
    "zrunva_kind",
    "zrunva_min_repeats",
    "zrunva_max_repeats",
]
CHOICES_COLUMNS = ["list_name", "name", f"label::{LANGUAGES['ka']}", f"label::{LANGUAGES['en']}"]


def _plain(number) -> str:
    value = Decimal(str(number))
    return str(int(value)) if value == value.to_integral_value() else str(value.normalize())


def _bounds_constraint(question: dict) -> str:
    kind, low, high = question["kind"], question.get("min"), question.get("max")
    if kind not in (Kind.NUMBER, Kind.DATE, Kind.TEXT):
        return ""  # a scale's bounds are its range's parameters
    if kind == Kind.TEXT:
        longest = question.get("max_length")
        return "" if longest is None else f"string-length(.) <= {longest}"
    parts = []
    for op, value in ((">=", low), ("<=", high)):
        if value is None:
            continue
        parts.append(f". {op} date('{value}')" if kind == Kind.DATE else f". {op} {_plain(value)}")
    return " and ".join(parts)


def _unused(name: str, taken: set) -> str:
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _rows(question: dict, yes_no_list: str, choices: list) -> list[dict]:
    kind = question["kind"]
    row = {
        "name": question["key"],
        f"label::{LANGUAGES['ka']}": question.get("label_ka", ""),
        f"label::{LANGUAGES['en']}": question.get("label_en", ""),
        f"hint::{LANGUAGES['ka']}": question.get("help_ka", ""),
        f"hint::{LANGUAGES['en']}": question.get("help_en", ""),
        "required": "yes" if question.get("required") else "",
        "relevant": question.get("show_if", ""),
    }
    if kind == Kind.GROUP:
        row.update(type="begin_repeat")
        for name in ("min_repeats", "max_repeats"):
            if name in question:
                row[f"zrunva_{name}"] = question[name]
        inner = [r for q in question["questions"] for r in _rows(q, yes_no_list, choices)]
        return [row, *inner, {"type": "end_repeat"}]
    if kind in definition.CHOICE_KINDS:
        word = "select_one" if kind == Kind.SINGLE else "select_multiple"
        row["type"] = f"{word} {question['key']}"
        values = [c["value"] for c in question["choices"]]
        if kind == Kind.SINGLE and sorted(values) == sorted(YES_NO_VALUES):
            row["zrunva_kind"] = Kind.SINGLE  # else it reads back as yes or no
        choices += [
            {
                "list_name": question["key"],
                "name": c["value"],
                f"label::{LANGUAGES['ka']}": c.get("label_ka", ""),
                f"label::{LANGUAGES['en']}": c.get("label_en", ""),
            }
            for c in question["choices"]
        ]
    elif kind == Kind.YES_NO:
        row["type"] = f"select_one {yes_no_list}"
    elif kind == Kind.NUMBER:
        row["type"] = "integer" if question.get("integer") else "decimal"
    elif kind == Kind.SCALE:
        row["type"] = "range"
        row["parameters"] = f"start={question.get('min', 1)} end={question.get('max', 5)} step=1"
    elif kind == Kind.PERSON:
        row.update(type="text", zrunva_kind=Kind.PERSON)
    else:
        row["type"] = kind  # date, text
    row["constraint"] = _bounds_constraint(question)
    return [row]


def xlsform(form, version) -> bytes:
    """The form's version as an XLSForm workbook (.xlsx) that ODK, KoBoToolbox and pyxform
    read, and `read_xlsform` reads back to the same definition."""
    if version.form_id is not None and version.form_id != form.pk:
        raise ValueError("The version is not this form's.")
    data = version.definition
    taken = set(definition.keys(data))
    yes_no_list = _unused("yes_no", set(taken))
    survey: list[dict] = []
    choices: list[dict] = []
    for n, section in enumerate(data["sections"], start=1):
        survey.append(
            {
                "type": "begin_group",
                "name": _unused(f"section_{n}", taken),
                f"label::{LANGUAGES['ka']}": section.get("title_ka", ""),
                f"label::{LANGUAGES['en']}": section.get("title_en", ""),
            }
        )
        for question in section["questions"]:
            survey += _rows(question, yes_no_list, choices)
        survey.append({"type": "end_group"})
    if any(q.get("kind") == Kind.YES_NO for _p, q, _g in definition.questions(data)):
        choices += [
            {
                "list_name": yes_no_list,
                "name": value,
                f"label::{LANGUAGES['ka']}": YES_NO_LABELS[value][0],
                f"label::{LANGUAGES['en']}": YES_NO_LABELS[value][1],
            }
            for value in YES_NO_VALUES
        ]
    settings = {
        "form_title": form.name_ka,
        "form_id": form.code,
        "version": str(version.number),
        "default_language": LANGUAGES["ka"],
        "zrunva_name_en": form.name_en,
        **{f"zrunva_{name}": getattr(form, name) for name in TEXT_FIELDS},
        "zrunva_illustrative": "yes" if form.illustrative else "no",
    }
    out = io.BytesIO()
    # Every cell a string: XLSForm is text, and "1.0" must not come back as a float.
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    for title, columns, rows in (
        ("survey", SURVEY_COLUMNS, survey),
        ("choices", CHOICES_COLUMNS, choices),
        ("settings", list(settings), [settings]),
    ):
        sheet = book.add_worksheet(title)
        sheet.write_row(0, 0, columns)
        for r, row in enumerate(rows, start=1):
            for c, column in enumerate(columns):
                value = row.get(column, "")
                if value != "":
                    sheet.write_string(r, c, str(value))
    book.close()
    return out.getvalue()


# XLSForm in ------------------------------------------------------------------------------------

SELECT = re.compile(
    r"^(?P<word>select_one|select one|select1|select_multiple|select multiple|"
    r"select all that apply)\s+(?P<list>\S+)(?P<other>\s+or_other)?$"
)
NUMBER_BOUND = re.compile(r"^\.\s*(?P<op>>=|<=)\s*(?P<value>-?[0-9]+(?:\.[0-9]+)?)$")
DATE_BOUND = re.compile(
    r"^\.\s*(?P<op>>=|<=)\s*date\(\s*['\"](?P<value>[0-9]{4}-[0-9]{2}-[0-9]{2})['\"]\s*\)$"
)
TEXT_BOUND = re.compile(r"^string-length\(\s*\.\s*\)\s*<=\s*(?P<value>[0-9]+)$")
TRUE, FALSE = {"yes", "true", "true()", "1"}, {"", "no", "false", "false()", "0"}


def _language(suffix: str) -> str | None:
    suffix = suffix.strip().lower()
    for code, name in (("ka", "georgian"), ("en", "english")):
        if suffix in (code, name) or suffix.endswith(f"({code})"):
            return code
    return None


def _in_languages(row: dict, base: str) -> dict[str, str]:
    """A row's text in Georgian and English, from `base::Georgian (ka)`, `base::ka`, and a
    plain `base` column read as English."""
    found = {"ka": "", "en": ""}
    for column, value in row.items():
        name, _sep, suffix = column.partition("::")
        if name.strip().lower() != base:
            continue
        language = _language(suffix) if suffix else "en"
        # A language's own column wins over the plain one.
        if language and (suffix or not found[language]):
            found[language] = value
    return found


def _row_columns(row: dict) -> dict:
    """The row with plain column names in small letters (types and settings are read so)."""
    return {(k if "::" in k else k.strip().lower()): v for k, v in row.items()}


def _integer(text: str) -> int | None:
    return int(text) if re.fullmatch(r"-?[0-9]+", text.strip()) else None


def _json_number(text: str):
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


def _at_row(sheet: str, row: int, name: str, reason: str) -> str:
    """A fault where a spreadsheet user finds it: the sheet, the row as Excel numbers it
    (the header is row 1) and the name in it."""
    return _("Sheet %(sheet)s, row %(row)d (%(name)s): %(reason)s") % {
        "sheet": sheet,
        "row": row,
        "name": name or "?",
        "reason": reason,
    }


class _Reader:
    """Reads the survey rows into sections, collecting every row's faults."""

    def __init__(self, book, name_ka: str, name_en: str):
        self.errors: list[str] = []
        self.choice_errors: list[str] = []
        self.notes: list[str] = []
        self.sections: list[dict] = []
        self.names = (name_ka or "კითხვები", name_en or "Questions")
        self.lists = self._choice_lists(book.choices or [])
        self.stack: list[dict] = []  # open groups: {"what", "row", "name", "show_if", "into"}
        self.section: dict | None = None  # the section questions go into (None: start one)

    def fault(self, sheet: str, row: int, name: str, reason: str) -> None:
        self.errors.append(_at_row(sheet, row, name, reason))

    def _choice_lists(self, rows) -> dict[str, list[dict]]:
        lists: dict[str, list[dict]] = {}
        for n, raw in enumerate(rows, start=2):
            row = _row_columns(raw)
            if not row:
                continue
            list_name = row.get("list_name") or row.get("list name") or ""
            value = row.get("name") or row.get("value") or ""
            if not list_name or not value:
                self.choice_errors.append(
                    _at_row("choices", n, value, _("a choice needs its list_name and its name."))
                )
                continue
            labels = _in_languages(row, "label")
            lists.setdefault(list_name, []).append(
                {"value": value, "label_ka": labels["ka"], "label_en": labels["en"]}
            )
        return lists

    # Where a question goes.

    def _container(self) -> list:
        for frame in reversed(self.stack):
            if frame["what"] == "repeat":
                return frame["into"]
        if self.section is None:
            self.section = {
                "title_ka": self.names[0],
                "title_en": self.names[1],
                "questions": [],
            }
            self.sections.append(self.section)
        return self.section["questions"]

    def _inherited_condition(self) -> str:
        """A section's condition, given to each question directly in it (sections have none)."""
        if self.stack and self.stack[-1]["what"] == "section":
            return self.stack[-1]["show_if"]
        return ""

    # Rows.

    def read(self, rows) -> list[dict]:
        for n, raw in enumerate(rows, start=2):
            row = _row_columns(raw)
            if row:
                self.row(n, row)
        for frame in self.stack:
            self.fault(
                "survey",
                frame["row"],
                frame["name"],
                _("this “%(type)s” has no “%(end)s”.")
                % {"type": f"begin_{frame['type']}", "end": f"end_{frame['type']}"},
            )
        return self.sections

    def row(self, n: int, row: dict) -> None:
        name = row.get("name", "")
        kind_text = re.sub(r"\s+", " ", row.get("type", "").strip())
        word = kind_text.lower().replace("begin ", "begin_").replace("end ", "end_")

        def fault(reason):
            self.fault("survey", n, name, reason)

        if not kind_text:
            fault(_("the row has no type."))
            return
        if word in ("end_group", "end_repeat"):
            self.end(n, name, word.removeprefix("end_"), fault)
            return
        for column in REFUSED_COLUMNS:
            if row.get(column) and not (column == "read_only" and row[column].lower() in FALSE):
                fault(
                    _("the “%(column)s” column cannot be brought in; leave it empty.")
                    % {"column": column}
                )
        if word in METADATA_TYPES:
            self.notes.append(
                _at_row("survey", n, name, _("recorded by the device, not asked; left out."))
            )
            return
        labels, hints = _in_languages(row, "label"), _in_languages(row, "hint")
        show_if = self.condition(row.get("relevant", ""), fault)
        if word == "begin_group":
            self.begin_group(n, name, labels, show_if, fault)
            return
        question = {"key": name, "kind": None, "label_ka": labels["ka"], "label_en": labels["en"]}
        for language in ("ka", "en"):
            if hints[language]:
                question[f"help_{language}"] = hints[language]
        required = row.get("required", "").strip().lower()
        if required in TRUE:
            question["required"] = True
        elif required not in FALSE:
            fault(
                _("“required” is yes or no here; a condition (“%(value)s”) cannot be brought in.")
                % {"value": row["required"]}
            )
        inherited = self._inherited_condition()
        if inherited and show_if:
            show_if = f"({inherited}) and ({show_if})"
        if show_if or inherited:
            question["show_if"] = show_if or inherited
        if word == "begin_repeat":
            self.begin_repeat(n, name, row, question, fault)
            return
        if not self.kind(row, word, kind_text, question, fault):
            return
        constraint = row.get("constraint", "").strip()
        if constraint:
            self.bounds(constraint, question, fault)
        self._container().append(question)

    def condition(self, text: str, fault) -> str:
        text = text.strip()
        if not text:
            return ""
        try:
            conditions.parse(text)
        except conditions.ConditionError as error:
            fault(
                _("the condition “%(text)s” cannot be read at character %(at)d: %(error)s")
                % {"text": text, "at": error.position + 1, "error": error}
            )
            return ""
        return text

    def begin_group(self, n, name, labels, show_if, fault) -> None:
        frame = {"what": "section", "type": "group", "row": n, "name": name, "show_if": show_if}
        if self.stack:
            fault(
                _(
                    "a group inside a group cannot be brought in: a Zrunva form has sections of "
                    "questions and repeated groups, one level deep."
                )
            )
            frame["what"] = "ignored"
        else:
            self.section = {
                "title_ka": labels["ka"],
                "title_en": labels["en"],
                "questions": [],
            }
            self.sections.append(self.section)
        self.stack.append(frame)

    def begin_repeat(self, n, name, row, question, fault) -> None:
        question["kind"] = Kind.GROUP
        frame = {"what": "repeat", "type": "repeat", "row": n, "name": name, "into": []}
        if any(f["what"] in ("repeat", "ignored") for f in self.stack):
            fault(_("a repeated group inside another group cannot be brought in."))
            frame["what"] = "ignored"
        for column, target in (
            ("repeat_count", "max_repeats"),
            ("zrunva_max_repeats", "max_repeats"),
            ("zrunva_min_repeats", "min_repeats"),
        ):
            text = row.get(column, "").strip()
            if not text:
                continue
            if _integer(text) is None:
                fault(
                    _("“%(column)s” must be a whole number, not “%(value)s”.")
                    % {"column": column, "value": text}
                )
            else:
                question[target] = _integer(text)
        question["questions"] = frame["into"]
        if frame["what"] == "repeat":
            self._container().append(question)
        self.stack.append(frame)

    def end(self, n, name, what, fault) -> None:
        if not self.stack or self.stack[-1]["type"] != what:
            fault(
                _("this “%(type)s” closes no “%(begin)s”.")
                % {"type": f"end_{what}", "begin": f"begin_{what}"}
            )
            return
        frame = self.stack.pop()
        if frame["what"] == "section":
            self.section = None  # questions after it start a section of their own

    def kind(self, row, word, kind_text, question, fault) -> bool:
        """Sets the question's kind from its type; False when it cannot be brought in."""
        marker = row.get("zrunva_kind", "").strip().lower()
        select = SELECT.match(kind_text)
        if select:
            if select.group("other"):
                fault(_("“or_other” cannot be brought in; add an “other” choice instead."))
            listed = self.lists.get(select.group("list"))
            if listed is None:
                fault(
                    _("the choice list “%(list)s” is not in the choices sheet.")
                    % {"list": select.group("list")}
                )
                return False
            one = select.group("word") in ("select_one", "select one", "select1")
            values = sorted(c["value"] for c in listed)
            if one and values == sorted(YES_NO_VALUES) and marker != Kind.SINGLE:
                question["kind"] = Kind.YES_NO
            else:
                question["kind"] = Kind.SINGLE if one else Kind.MULTIPLE
                question["choices"] = [dict(c) for c in listed]
            fits = marker in ("", Kind.SINGLE) if one else not marker
        elif word in ("integer", "int", "decimal"):
            question["kind"] = Kind.NUMBER
            if word != "decimal":
                question["integer"] = True
            fits = not marker
        elif word == "date":
            question["kind"], fits = Kind.DATE, not marker
        elif word in ("text", "string"):
            question["kind"] = Kind.PERSON if marker == Kind.PERSON else Kind.TEXT
            fits = marker in ("", Kind.PERSON)
        elif word == "range":
            question["kind"], fits = Kind.SCALE, not marker
            self.scale(row.get("parameters", ""), question, fault)
        else:
            fault(
                _(
                    "a “%(type)s” question cannot be brought in: a Zrunva form asks choices, "
                    "numbers, dates, texts, yes or no, scales and repeated groups."
                )
                % {"type": kind_text}
            )
            return False
        if not fits:
            fault(
                _("“zrunva_kind” %(marker)s does not go with the type “%(type)s”.")
                % {"marker": marker, "type": kind_text}
            )
        return True

    def scale(self, text: str, question: dict, fault) -> None:
        given = dict(
            part.split("=", 1) for part in re.split(r"[\s,;]+", text.strip()) if "=" in part
        )
        low, high = SCALE_DEFAULTS
        for name in ("start", "end", "step"):
            if name not in given:
                continue
            value = _integer(given[name])
            if value is None or (name == "step" and value != 1):
                fault(
                    _("a scale goes in whole steps of 1; “%(name)s=%(value)s” cannot be kept.")
                    % {"name": name, "value": given[name]}
                )
            elif name == "start":
                low = value
            elif name == "end":
                high = value
        question["min"], question["max"] = low, high

    def bounds(self, text: str, question: dict, fault) -> None:
        kind = question["kind"]
        pattern = {Kind.NUMBER: NUMBER_BOUND, Kind.DATE: DATE_BOUND, Kind.TEXT: TEXT_BOUND}.get(
            kind
        )
        example = {
            Kind.NUMBER: ". >= 0 and . <= 120",
            Kind.DATE: ". >= date('2020-01-01') and . <= date('2030-12-31')",
            Kind.TEXT: "string-length(.) <= 200",
        }.get(kind)
        parts = re.split(r"\s+and\s+", text)
        found = [pattern.match(p.strip()) for p in parts] if pattern else [None]
        if not all(found):
            if example is None:
                fault(
                    _("the constraint “%(text)s” cannot be brought in: this kind has no bounds.")
                    % {"text": text}
                )
            else:
                fault(
                    _(
                        "the constraint “%(text)s” cannot be brought in: Zrunva keeps only "
                        "bounds, such as “%(example)s”."
                    )
                    % {"text": text, "example": example}
                )
            return
        for match in found:
            if kind == Kind.TEXT:
                question["max_length"] = int(match.group("value"))
                continue
            name = "min" if match.group("op") == ">=" else "max"
            value = match.group("value")
            question[name] = value if kind == Kind.DATE else _json_number(value)


def _workbook_bytes(file) -> bytes:
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    if hasattr(file, "read"):
        if hasattr(file, "seek"):
            file.seek(0)
        return file.read()
    with open(file, "rb") as opened:
        return opened.read()


def read_xlsform(file) -> Imported:
    """A form from an XLSForm workbook (.xlsx or .xls: bytes, an open file or a path), or
    TransferError naming every row that cannot be brought in and every fault of the result.

    The rows are read with pyxform's own sheet reader and mapped here, rather than through
    its converter, which stops at the first fault and knows nothing of Zrunva's kinds."""
    content = _workbook_bytes(file)
    if content.startswith(b"PK"):
        file_type = ".xlsx"
    elif content.startswith(b"\xd0\xcf\x11\xe0"):
        file_type = ".xls"
    else:
        raise TransferError([_("This is not an Excel workbook (.xlsx or .xls).")])
    try:
        book = get_xlsform(io.BytesIO(content), file_type=file_type)
    except (PyXFormError, ValueError) as error:
        raise TransferError(
            [_("The workbook cannot be read: %(error)s") % {"error": error}]
        ) from None
    if not book.survey:
        raise TransferError([_("The workbook has no “survey” sheet, or it is empty.")])
    settings = next((_row_columns(r) for r in book.settings or [] if r), {})
    title = settings.get("form_title", "").strip()
    name_ka = title
    name_en = settings.get("zrunva_name_en", "").strip() or title
    code = settings.get("form_id", "").strip() or slugify(name_en)[:CODE_MAX]
    errors: list[str] = []
    _header(code, name_ka, name_en, errors)
    reader = _Reader(book, name_ka, name_en)
    sections = reader.read(book.survey)
    result = {"sections": sections}
    errors += reader.errors + reader.choice_errors + definition.check(result)
    if errors:
        raise TransferError(errors)
    return Imported(
        code=code,
        name_ka=name_ka,
        name_en=name_en,
        definition=result,
        texts={name: settings.get(f"zrunva_{name}", "") for name in TEXT_FIELDS},
        illustrative=settings.get("zrunva_illustrative", "").lower() in TRUE,
        notes=reader.notes,
    )
