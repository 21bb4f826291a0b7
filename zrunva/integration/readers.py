"""Reading another registry's file one row at a time, in bounded memory, with the problems a file
from elsewhere brings named by row and column: text that is not in the source's encoding, a
byte-order mark, a column the mapping names that is missing, an XLSX cell holding a formula or
part of a merged range, a number that lost its leading zero.

`open_table` checks the whole file's shape at once (empty, unreadable, missing columns) and
raises `ValidationError` before any row is read; `Table.rows()` then yields `Row`s, each with
its spreadsheet row number (the header is row 1) and the problems found in reading it.
"""

import codecs
import csv
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from defusedxml.ElementTree import iterparse
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zrunva.integration.choices import FileKind

DELIMITERS = (",", ";", "\t")
_CELL = re.compile(r"([A-Z]+)([0-9]+)")


@dataclass
class Row:
    number: int
    values: dict[str, object]
    # (column or "", reason): problems met in reading, before any value is checked.
    problems: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Table:
    header: list[str]
    rows: Callable[[], Iterator[Row]]  # the file is read as the rows are consumed
    read: Callable[[], float]  # how much of the file is read, 0 to 1, for the progress bar
    close: Callable[[], None] = lambda: None  # when the rows are not read to the end


def text_encoding(name) -> bool:
    """An encoding a CSV file's lines may be in: a text codec read a line at a time (not UTF-16
    or UTF-32, whose lines are not split on the newline byte; not base64 or rot13)."""
    try:
        info = codecs.lookup(name or "")
    except (LookupError, TypeError):
        return False
    return info._is_text_encoding and not info.name.startswith(("utf-16", "utf-32"))


def file_kind(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".csv") or lower.endswith(".txt"):
        return FileKind.CSV
    if lower.endswith(".xlsx"):
        return FileKind.XLSX
    raise ValidationError(
        {"file": _("Send a CSV or an XLSX file (%(name)s is neither).") % {"name": name}}
    )


def _columns_named(header: list[str], wanted: set[str]) -> None:
    keys = [h.strip().casefold() for h in header if h.strip()]
    doubled = sorted({k for k in keys if keys.count(k) > 1})
    if doubled:
        raise ValidationError(
            {
                "file": _("Two columns have the same name: %(columns)s. Rename one.")
                % {"columns": ", ".join(f"“{d}”" for d in doubled)}
            }
        )
    present = set(keys)
    missing = sorted(c for c in wanted if c.strip().casefold() not in present)
    if missing:
        raise ValidationError(
            {
                "file": _(
                    "The file has no column %(missing)s, which the source's mapping names. "
                    "Its columns are: %(columns)s."
                )
                % {
                    "missing": ", ".join(f"“{m}”" for m in missing),
                    "columns": ", ".join(f"“{h}”" for h in header) or "—",
                }
            }
        )


def _keyed(header: list[str]) -> list[str]:
    return [h.strip().casefold() for h in header]


# -- CSV ---------------------------------------------------------------------------------------


def _csv_lines(path: str, encoding: str, bad: list[int], at: list) -> Iterator[str]:
    """The file's lines decoded one at a time; a line that is not valid in `encoding` is
    decoded with replacement characters and its number put in `bad` for the row to report.
    `at` receives the open file, to tell how far it is read."""
    with open(path, "rb") as handle:
        at.append(handle)
        first = True
        for number, raw in enumerate(handle, start=1):
            if first:
                first = False
                for bom, name in ((codecs.BOM_UTF8, "utf-8"),):
                    if raw.startswith(bom):
                        raw = raw[len(bom) :]
                        encoding = name
                if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                    raise ValidationError(
                        {
                            "file": _(
                                "The file is in UTF-16: save it as CSV UTF-8 and send it again."
                            )
                        }
                    )
            try:
                yield raw.decode(encoding)
            except UnicodeDecodeError:
                bad.append(number)
                yield raw.decode(encoding, errors="replace")


def _delimiter(header_line: str) -> str:
    return max(DELIMITERS, key=header_line.count)


def _open_csv(path: str, encoding: str, wanted: set[str]) -> Table:
    if not text_encoding(encoding):
        raise ValidationError(
            {"encoding": _("Unknown text encoding “%(name)s”.") % {"name": encoding}}
        )
    bad: list[int] = []
    at: list = []
    lines = _csv_lines(path, encoding, bad, at)
    header_line = next(lines, "")
    if not header_line.strip():
        raise ValidationError({"file": _("The file has no header row.")})
    if bad:
        raise ValidationError(
            {
                "file": _(
                    "The header row is not %(encoding)s text: save the file as CSV UTF-8 or set "
                    "the source's encoding (e.g. windows-1252)."
                )
                % {"encoding": encoding}
            }
        )
    delimiter = _delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    _columns_named(header, wanted)
    keys = _keyed(header)

    def rows() -> Iterator[Row]:
        reader = csv.reader(lines, delimiter=delimiter)
        number = 1
        seen_bad = 0
        for record in reader:
            number += 1
            if not any(cell.strip() for cell in record):
                continue  # blank lines at the end of exported files
            row = Row(number, dict(zip(keys, record, strict=False)))
            if len(bad) > seen_bad:
                seen_bad = len(bad)
                row.problems.append(
                    (
                        "",
                        _(
                            "The text is not %(encoding)s (a character was replaced): save the "
                            "file as CSV UTF-8 or set the source's encoding."
                        )
                        % {"encoding": encoding},
                    )
                )
            if len(record) > len(keys):
                row.problems.append(
                    (
                        "",
                        _("The row has %(cells)d cells, the header %(columns)d.")
                        % {"cells": len(record), "columns": len(keys)},
                    )
                )
            yield row

    size = max(1, os.path.getsize(path))

    def read() -> float:
        return 0.0 if not at or at[0].closed else at[0].tell() / size

    return Table(header, rows, read, lines.close)


# -- XLSX --------------------------------------------------------------------------------------


def _column_number(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _merged_rows(path: str, sheet_path: str) -> dict[int, str]:
    """Rows covered by a merged range of the sheet, with the range (`A2:A4`): read from the
    sheet's XML as it streams (openpyxl's read-only sheets do not list merged cells)."""
    covered: dict[int, str] = {}
    with zipfile.ZipFile(path) as archive, archive.open(sheet_path) as sheet:
        for _event, element in iterparse(sheet):
            if element.tag.endswith("}mergeCell"):
                ref = element.get("ref", "")
                parts = [_CELL.fullmatch(p) for p in ref.split(":")]
                if len(parts) == 2 and all(parts):
                    for number in range(int(parts[0].group(2)), int(parts[1].group(2)) + 1):
                        covered.setdefault(number, ref)
            elif element.tag.endswith("}row"):
                element.clear()  # rows are read by openpyxl; keep memory flat here
    return covered


def _cell_text(value) -> object:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


def _open_xlsx(path: str, wanted: set[str]) -> Table:
    from openpyxl import load_workbook

    unreadable = ValidationError(
        {"file": _("The file is not a readable XLSX workbook: save it again from Excel.")}
    )
    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as error:  # noqa: BLE001 - any fault of a file from elsewhere is its own
        raise unreadable from error
    try:
        return _xlsx_table(book, path, wanted)
    except ValidationError:
        book.close()
        raise
    except Exception as error:  # noqa: BLE001 - a malformed sheet, a sheet of charts only, …
        book.close()
        raise unreadable from error


def _xlsx_table(book, path: str, wanted: set[str]) -> Table:
    sheet = book.worksheets[0]
    sheet_path = getattr(sheet, "_worksheet_path", "xl/worksheets/sheet1.xml").lstrip("/")
    cells = sheet.iter_rows()
    header_cells = next(cells, ())
    header = ["" if c.value is None else str(c.value) for c in header_cells]
    if not any(h.strip() for h in header):
        raise ValidationError({"file": _("The first sheet has no header row.")})
    _columns_named(header, wanted)
    keys = _keyed(header)
    merged = _merged_rows(path, sheet_path)
    if 1 in merged:
        raise ValidationError(
            {
                "file": _("The header row has merged cells (%(range)s): unmerge them.")
                % {"range": merged[1]}
            }
        )

    last = sheet.max_row or 0
    reached = [0]

    def read() -> float:
        return reached[0] / last if last else 0.0

    def rows() -> Iterator[Row]:
        try:
            for cells_of_row in cells:
                values = {}
                problems = []
                number = None
                for key, cell in zip(keys, cells_of_row, strict=False):
                    number = number or getattr(cell, "row", None)
                    value = cell.value
                    if getattr(cell, "data_type", None) == "f" or (
                        isinstance(value, str) and value.startswith("=")
                    ):
                        problems.append(
                            (
                                key,
                                _("The cell holds a formula (%(formula)s): paste its value.")
                                % {"formula": str(value)[:40]},
                            )
                        )
                        value = None
                    values[key] = _cell_text(value)
                if number is not None and number <= reached[0]:
                    raise ValidationError(
                        {
                            "file": _(
                                "The sheet's rows are out of order (row %(row)d): save it "
                                "again from Excel."
                            )
                            % {"row": number}
                        }
                    )
                reached[0] = number or reached[0]
                if number is None or not any(v not in (None, "") for v in values.values()):
                    continue
                if number in merged:
                    problems.append(
                        (
                            "",
                            _(
                                "The row is part of merged cells %(range)s: unmerge them and "
                                "fill in each row."
                            )
                            % {"range": merged[number]},
                        )
                    )
                yield Row(number, values, problems)
        finally:
            book.close()

    return Table(header, rows, read, book.close)


def open_table(path: str, kind: str, *, encoding: str, wanted: set[str]) -> Table:
    """The file's header checked against the columns the mapping needs (`wanted`), and its rows
    to read. Raises `ValidationError` on the `file` for what makes the whole file unreadable."""
    if kind == FileKind.XLSX:
        return _open_xlsx(path, wanted)
    return _open_csv(path, encoding, wanted)


def as_date(value, formats: list[str]) -> date:
    """A date written in one of the source's formats (a cell already a date passes through)."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in formats:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)
