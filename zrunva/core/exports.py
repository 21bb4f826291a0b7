"""A filtered list as a file (CSV or XLSX), the same rows the page lists for the same filter.

Each list view asks `export_format(request)`; when the user asked for a file it hands its
queryset (already scoped and masked by its selector) and its columns to `export`, which writes
the rows in chunks to a temporary file (XlsxWriter in constant-memory mode; CSV with a BOM so
spreadsheets read Georgian as UTF-8), calls `audit(count)` with how many rows it wrote, and
answers the file. More than `EXPORT_MAX_ROWS` rows is refused: the user narrows the filter.
"""

import csv
import io
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _

FORMATS = ("csv", "xlsx")
CHUNK = 2000


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable  # row -> a str, int, Decimal, date or None
    width: int = 18


def export_format(request) -> str:
    """ "csv" or "xlsx" when the list's page was asked for a file (`?format=`), else ""."""
    wanted = request.GET.get("format", "")
    return wanted if wanted in FORMATS else ""


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return value


# A text starting with one of these is read as a formula by spreadsheets opening a CSV: it is
# written with a leading apostrophe (OWASP's CSV injection advice). XLSX cells are written as
# strings and are never formulas.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _write_csv(out, columns: list[Column], rows: Iterable) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([str(c.label) for c in columns])
    count = 0
    for row in rows:
        values = []
        for column in columns:
            value = _cell(column.value(row))
            values.append(value.isoformat() if isinstance(value, date) else _csv_text(value))
        writer.writerow(values)
        count += 1
    text.flush()
    text.detach()
    return count


def _write_xlsx(out, columns: list[Column], rows: Iterable, title: str) -> int:
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    money = book.add_format({"num_format": "#,##0.00"})
    for col, column in enumerate(columns):
        sheet.write(0, col, str(column.label), bold)
        sheet.set_column(col, col, column.width)
    count = 0
    for line, row in enumerate(rows, start=1):
        for col, column in enumerate(columns):
            value = _cell(column.value(row))
            if isinstance(value, datetime):
                sheet.write_datetime(line, col, value, moment)
            elif isinstance(value, date):
                sheet.write_datetime(line, col, datetime.combine(value, datetime.min.time()), day)
            elif isinstance(value, Decimal):
                # 15 significant digits hold any amount here to the tetri.
                sheet.write_number(line, col, float(value), money)
            elif isinstance(value, bool):
                sheet.write_boolean(line, col, value)
            elif isinstance(value, int):
                sheet.write_number(line, col, value)
            else:
                sheet.write_string(line, col, str(value))
        count = line
    sheet.freeze_panes(1, 0)
    book.close()
    return count


def export(request, *, qs, columns: list[Column], name: str, title: str, audit: Callable):
    """The rows of `qs` as the file `request` asked for, named `name`-<date>.<format>; `audit`
    is called with the number of rows written before the file is answered."""
    limit = settings.EXPORT_MAX_ROWS
    if len(qs.values_list("pk", flat=True)[: limit + 1]) > limit:
        messages.error(
            request,
            _("More than %(limit)s rows: narrow the filter to download them.")
            % {"limit": f"{limit:,}"},
        )
        query = request.GET.copy()
        query.pop("format", None)
        return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
    return export_rows(
        request,
        rows=qs.iterator(chunk_size=CHUNK),
        columns=columns,
        name=name,
        title=title,
        audit=audit,
    )


def export_rows(request, *, rows: Iterable, columns: list[Column], name: str, title: str, audit):
    """`rows` already in hand (a table of aggregates, not a queryset) as the file asked for."""
    fmt = export_format(request)
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    if fmt == "csv":
        count = _write_csv(out, columns, rows)
    else:
        count = _write_xlsx(out, columns, rows, str(title))
    audit(count)
    out.seek(0)
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    return FileResponse(out, as_attachment=True, filename=filename)
