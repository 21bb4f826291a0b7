"""Reads of questionnaires: forms and surveys one may see, a survey's progress and its results by
region and municipality, with small cells hidden from all but the survey's owners."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.audit.subject_access import Section, Subject
from zrunva.core.models import in_language
from zrunva.geo.models import Municipality
from zrunva.questionnaires import definition as forms
from zrunva.questionnaires.choices import ResponseStatus, SurveyStatus, VersionStatus
from zrunva.questionnaires.models import (
    Assignment,
    Form,
    FormVersion,
    Response,
    Survey,
    Tally,
)
from zrunva.questionnaires.suppression import SMALL_CELL, hidden
from zrunva.questionnaires.tallies import CATEGORIES, RESPONSES


def form_list(*, actor) -> QuerySet[Form]:
    permissions.require(actor, permissions.FORMS_DEFINE)
    return Form.objects.by_name().annotate(
        published=Count("versions", filter=Q(versions__status=VersionStatus.PUBLISHED))
    )


def form_get(*, actor, pk: int) -> Form:
    permissions.require(actor, permissions.FORMS_DEFINE)
    return get_object_or_404(Form, pk=pk)


def version_published(form: Form) -> FormVersion | None:
    return form.versions.filter(status=VersionStatus.PUBLISHED).first()


def forms_published() -> QuerySet[Form]:
    """The forms with a version answered now (to assess with, outside any survey)."""
    return Form.objects.filter(versions__status=VersionStatus.PUBLISHED).by_name()


def version_published_by_pk(form_pk) -> FormVersion | None:
    """The published version of the form with this id (as a page's parameter gives it)."""
    if not str(form_pk or "").isdigit():
        return None
    return FormVersion.objects.filter(form_id=int(form_pk), status=VersionStatus.PUBLISHED).first()


def version_draft(form: Form) -> FormVersion | None:
    return form.versions.filter(status=VersionStatus.DRAFT).first()


def is_owner(user, survey: Survey) -> bool:
    return bool(user.is_authenticated) and survey.owners.filter(pk=user.pk).exists()


def survey_list(*, actor) -> QuerySet[Survey]:
    """Surveys one manages or reads results of (those covering one's area), or is assigned to."""
    qs = Survey.objects.select_related("form").by_name()
    if permissions.has_perm(actor, permissions.SURVEYS_RESULTS) or permissions.has_perm(
        actor, permissions.SURVEYS_MANAGE
    ):
        scope = permissions.survey_scope(actor)
        if scope is None:
            return qs
        return qs.filter(
            Q(areas__municipality_id__in=scope)
            | Q(owners=actor)
            | Q(assignments__interviewer=actor)
        ).distinct()
    if permissions.has_perm(actor, permissions.SURVEYS_ANSWER):
        return qs.filter(assignments__interviewer=actor).distinct()
    permissions.require(actor, permissions.SURVEYS_RESULTS)
    return qs.none()


def survey_get(*, actor, pk: int) -> Survey:
    return get_object_or_404(survey_list(actor=actor), pk=pk)


def assignments_of(*, actor, survey: Survey) -> QuerySet[Assignment]:
    """The areas where `actor` interviews for the survey."""
    return survey.assignments.filter(interviewer=actor).select_related("municipality")


def takes_answers(survey: Survey, today) -> bool:
    return survey.status == SurveyStatus.OPEN and survey.opens <= today <= survey.closes


def drafts_of(*, actor, survey: Survey) -> QuerySet[Response]:
    """One's own unfinished interviews in the survey (only their maker sees a draft)."""
    return survey.responses.filter(entered_by=actor, status=ResponseStatus.DRAFT).select_related(
        "municipality"
    )


def response_draft_get(*, actor, survey: Survey, pk: int) -> Response:
    return get_object_or_404(drafts_of(actor=actor, survey=survey), pk=pk)


# Results ------------------------------------------------------------------------------------


@dataclass
class Cell:
    count: int
    hidden: bool

    def __str__(self) -> str:
        """As files write it: the count, or "<10" where hidden (pages write it localised)."""
        return f"<{SMALL_CELL}" if self.hidden else str(self.count)


@dataclass
class Row:
    label: str
    level: str  # "country", "region" or "municipality"
    cells: list[Cell]
    extra: list = field(default_factory=list)  # a target, a mean (numbers; None where none)


@dataclass
class Table:
    key: str
    label: str
    kind: str
    columns: list[str]
    rows: list[Row]
    extra_columns: list[str] = field(default_factory=list)


def _areas(survey: Survey, municipality_ids: set[int]):
    """Regions and their municipalities covered (those with targets and those with answers), in
    the active language's order."""
    ids = set(survey.areas.values_list("municipality_id", flat=True)) | municipality_ids
    municipalities = list(
        Municipality.objects.filter(pk__in=ids).select_related("region").by_name()
    )
    regions: dict[int, list] = {}
    names = {}
    for m in municipalities:
        regions.setdefault(m.region_id, []).append(m)
        names[m.region_id] = m.region
    order = sorted(regions, key=lambda r: str(names[r]))
    return [(names[r], regions[r]) for r in order]


class _Grid:
    """Counts by (row, column) over the country, its regions and municipalities, with the
    sums that tie them, to hide small cells consistently across the whole table."""

    def __init__(self, areas, columns: int, value):
        self.rows: list[tuple[str, str, object]] = [("country", _("Georgia"), None)]
        for region, municipalities in areas:
            self.rows.append(("region", str(region), region))
            self.rows.extend(("municipality", str(m), m) for m in municipalities)
        self.columns = columns
        counts = []
        for level, _label, area in self.rows:
            for c in range(columns):
                if level == "municipality":
                    counts.append(value(area.pk, c))
                else:
                    counts.append(0)
        self.counts = np.array(counts, dtype=np.int64)
        self.sums: list[tuple[int, list[int]]] = []
        # Regions and the country add up their parts, column by column.
        country_parts = []
        r = 1
        for _region, municipalities in areas:
            parts_rows = list(range(r + 1, r + 1 + len(municipalities)))
            for c in range(columns):
                parts = [self.at(p, c) for p in parts_rows]
                self.counts[self.at(r, c)] = self.counts[parts].sum()
                self.sums.append((self.at(r, c), parts))
            country_parts.append(r)
            r += 1 + len(municipalities)
        for c in range(columns):
            parts = [self.at(p, c) for p in country_parts]
            self.counts[self.at(0, c)] = self.counts[parts].sum() if parts else 0
            self.sums.append((self.at(0, c), parts))

    def at(self, row: int, column: int) -> int:
        return row * self.columns + column

    def add_row_sums(self, total_column: int, parts: list[int]) -> None:
        for row in range(len(self.rows)):
            self.sums.append((self.at(row, total_column), [self.at(row, c) for c in parts]))

    def hide(self, whole: bool) -> np.ndarray:
        if whole:
            return np.zeros(len(self.counts), dtype=bool)
        return hidden(self.counts, self.sums)


def _mean(total: Decimal, n: int) -> Decimal | None:
    if not n:
        return None
    return (Decimal(total) / n).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _question_columns(question: dict) -> list[tuple[str, str]]:
    kind = question["kind"]
    if kind in forms.CHOICE_KINDS:
        return [
            (c["value"], in_language(c["label_ka"], c["label_en"])) for c in question["choices"]
        ]
    if kind == forms.Kind.YES_NO:
        return [("yes", _("Yes")), ("no", _("No"))]
    if kind == forms.Kind.SCALE:
        low, high = question.get("min", 1), question.get("max", 5)
        return [(str(n), str(n)) for n in range(low, high + 1)]
    return []


def _tallies(survey: Survey):
    tallies = list(
        Tally.objects.filter(survey=survey).values_list(
            "municipality_id", "key", "value", "count", "total"
        )
    )
    counts = {(m, k, v): n for m, k, v, n, _t in tallies}
    sums = {(m, k, v): t for m, k, v, _n, t in tallies}
    return counts, sums, _areas(survey, {m for m, *_rest in tallies})


def results_responses(*, actor, survey: Survey) -> Table:
    """Submitted responses by area against the targets (cells under ten hidden from all but the
    owners, as in every table of results)."""
    permissions.require(actor, permissions.SURVEYS_RESULTS)
    counts, _sums, areas = _tallies(survey)
    return _responses_table(survey, counts, areas, is_owner(actor, survey))


def _responses_table(survey, counts, areas, whole) -> Table:
    targets = dict(survey.areas.values_list("municipality_id", "target"))

    grid = _Grid(areas, 1, lambda m, c: counts.get((m, *RESPONSES), 0))
    hide = grid.hide(whole)
    responses = Table(
        key="",
        label=_("Responses"),
        kind="",
        columns=[_("Responses")],
        extra_columns=[_("Target")],
        rows=[],
    )
    for r, (level, label, area) in enumerate(grid.rows):
        cell = Cell(int(grid.counts[grid.at(r, 0)]), bool(hide[grid.at(r, 0)]))
        if level == "municipality":
            target = targets.get(area.pk)
        elif level == "region":
            target = sum(targets.get(m.pk, 0) for m in _members(areas, area))
        else:
            target = sum(targets.values())
        responses.rows.append(Row(label, level, [cell], [target or None]))
    return responses


def results(*, actor, survey: Survey) -> dict:
    """The survey's results as tables (responses by area, then one per question of its latest
    published version), each cell under ten respondents hidden unless `actor` owns the survey."""
    permissions.require(actor, permissions.SURVEYS_RESULTS)
    whole = is_owner(actor, survey)
    counts, sums, areas = _tallies(survey)
    responses = _responses_table(survey, counts, areas, whole)
    version = (
        survey.form.versions.filter(status__in=[VersionStatus.PUBLISHED, VersionStatus.RETIRED])
        .order_by("-number")
        .first()
    )
    tables = []
    for _place, question, group in forms.questions(version.definition if version else {}):
        if group is not None or question.get("kind") == forms.Kind.GROUP:
            continue
        tables.append(_question_table(question, areas, counts, sums, whole))
    return {"whole": whole, "responses": responses, "questions": tables, "small": SMALL_CELL}


def _members(areas, region):
    for r, municipalities in areas:
        if r.pk == region.pk:
            return municipalities
    return []


def _question_table(question, areas, counts, sums, whole) -> Table:
    key, kind = question["key"], question["kind"]
    label = in_language(question["label_ka"], question["label_en"])
    values = _question_columns(question)
    if kind in CATEGORIES:
        # The choices, then those who answered: for one answer each, their sum.
        columns = [name for _v, name in values] + [_("Answered")]
        n = len(values)

        def value(m, c):
            if c < n:
                return counts.get((m, key, values[c][0]), 0)
            return sum(counts.get((m, key, v), 0) for v, _name in values)

        grid = _Grid(areas, n + 1, value)
        grid.add_row_sums(n, list(range(n)))
    elif kind == forms.Kind.MULTIPLE:
        columns = [name for _v, name in values] + [_("Answered")]
        n = len(values)

        def value(m, c):
            return counts.get((m, key, values[c][0] if c < n else ""), 0)

        grid = _Grid(areas, n + 1, value)
    else:
        columns = [_("Answered")]
        grid = _Grid(areas, 1, lambda m, c: counts.get((m, key, ""), 0))
    hide = grid.hide(whole)
    table = Table(key=key, label=label, kind=kind, columns=columns, rows=[])
    if kind == forms.Kind.NUMBER:
        table.extra_columns = [_("Mean")]
    answered = len(columns) - 1
    for r, (level, row_label, area) in enumerate(grid.rows):
        cells = [
            Cell(int(grid.counts[grid.at(r, c)]), bool(hide[grid.at(r, c)]))
            for c in range(len(columns))
        ]
        extra = []
        if kind == forms.Kind.NUMBER:
            n_cell = cells[answered]
            ids = _row_municipalities(level, area, areas)
            total = sum((sums.get((m, key, ""), Decimal(0)) for m in ids), Decimal(0))
            extra = [None if n_cell.hidden else _mean(total, n_cell.count)]
        table.rows.append(Row(row_label, level, cells, extra))
    return table


def _row_municipalities(level, area, areas) -> list[int]:
    if level == "municipality":
        return [area.pk]
    if level == "region":
        return [m.pk for m in _members(areas, area)]
    return [m.pk for _r, ms in areas for m in ms]


def interviewer_progress(*, survey: Survey, actor) -> list[dict]:
    """Submitted and draft interviews by interviewer and municipality: all of them for the
    survey's owners, one's own for an interviewer. (Counts of one's own or one's team's work,
    not of respondents' answers: not a result table.)"""
    qs = survey.responses.all()
    if not is_owner(actor, survey):
        qs = qs.filter(entered_by=actor)
    rows = (
        qs.values(
            "entered_by__username",
            "entered_by__first_name",
            "entered_by__last_name",
            "municipality__name_ka",
            "municipality__name_en",
        )
        .annotate(
            submitted=Count("pk", filter=Q(status=ResponseStatus.SUBMITTED)),
            drafts=Count("pk", filter=Q(status=ResponseStatus.DRAFT)),
        )
        .order_by("entered_by__username", "municipality__name_en")
    )
    return [
        {
            "interviewer": " ".join(
                n for n in (r["entered_by__first_name"], r["entered_by__last_name"]) if n
            )
            or r["entered_by__username"],
            "municipality": in_language(r["municipality__name_ka"], r["municipality__name_en"]),
            "submitted": r["submitted"],
            "drafts": r["drafts"],
        }
        for r in rows
    ]


def answers_for_export(*, actor, survey: Survey) -> QuerySet[Response]:
    """Every submitted response, one row each (owners only: rows are single respondents)."""
    if not is_owner(actor, survey):
        raise PermissionDenied(_("Only the survey's owners download single responses."))
    return (
        survey.responses.filter(status=ResponseStatus.SUBMITTED)
        .select_related("version", "municipality")
        .order_by("pk")
    )


def subject_access_responses(subject: Subject) -> Section:
    """Subject access: the responses about the person or their households, and those naming
    them in answer to a "person" question (an anonymous response names no one, so none is
    found here)."""
    section = Section()
    if subject.person is None:
        return section
    about = Q(person=subject.person) | Q(household_id__in=subject.household_ids)
    versions = FormVersion.objects.exclude(status=VersionStatus.DRAFT)
    for version in versions.only("definition"):
        for _place, question, group in forms.questions(version.definition):
            if group is None and question.get("kind") == forms.Kind.PERSON:
                about |= Q(version=version, **{f"answers__{question['key']}": subject.person.pk})
    responses = Response.objects.filter(about).select_related("version__form", "survey")
    for response in responses.order_by("started_at", "id"):
        section.add(
            response,
            title=f"{response.version.form} v{response.version.number}",
            survey_name=str(response.survey) if response.survey else None,
            labels={"survey_name": _("Survey")},
        )
    return section
