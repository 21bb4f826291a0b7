import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from zrunva.geo.models import Municipality
from zrunva.integration.imports import import_execute
from zrunva.integration.models import Source
from zrunva.integration.services import import_commit, import_start
from zrunva.registry.tests.factories import system_actor


def deaths_source(**fields) -> Source:
    """The civil registry's deaths feed: finds people by personal number (names and birth
    date only identify), may set the date of death and nothing else."""
    data = {
        "code": "civil-deaths",
        "name": "Civil registry: deaths",
        "mapping": {"personal_number": "PN", "date_of_death": "Died"},
        "updates": ["date_of_death"],
    }
    data.update(fields)
    return Source.objects.create(**data)


def municipal_list(municipality: str = "kutaisi", **fields) -> Source:
    """A municipality's old beneficiary list: registers the people it does not find, each in
    the household its rows name (head first)."""
    data = {
        "code": f"{municipality}-list",
        "name": f"{municipality} beneficiaries",
        "municipality": Municipality.objects.get(code=municipality),
        "mapping": {
            "record_id": "id",
            "personal_number": "pn",
            "first_name": "first",
            "last_name": "last",
            "birth_date": "born",
            "sex": "sex",
            "household_ref": "family",
            "relationship": "role",
            "municipality": "municipality",
            "address": "address",
            "is_idp": "idp",
        },
        "values": {"sex": {"მ": "M", "ქ": "F"}, "relationship": {"თავი": "head"}},
        "updates": ["is_idp"],
        "creates": True,
    }
    data.update(fields)
    return Source.objects.create(**data)


def csv_upload(text: str, name: str = "file.csv", encoding: str = "utf-8", bom: bool = False):
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return SimpleUploadedFile(name, data)


def xlsx_upload(rows: list[list], *, merge: str | None = None, name: str = "file.xlsx"):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def dry_run(source: Source, upload, actor=None):
    job = import_start(actor=actor or system_actor(), source=source, upload=upload, enqueue=False)
    return import_execute(job=job)


def commit(checked, actor=None):
    job = import_commit(actor=actor or system_actor(), checked=checked, enqueue=False)
    return import_execute(job=job)


def iso(day: date) -> str:
    return day.isoformat()
