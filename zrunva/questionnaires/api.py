"""Questionnaires over the API, with the screens' permissions: forms (read, with each
published version's answers as JSON Schema, also in the OpenAPI document), submissions to a
survey (create, read) and a survey's results (small cells hidden as on the results page)."""

import logging
from datetime import datetime
from typing import Annotated

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from zrunva.core.api import SIGNED_IN, Id, responses
from zrunva.core.trail import access_log, search_log
from zrunva.geo.models import Municipality
from zrunva.questionnaires import selectors, services
from zrunva.questionnaires.choices import VersionStatus
from zrunva.questionnaires.models import Form, FormVersion, Response, Survey
from zrunva.questionnaires.schema import answers_schema

logger = logging.getLogger(__name__)
router = Router(tags=["questionnaires"])
FormCode = Annotated[str, Field(pattern=r"^[-a-zA-Z0-9_]{1,40}$")]


class FormRow(Schema):
    code: str
    name_ka: str
    name_en: str
    illustrative: bool
    published_version: int | None = Field(description="The version answered now.")
    answers_schema: str | None = Field(
        description="The name of the published version's answers schema in this document "
        "(components/schemas)."
    )


class FormOut(FormRow):
    description_ka: str
    description_en: str
    source_ka: str
    source_en: str
    definition: dict | None = Field(description="The published version's sections and questions.")
    answers: dict | None = Field(description="JSON Schema of the published version's answers.")


def schema_name(version: FormVersion) -> str:
    return f"Answers_{version.form.code.replace('-', '_')}_v{version.number}"


def _form_out(form: Form, *, whole: bool) -> dict:
    version = selectors.version_published(form)
    out = {
        "code": form.code,
        "name_ka": form.name_ka,
        "name_en": form.name_en,
        "illustrative": form.illustrative,
        "published_version": version.number if version else None,
        "answers_schema": schema_name(version) if version else None,
    }
    if whole:
        out.update(
            description_ka=form.description_ka,
            description_en=form.description_en,
            source_ka=form.source_ka,
            source_en=form.source_en,
            definition=version.definition if version else None,
            answers=answers_schema(version.definition) if version else None,
        )
    return out


@router.get(
    "/questionnaires/forms",
    response=responses({200: list[FormRow]}, *SIGNED_IN),
    summary="Forms",
)
def form_list(request):
    return [_form_out(f, whole=False) for f in selectors.form_list(actor=request.user)]


@router.get(
    "/questionnaires/forms/{code}",
    response=responses({200: FormOut}, *SIGNED_IN, 404, 422),
    summary="A form: its published version's questions and the schema of its answers",
)
def form_detail(request, code: FormCode):
    forms = selectors.form_list(actor=request.user)
    return _form_out(get_object_or_404(forms, code=code), whole=True)


class SurveyOut(Schema):
    id: int
    code: str
    name_ka: str
    name_en: str
    form: str = Field(description="The form's code.")
    subject: str = Field(description="anonymous, person or household.")
    opens: str
    closes: str
    status: str

    @staticmethod
    def resolve_form(survey) -> str:
        return survey.form.code

    @staticmethod
    def resolve_opens(survey) -> str:
        return survey.opens.isoformat()

    @staticmethod
    def resolve_closes(survey) -> str:
        return survey.closes.isoformat()


@router.get(
    "/questionnaires/surveys",
    response=responses({200: list[SurveyOut]}, *SIGNED_IN),
    summary="Surveys you manage, read or interview for",
)
def survey_list(request):
    return list(selectors.survey_list(actor=request.user))


class SubmissionIn(Schema):
    """`answers` follows the survey's form: see `Answers_<form>_v<version>` in this document."""

    municipality: str = Field(max_length=40, description='Where the interview was: "kutaisi".')
    personal_number: str = Field(
        "",
        max_length=11,
        description="Whom the answers are about, for a survey of registry people or households.",
    )
    answers: dict = Field(description="Question keys to answers.")
    submit: bool = Field(
        True, description="false keeps a draft, with the answers that hold; true submits."
    )


class SubmissionOut(Schema):
    id: int
    survey: int
    version: int
    status: str
    municipality: str | None
    answers: dict
    started_at: datetime
    submitted_at: datetime | None

    @staticmethod
    def resolve_survey(response) -> int:
        return response.survey_id

    @staticmethod
    def resolve_version(response) -> int:
        return response.version.number

    @staticmethod
    def resolve_municipality(response) -> str | None:
        return response.municipality.code if response.municipality else None


@router.post(
    "/questionnaires/surveys/{survey_id}/responses",
    response=responses({201: SubmissionOut}, 400, *SIGNED_IN, 404, 422),
    summary="Submit (or keep as a draft) one interview's answers",
)
def submission_create(request, survey_id: Id, payload: SubmissionIn):
    survey = selectors.survey_get(actor=request.user, pk=survey_id)
    version = selectors.version_published(survey.form)
    municipality = Municipality.objects.filter(code=payload.municipality).first()
    if municipality is None:
        raise ValidationError({"municipality": _("No municipality has this code.")})
    if version is None:
        raise ValidationError(_("This survey is closed: it takes no more answers."))
    person, household = services.interview_subject(
        actor=request.user, survey=survey, personal_number=payload.personal_number
    )
    saved = services.response_save(
        actor=request.user,
        version=version,
        survey=survey,
        municipality=municipality,
        person=person,
        household=household,
        given=payload.answers,
        submit=payload.submit,
        find_person=services.person_finder(request.user),
    )
    return 201, saved


@router.get(
    "/questionnaires/surveys/{survey_id}/responses/{response_id}",
    response=responses({200: SubmissionOut}, *SIGNED_IN, 404, 422),
    summary="One interview's answers (yours, or any for the survey's owners)",
)
def submission_detail(request, survey_id: Id, response_id: Id):
    survey = selectors.survey_get(actor=request.user, pk=survey_id)
    qs = Response.objects.filter(survey=survey).select_related("version", "municipality")
    if not selectors.is_owner(request.user, survey):
        qs = qs.filter(entered_by=request.user)
    response = get_object_or_404(qs, pk=response_id)
    access_log(actor=request.user, instance=response, purpose="api")
    return response


class CellOut(Schema):
    count: int | None = Field(description="null where hidden (under ten respondents, or telling).")
    hidden: bool


class RowOut(Schema):
    area: str
    level: str = Field(description="country, region or municipality.")
    cells: list[CellOut]
    extra: list[str | None] = Field(
        description="The extra columns' values (a target, a mean) as decimal strings; null where none."
    )


class TableOut(Schema):
    key: str = Field(description='The question\'s key; "" for the responses by area.')
    label: str
    kind: str
    columns: list[str]
    extra_columns: list[str]
    rows: list[RowOut]


class ResultsOut(Schema):
    whole: bool = Field(description="true for the survey's owners: nothing hidden.")
    small_cell: int
    responses: TableOut
    questions: list[TableOut]


def _table(table) -> dict:
    return {
        "key": table.key,
        "label": str(table.label),
        "kind": table.kind,
        "columns": [str(c) for c in table.columns],
        "extra_columns": [str(c) for c in table.extra_columns],
        "rows": [
            {
                "area": row.label,
                "level": row.level,
                "cells": [
                    {"count": None if c.hidden else c.count, "hidden": c.hidden} for c in row.cells
                ],
                "extra": [None if v is None else str(v) for v in row.extra],
            }
            for row in table.rows
        ],
    }


@router.get(
    "/questionnaires/surveys/{survey_id}/results",
    response=responses({200: ResultsOut}, *SIGNED_IN, 404, 422),
    summary="A survey's results by region and municipality",
)
def results(request, survey_id: Id):
    survey = selectors.survey_get(actor=request.user, pk=survey_id)
    found = selectors.results(actor=request.user, survey=survey)
    search_log(
        actor=request.user,
        model=Survey,
        terms={"survey": survey.pk, "results": "api"},
        shown=len(found["questions"]),
    )
    return {
        "whole": found["whole"],
        "small_cell": found["small"],
        "responses": _table(found["responses"]),
        "questions": [_table(t) for t in found["questions"]],
    }


def openapi_answers(document: dict) -> dict:
    """Add each published version's answers schema to the OpenAPI document, and name them all
    as what a submission's `answers` may be."""
    published = FormVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related("form")
    try:
        versions = list(published.order_by("form__code"))
    except (DatabaseError, RuntimeError):
        # A database not yet migrated (a client generating the document before `migrate`), or
        # none allowed (pytest-django while collecting raises RuntimeError): the rest of the
        # document still answers; `answers` stays a plain object then.
        logger.warning("OpenAPI: the forms' answers schemas left out: no forms table")
        return document
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    refs = []
    for version in versions:
        name = schema_name(version)
        schemas[name] = answers_schema(version.definition)
        refs.append({"$ref": f"#/components/schemas/{name}"})
    submission = schemas.get("SubmissionIn", {}).get("properties", {})
    if refs and "answers" in submission:
        submission["answers"] = {
            "title": "Answers",
            "description": submission["answers"].get("description", ""),
            "anyOf": refs,
        }
    return document
