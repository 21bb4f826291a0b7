"""A survey's files: its results tables (the cells as the reader may see them, small ones
hidden) and, for its owners, its answers, one row per response and one column per question
key across every version answered (a key missing from a version is left empty)."""

import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from zrunva.core.exports import Column, export_rows
from zrunva.core.models import in_language
from zrunva.core.trail import search_log
from zrunva.questionnaires import definition as forms
from zrunva.questionnaires.models import Survey


def _written(value) -> str | int | float | None:
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return json.dumps(value, ensure_ascii=False)
        return ";".join(str(v) for v in value)
    return value


def answer_columns(survey: Survey) -> list[Column]:
    """The response's own columns, then each question key of the form, newest version's order
    first and keys only older versions asked after them."""
    keys: list[str] = []
    for version in survey.form.versions.order_by("-number"):
        for _place, question, group in forms.questions(version.definition):
            if group is None and question["key"] not in keys:
                keys.append(question["key"])
    columns = [
        Column(_lazy("Response"), lambda r: r.pk, 10),
        Column(_lazy("Form version"), lambda r: r.version.number, 10),
        Column(_lazy("Municipality"), lambda r: r.municipality.code if r.municipality else ""),
        Column(_lazy("Submitted"), lambda r: r.submitted_at),
    ]
    columns += [Column(key, lambda r, key=key: _written(r.answers.get(key))) for key in keys]
    return columns


AGGREGATE_COLUMNS = [
    Column(_lazy("Question"), lambda row: row[0], 16),
    Column(_lazy("Question text"), lambda row: row[1], 40),
    Column(_lazy("Level"), lambda row: row[2], 14),
    Column(_lazy("Area"), lambda row: row[3], 24),
    Column(_lazy("Answer"), lambda row: row[4], 24),
    Column(_lazy("Respondents"), lambda row: row[5], 12),
]

LEVELS = {
    "country": _lazy("country"),
    "region": _lazy("region"),
    "municipality": _lazy("municipality"),
}


def _aggregate_rows(found: dict):
    for table in [found["responses"], *found["questions"]]:
        for row in table.rows:
            for column, cell in zip(table.columns, row.cells, strict=True):
                # A hidden cell is written as the page writes it, never as its count.
                count = str(cell) if cell.hidden else cell.count
                yield (table.key, table.label, str(LEVELS[row.level]), row.label, column, count)
            for column, value in zip(table.extra_columns, row.extra, strict=False):
                yield (table.key, table.label, str(LEVELS[row.level]), row.label, column, value)


def aggregates(request, *, survey: Survey, found: dict, fmt: str):
    return export_rows(
        request,
        rows=_aggregate_rows(found),
        columns=AGGREGATE_COLUMNS,
        name=f"{survey.code}-results",
        title=in_language(survey.name_ka, survey.name_en),
        audit=lambda count: search_log(
            actor=request.user,
            model=Survey,
            terms={"survey": survey.pk, "results": fmt},
            shown=count,
        ),
    )
