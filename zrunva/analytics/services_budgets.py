"""Writing municipal social budgets: a line entered by form, or a budget resolution's XLSX
imported (checked row by row first, a preview; then written whole or not at all).

Who: BUDGETS_EDIT (a municipality's officers for their own municipality, administrators
anywhere), each row's municipality in the actor's area (`permissions.require_in_scope`)."""

import io
import math
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from zrunva.accounts import permissions
from zrunva.analytics.choices_budgets import ImportStatus
from zrunva.analytics.models import BudgetImport, BudgetLine
from zrunva.analytics.models.budgets import FIRST_YEAR, LAST_YEAR
from zrunva.core.money import TETRI
from zrunva.core.trail import acting_as, bulk_run_log
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme

# The most an amount column holds: numeric(14, 2).
PLANNED_MAX = Decimal("999999999999.99")
MAX_ROWS = 5000
# The file as uploaded (the page and the API alike), the workbook once unpacked (an XLSX is a
# zip: a small file can hold a huge sheet), and the sheet's rows read, blank ones included
# (a sheet formatted to its last row is read no further than this).
MAX_BYTES = 5 * 1024 * 1024  # its message names 5 MB
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ROWS_READ = 4 * MAX_ROWS


def require_budget_edit(actor, municipality_id: int) -> None:
    """The one check before any budget write: the role, then the place."""
    permissions.require(actor, permissions.BUDGETS_EDIT)
    permissions.require_in_scope(actor, municipality_id)


def can_edit_budget(actor, municipality_id: int) -> bool:
    return permissions.has_perm(actor, permissions.BUDGETS_EDIT) and permissions.in_scope(
        actor, municipality_id
    )


def _programme_error(programme: Programme | None, municipality_id: int) -> str:
    if programme is not None and programme.municipality_id != municipality_id:
        return _("The programme %(code)s is not this municipality's.") % {"code": programme.code}
    return ""


@transaction.atomic
def budget_line_save(*, actor, line: BudgetLine | None, data: dict) -> BudgetLine:
    """Enter a budget line (`line=None`) or change one: municipality, year, a municipal
    programme of that municipality or a line's names, the planned amount (≥ 0, two places)."""
    if line is not None:
        line = BudgetLine.objects.select_for_update().get(pk=line.pk)
        require_budget_edit(actor, line.municipality_id)
    else:
        line = BudgetLine(entered_by=actor)
    for name, value in data.items():
        setattr(line, name, value)
    require_budget_edit(actor, line.municipality_id)
    if line.programme_id is not None:
        line.name_ka = line.name_en = ""
    errors: dict[str, list[str]] = {}
    if message := _programme_error(line.programme, line.municipality_id):
        errors["programme"] = [message]
    if line.programme_id is None and not line.name_ka.strip():
        errors["name_ka"] = [_("Choose a programme, or name the line in Georgian.")]
    try:
        line.full_clean()
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    line.entered_by = actor
    with acting_as(actor):
        try:
            with transaction.atomic():
                line.save()
        except IntegrityError as exc:
            raise ValidationError(_("This line is already in this budget.")) from exc
    return line


@transaction.atomic
def budget_line_delete(*, actor, line: BudgetLine) -> None:
    require_budget_edit(actor, line.municipality_id)
    with acting_as(actor):
        line.delete()


# -- The budget resolution's XLSX ----------------------------------------------------------------


@dataclass(frozen=True)
class ImportColumn:
    key: str
    label: object  # lazy text: the header in the template, in the active language
    headers: tuple[str, ...]  # the headers read, in either language (lower case)
    required: bool = True


COLUMNS = (
    ImportColumn(
        "municipality",
        gettext_lazy("Municipality"),
        ("municipality", "municipality code", "მუნიციპალიტეტი"),
    ),
    ImportColumn("year", gettext_lazy("Year"), ("year", "წელი")),
    ImportColumn(
        "programme",
        gettext_lazy("Programme code"),
        ("programme", "programme code", "პროგრამა", "პროგრამის კოდი"),
        required=False,
    ),
    ImportColumn(
        "name_ka",
        gettext_lazy("Line (Georgian)"),
        ("line (georgian)", "line", "მუხლი", "მუხლი (ქართულად)"),
        required=False,
    ),
    ImportColumn(
        "name_en",
        gettext_lazy("Line (English)"),
        ("line (english)", "მუხლი (ინგლისურად)"),
        required=False,
    ),
    ImportColumn(
        "planned",
        gettext_lazy("Planned, GEL"),
        ("planned, gel", "planned", "amount", "დაგეგმილი, ლარი", "დაგეგმილი", "თანხა"),
    ),
    ImportColumn("source", gettext_lazy("Source"), ("source", "წყარო"), required=False),
)


def budget_template() -> bytes:
    """The XLSX to fill in: the columns the import reads, one illustrative row, and a second
    sheet with the municipalities' codes and the municipal programmes' codes."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Budget")[:31]
    bold = Font(bold=True)
    for col, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=col, value=str(column.label))
        cell.font = bold
        sheet.column_dimensions[get_column_letter(col)].width = 24
    sheet.append(
        [
            "kutaisi",
            timezone.localdate().year,
            "",
            "სოციალური დახმარება მრავალშვილიან ოჯახებს",
            "Assistance to large families",
            125000,
            _("Illustrative row: replace it with the resolution's lines"),
        ]
    )
    codes = book.create_sheet(_("Codes")[:31])
    codes.append(
        [_("Municipality code"), _("Municipality (Georgian)"), _("Municipality (English)")]
    )
    for m in Municipality.objects.order_by("code"):
        codes.append([m.code, m.name_ka, m.name_en])
    codes.append([])
    codes.append([_("Programme code"), _("Municipality code"), _("Programme")])
    for p in Programme.objects.filter(municipality__isnull=False).select_related("municipality"):
        codes.append([p.code, p.municipality.code, p.name_ka])
    for row in (codes[1], codes[len(Municipality.objects.all()) + 3]):
        for cell in row:
            cell.font = bold
    codes.column_dimensions["A"].width = 24
    codes.column_dimensions["B"].width = 30
    codes.column_dimensions["C"].width = 30
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def check_upload(upload) -> None:
    """A file the import reads at all: at most MAX_BYTES, and an XLSX (a zip) whose parts
    unpacked stay under MAX_UNPACKED_BYTES. Anything else is refused whole, saying why."""
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    upload.seek(0)
    if size > MAX_BYTES:
        raise ValidationError(_("A file of at most 5 MB."))
    try:
        with zipfile.ZipFile(upload) as packed:
            unpacked = sum(part.file_size for part in packed.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValidationError(_("This file cannot be read as an Excel workbook (.xlsx).")) from exc
    finally:
        upload.seek(0)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationError(
            _("The workbook unpacks to more than %(most)s MB: split the file.")
            % {"most": MAX_UNPACKED_BYTES // (1024 * 1024)}
        )


def _read_sheet(upload) -> tuple[dict[str, str], list[dict]]:
    """The first sheet's header (column key → column letter) and its rows as raw cell values
    (numbers as numbers, text as text), each with its row number. A file that is not an XLSX,
    is too large, lacks a required column, or whose sheet cannot be read to its end, is
    refused whole."""
    check_upload(upload)
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not an XLSX
        raise ValidationError(_("This file cannot be read as an Excel workbook (.xlsx).")) from exc
    try:
        return _sheet_rows(book)
    except ValidationError:
        raise
    except Exception as exc:  # a damaged sheet: openpyxl's and the XML parser's many kinds
        raise ValidationError(
            _(
                "The first sheet cannot be read to its end (a damaged file?): save it again from Excel."
            )
        ) from exc
    finally:
        book.close()


def _sheet_rows(book) -> tuple[dict[str, str], list[dict]]:
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = next(lines, None) or ()
    wanted = {h: column.key for column in COLUMNS for h in column.headers}
    where: dict[str, int] = {}
    for index, value in enumerate(header):
        key = wanted.get(str(value or "").strip().lower())
        if key and key not in where:
            where[key] = index
    missing = [str(c.label) for c in COLUMNS if c.required and c.key not in where]
    if missing:
        raise ValidationError(
            _("The first row must name the columns; missing: %(columns)s.")
            % {"columns": ", ".join(missing)}
        )
    if "programme" not in where and "name_ka" not in where:
        raise ValidationError(
            _("The first row must have a programme code column or a Georgian line column.")
        )
    rows = []
    for number, values in enumerate(lines, start=2):
        if number > MAX_ROWS_READ + 1:
            raise ValidationError(
                _(
                    "The sheet goes on past row %(most)s: delete the empty rows under the "
                    "budget, or split the file."
                )
                % {"most": f"{MAX_ROWS_READ + 1:,}"}
            )
        cells = {
            key: values[index] if index < len(values) else None for key, index in where.items()
        }
        if all(v is None or str(v).strip() == "" for v in cells.values()):
            continue
        if len(rows) >= MAX_ROWS:
            raise ValidationError(
                _("More than %(most)s rows: split the file.") % {"most": f"{MAX_ROWS:,}"}
            )
        rows.append({"row": number, "cells": {k: _json_value(v) for k, v in cells.items()}})
    letters = {key: get_column_letter(index + 1) for key, index in where.items()}
    return letters, rows


def _json_value(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no infinity
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return str(value)  # a date typed where text was meant: kept as the text it shows


def _amount(value) -> Decimal:
    """A planned amount from a cell: a number, or text that is only a number ("125 000,50").
    Anything else says what was found."""
    if isinstance(value, bool):
        raise ValueError(_("Text where an amount is expected: “%(text)s”.") % {"text": value})
    if isinstance(value, int | float):
        amount = Decimal(str(value))
    else:
        text = str(value).strip().replace("\xa0", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(
                _("Text where an amount is expected: “%(text)s”.") % {"text": value}
            ) from None
        if not amount.is_finite():
            raise ValueError(_("Text where an amount is expected: “%(text)s”.") % {"text": value})
    if not amount.is_finite():  # a number cell holding inf or nan
        raise ValueError(_("Not an amount: %(amount)s.") % {"amount": value})
    if amount < 0:
        raise ValueError(_("A negative amount: %(amount)s.") % {"amount": value})
    # The size first: quantizing 1e30 to tetri overflows the decimal context.
    if amount > PLANNED_MAX:
        raise ValueError(_("The amount is too large: %(amount)s.") % {"amount": value})
    try:
        exact = amount.quantize(TETRI)
    except InvalidOperation:
        raise ValueError(_("Not an amount: %(amount)s.") % {"amount": value}) from None
    if amount != exact:
        raise ValueError(_("More than two decimal places (tetri): %(amount)s.") % {"amount": value})
    return exact


def _year(value) -> int:
    try:
        year = int(str(value).strip()) if not isinstance(value, float) else int(value)
        if isinstance(value, float) and value != year:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ValueError(_("Not a year: “%(text)s”.") % {"text": value}) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            _("A year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return year


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _Places:
    """Municipalities by code or name (either language, any case); municipal programmes by
    code: read once per file."""

    def __init__(self):
        self.municipalities: dict[str, Municipality] = {}
        for m in Municipality.objects.all():
            for key in (m.code, m.name_ka, m.name_en):
                self.municipalities[key.strip().lower()] = m
        self.programmes = {
            p.code.lower(): p
            for p in Programme.objects.filter(municipality__isnull=False).select_related(
                "municipality"
            )
        }


def check_rows(*, actor, letters: dict[str, str], rows: list[dict]) -> tuple[list, list]:
    """Each row resolved (municipality, programme, amount), or an error per faulty cell with
    its row and column: unknown municipality or programme, a programme of another
    municipality, a municipality outside the actor's area, text or a negative amount in the
    amount, a year out of range, a line without programme or name, a row repeating an earlier
    one. Returns (lines, errors); the lines are only good if there is no error."""
    places = _Places()
    lines: list[dict] = []
    errors: list[dict] = []
    seen: dict[tuple, int] = {}

    def error(row, key, message):
        errors.append(
            {"row": row, "column": letters.get(key, ""), "field": key, "message": str(message)}
        )

    for raw in rows:
        row, cells = raw["row"], raw["cells"]
        before = len(errors)
        municipality = None
        name = _text(cells.get("municipality"))
        if not name:
            error(row, "municipality", _("The municipality is missing."))
        else:
            municipality = places.municipalities.get(name.lower())
            if municipality is None:
                error(
                    row,
                    "municipality",
                    _("Unknown municipality: “%(name)s” (a code or a name, as on the Codes sheet).")
                    % {"name": name},
                )
            elif not can_edit_budget(actor, municipality.pk):
                error(
                    row,
                    "municipality",
                    _("%(name)s is outside your area: you may not enter its budget.")
                    % {"name": municipality.name},
                )
        year = None
        try:
            year = _year(cells.get("year"))
        except ValueError as exc:
            error(row, "year", exc)
        programme = None
        code = _text(cells.get("programme"))
        if code:
            programme = places.programmes.get(code.lower())
            if programme is None:
                error(
                    row,
                    "programme",
                    _("Unknown municipal programme: “%(code)s”.") % {"code": code},
                )
            elif municipality is not None and (
                message := _programme_error(programme, municipality.pk)
            ):
                error(row, "programme", message)
        name_ka, name_en = _text(cells.get("name_ka")), _text(cells.get("name_en"))
        if not code and not name_ka:
            error(row, "name_ka", _("Give a programme code or the line's name in Georgian."))
        if len(name_ka) > 200 or len(name_en) > 200:
            error(row, "name_ka", _("A line's name has at most 200 characters."))
        planned = None
        if cells.get("planned") is None or _text(cells.get("planned")) == "":
            error(row, "planned", _("The planned amount is missing."))
        else:
            try:
                planned = _amount(cells["planned"])
            except ValueError as exc:
                error(row, "planned", exc)
        if len(errors) > before:
            continue
        key = (municipality.pk, year, programme.pk if programme else name_ka.lower())
        if key in seen:
            error(
                row,
                "programme" if programme else "name_ka",
                _("The same line as row %(row)s: each line once per municipality and year.")
                % {"row": seen[key]},
            )
            continue
        seen[key] = row
        lines.append(
            {
                "row": row,
                "municipality_id": municipality.pk,
                "municipality": municipality.name,
                "year": year,
                "programme_id": programme.pk if programme else None,
                "label": programme.name if programme else name_ka,
                "name_ka": "" if programme else name_ka,
                "name_en": "" if programme else name_en,
                "planned": f"{planned:.2f}",
                "source": _text(cells.get("source"))[:300],
            }
        )
    _mark_changes(lines)
    return lines, errors


def _mark_changes(lines: list[dict]) -> None:
    """Whether each line is new, changes a stored amount, or leaves it as it is."""
    if not lines:
        return
    stored = BudgetLine.objects.filter(
        municipality_id__in={line["municipality_id"] for line in lines},
        year__in={line["year"] for line in lines},
    )
    by_key = {(s.municipality_id, s.year, s.programme_id or s.name_ka.lower()): s for s in stored}
    for line in lines:
        found = by_key.get(_key(line))
        if found is None:
            line["change"] = "new"
        else:
            line["was"] = f"{found.planned:.2f}"
            line["change"] = "same" if found.planned == Decimal(line["planned"]) else "changed"


def _key(line: dict) -> tuple:
    return (line["municipality_id"], line["year"], line["programme_id"] or line["name_ka"].lower())


def _summary(lines: list[dict], errors: list[dict]) -> dict:
    return {
        "rows": len(lines) + len({e["row"] for e in errors}),
        "errors": len(errors),
        "new": sum(1 for line in lines if line.get("change") == "new"),
        "changed": sum(1 for line in lines if line.get("change") == "changed"),
        "same": sum(1 for line in lines if line.get("change") == "same"),
    }


@transaction.atomic
def budget_import_preview(*, actor, upload, file_name: str = "") -> BudgetImport:
    """Read a budget resolution's XLSX and check every row (`check_rows`): nothing is written
    to the budgets; the import is kept with its rows and its report, to be committed."""
    permissions.require(actor, permissions.BUDGETS_EDIT)
    letters, rows = _read_sheet(upload)
    if not rows:
        raise ValidationError(_("The file has no row under its header."))
    lines, errors = check_rows(actor=actor, letters=letters, rows=rows)
    return BudgetImport.objects.create(
        file_name=(file_name or getattr(upload, "name", "") or "budget.xlsx")[:200],
        rows=[{"letters": letters}, *rows],
        errors=errors,
        summary=_summary(lines, errors),
        uploaded_by=actor,
    )


def import_lines(budget_import: BudgetImport, *, actor) -> tuple[list, list]:
    """The import's rows checked again now (the preview's report, as of today)."""
    letters, *rows = budget_import.rows
    return check_rows(actor=actor, letters=letters["letters"], rows=rows)


@transaction.atomic
def budget_import_commit(*, actor, budget_import: BudgetImport) -> BudgetImport:
    """Write a previewed import: every row checked again (the places and programmes may have
    changed since), and if any fails nothing is written; otherwise each line added or its
    amount changed (the audit trail keeps the earlier amount), all in one transaction. Only
    who uploaded the file commits it, once."""
    permissions.require(actor, permissions.BUDGETS_EDIT)
    budget_import = BudgetImport.objects.select_for_update().get(pk=budget_import.pk)
    if budget_import.uploaded_by_id != actor.pk:
        raise PermissionDenied(_("Only who uploaded this file may write it."))
    if budget_import.status != ImportStatus.PREVIEWED:
        raise ValidationError(_("This file has already been written."))
    lines, errors = import_lines(budget_import, actor=actor)
    if errors:
        raise ValidationError(
            _(
                "%(count)s errors in the file: correct them and upload it again; nothing was written."
            )
            % {"count": len(errors)}
        )
    with acting_as(actor):
        for line in lines:
            if line["change"] == "same":
                continue
            lookup = {"municipality_id": line["municipality_id"], "year": line["year"]}
            if line["programme_id"]:
                lookup["programme_id"] = line["programme_id"]
            else:
                lookup |= {"programme__isnull": True, "name_ka__iexact": line["name_ka"]}
            stored = BudgetLine.objects.select_for_update().filter(**lookup).first()
            if stored is None:
                stored = BudgetLine(
                    municipality_id=line["municipality_id"],
                    year=line["year"],
                    programme_id=line["programme_id"],
                    name_ka=line["name_ka"],
                )
            stored.name_en = line["name_en"] or stored.name_en
            stored.planned = Decimal(line["planned"])
            stored.source = line["source"] or stored.source
            stored.illustrative = False
            stored.entered_by = actor
            stored.save()
        budget_import.status = ImportStatus.COMMITTED
        budget_import.committed_at = timezone.now()
        budget_import.summary = _summary(lines, [])
        budget_import.save(update_fields=["status", "committed_at", "summary"])
    bulk_run_log(actor=actor, model=BudgetLine, job="budget_import", counts=budget_import.summary)
    return budget_import


def budget_import_scope(actor):
    """The imports the actor sees: their own."""
    return BudgetImport.objects.filter(Q(uploaded_by=actor))
