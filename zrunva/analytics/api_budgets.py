"""The API of municipal social budgets and civil society's monitoring, with the screens'
rules: the budgets, their execution and the published reports are read without an account
(recipients under ten shown as "<10"); writes need a sign-in and go through the same services
as the pages (BUDGETS_EDIT in the area; MONITORING_PUBLISH for the organisation's reports;
RECOMMENDATIONS_ANSWER for the officer's own municipality). A refusal is a 403, audited."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile

from zrunva.analytics import selectors_budgets as budgets
from zrunva.analytics import selectors_monitoring as monitoring
from zrunva.analytics import services_budgets
from zrunva.analytics import services_monitoring as answers
from zrunva.analytics.choices_budgets import Answer, ReportSubject
from zrunva.analytics.models import BudgetImport, BudgetLine, MonitoringReport, Recommendation
from zrunva.core.api import SIGNED_IN, Day, Id, MoneyOut, decimal_of, responses, slug
from zrunva.geo.models import Municipality, Region
from zrunva.programmes.models import Programme
from zrunva.services.models import Service

router = Router(tags=["budgets and monitoring"])

Code = slug(40, "A municipality's code, e.g. kutaisi.")
Planned = decimal_of(BudgetLine._meta.get_field("planned"), 'GEL, e.g. "125000.00".')


class BudgetRowOut(Schema):
    label: str
    programme: str = Field(
        description="The programme's code; empty for a line Zrunva does not pay."
    )
    planned: MoneyOut | None
    executed: MoneyOut | None = Field(
        description='Paid; null where the recipients are hidden ("<10"), as they would give '
        "the count back."
    )
    pending: MoneyOut | None = Field(
        description="In payrolls approved or sent, not yet answered; null where the "
        "recipients are hidden."
    )
    execution: str | None = Field(description="Executed as a % of planned, one place.")
    recipients: int | str | None = Field(description='A count, "<10" where hidden, or null.')
    population: int | None
    executed_per_capita: MoneyOut | None
    illustrative: bool

    @staticmethod
    def resolve_programme(row) -> str:
        return row.programme_code

    @staticmethod
    def resolve_execution(row) -> str | None:
        return None if row.execution is None else f"{row.execution:.1f}"

    @staticmethod
    def resolve_recipients(row):
        return row.recipients.value


class BudgetTableOut(Schema):
    rows: list[BudgetRowOut]
    total: BudgetRowOut


def _table(table):
    return {"rows": table.rows, "total": table.total}


def _a_year(year: int | None) -> int:
    return year or (budgets.budget_years_of() or [date.today().year])[0]


@router.get(
    "/budgets/{code}",
    auth=None,
    response=responses({200: BudgetTableOut}, 404, 422),
    summary="A municipality's social budget for a year: planned against executed, by line",
)
def budget_detail(request, code: Code, year: int | None = Query(None, ge=2000, le=2100)):  # noqa: B008
    municipality = get_object_or_404(Municipality, code=code)
    years = budgets.budget_years_of(municipality)
    chosen = year or (years[0] if years else date.today().year)
    return _table(
        budgets.municipality_budget(municipality=municipality, year=chosen, shown_small=False)
    )


@router.get(
    "/budgets/{code}/years",
    auth=None,
    response=responses({200: BudgetTableOut}, 404, 422),
    summary="A municipality's social budget year by year",
)
def budget_years(request, code: Code):
    municipality = get_object_or_404(Municipality, code=code)
    return _table(budgets.budget_over_years(municipality=municipality, shown_small=False))


@router.get(
    "/budgets/regions/{iso_code}",
    auth=None,
    response=responses({200: BudgetTableOut}, 404, 422),
    summary="The municipalities of a region compared, for a year",
)
def budget_region(request, iso_code: str, year: int | None = Query(None, ge=2000, le=2100)):  # noqa: B008
    region = get_object_or_404(Region, iso_code=iso_code)
    return _table(budgets.region_budgets(region=region, year=_a_year(year), shown_small=False))


class BudgetLineIn(Schema):
    municipality: Code
    year: int = Field(ge=2000, le=2100)
    programme: str = Field("", max_length=60, description="A municipal programme's code.")
    name_ka: str = Field("", max_length=200)
    name_en: str = Field("", max_length=200)
    planned: Planned
    source: str = Field("", max_length=300)
    illustrative: bool = False


class BudgetLineOut(Schema):
    id: int
    municipality: str
    year: int
    programme: str
    name_ka: str
    name_en: str
    planned: MoneyOut
    source: str
    illustrative: bool

    @staticmethod
    def resolve_municipality(line) -> str:
        return line.municipality.code

    @staticmethod
    def resolve_programme(line) -> str:
        return line.programme.code if line.programme_id else ""


def _line_data(payload: BudgetLineIn) -> dict:
    municipality = Municipality.objects.filter(code=payload.municipality).first()
    if municipality is None:
        raise ValidationError({"municipality": [_("Unknown municipality.")]})
    programme = None
    if payload.programme:
        programme = Programme.objects.filter(code=payload.programme).first()
        if programme is None:
            raise ValidationError({"programme": [_("Unknown programme.")]})
    return {
        "municipality": municipality,
        "year": payload.year,
        "programme": programme,
        "name_ka": payload.name_ka,
        "name_en": payload.name_en,
        "planned": payload.planned,
        "source": payload.source,
        "illustrative": payload.illustrative,
    }


@router.post(
    "/budget-lines",
    response=responses({201: BudgetLineOut}, 400, *SIGNED_IN, 422),
    summary="Enter a budget line (a municipality's officers, administrators)",
)
def budget_line_create(request, payload: BudgetLineIn):
    data = _line_data(payload)
    services_budgets.require_budget_edit(request.user, data["municipality"].pk)
    return 201, services_budgets.budget_line_save(actor=request.user, line=None, data=data)


@router.put(
    "/budget-lines/{line_id}",
    response=responses({200: BudgetLineOut}, 400, *SIGNED_IN, 404, 422),
    summary="Change a budget line",
)
def budget_line_update(request, line_id: Id, payload: BudgetLineIn):
    line = get_object_or_404(BudgetLine, pk=line_id)
    services_budgets.require_budget_edit(request.user, line.municipality_id)
    data = _line_data(payload)
    return services_budgets.budget_line_save(actor=request.user, line=line, data=data)


@router.delete(
    "/budget-lines/{line_id}",
    response=responses({200: BudgetLineOut}, *SIGNED_IN, 404, 422),
    summary="Delete a budget line (answered with the line as it was)",
)
def budget_line_remove(request, line_id: Id):
    line = get_object_or_404(
        BudgetLine.objects.select_related("municipality", "programme"), pk=line_id
    )
    services_budgets.budget_line_delete(actor=request.user, line=line)
    line.pk = line_id  # Django clears it on deletion; the answer names the line deleted
    return line


class BudgetImportErrorOut(Schema):
    row: int
    column: str
    field: str
    message: str


class BudgetImportOut(Schema):
    id: int
    file_name: str
    status: str = Field(description="previewed or committed.")
    summary: dict
    errors: list[BudgetImportErrorOut]


@router.post(
    "/budget-imports",
    response=responses({201: BudgetImportOut}, 400, *SIGNED_IN, 422),
    summary="Check a budget resolution's XLSX (nothing written): the row-level report",
)
def budget_import_preview(request, file: File[UploadedFile] = None):
    # Optional in the document: a multipart body whose file part is empty reaches Django with
    # no file at all, and is answered as the empty file it was (400), not as malformed (422).
    if file is None:
        raise ValidationError({"file": _("The file is empty.")})
    return 201, services_budgets.budget_import_preview(
        actor=request.user, upload=file, file_name=file.name
    )


@router.post(
    "/budget-imports/{import_id}/commit",
    response=responses({200: BudgetImportOut}, 400, *SIGNED_IN, 404, 422),
    summary="Write a checked import, all its lines or none",
)
def budget_import_commit(request, import_id: Id):
    found = get_object_or_404(BudgetImport, pk=import_id)
    return services_budgets.budget_import_commit(actor=request.user, budget_import=found)


# -- Monitoring ----------------------------------------------------------------------------------


class RecommendationEventOut(Schema):
    kind: str
    at: datetime
    on: date | None
    final: bool
    note: str


class RecommendationOut(Schema):
    id: int
    report: str
    position: int
    text: str
    status: str
    answer: str
    reasons: str
    answered_at: datetime | None
    closed_at: datetime | None
    events: list[RecommendationEventOut]

    @staticmethod
    def resolve_report(r) -> str:
        return r.report.number

    @staticmethod
    def resolve_events(r):
        return list(r.events.all())


class MonitoringReportOut(Schema):
    number: str
    organisation: str
    municipality: str
    subject: str
    service_id: int | None
    title: str
    period: str
    findings: str
    status: str
    published_at: datetime | None
    recommendations: list[RecommendationOut]

    @staticmethod
    def resolve_organisation(report) -> str:
        return report.organisation.name

    @staticmethod
    def resolve_municipality(report) -> str:
        return report.municipality.code

    @staticmethod
    def resolve_recommendations(report):
        return list(report.recommendations.all())


@router.get(
    "/monitoring/reports",
    auth=None,
    response=responses({200: list[MonitoringReportOut]}, 422),
    summary="Published monitoring reports (a municipality's, with ?municipality=)",
)
def report_list(request, municipality: str = ""):
    qs = monitoring.published_reports()
    if municipality:
        qs = qs.filter(municipality__code=municipality)
    numbers = list(qs.values_list("number", flat=True)[:200])
    found = monitoring._with_details(MonitoringReport.objects.filter(number__in=numbers))
    return list(found.order_by("-published_at", "-id"))


@router.get(
    "/monitoring/reports/{number}",
    auth=None,
    response=responses({200: MonitoringReportOut}, 404, 422),
    summary="One published monitoring report with its recommendations and their state",
)
def report_detail(request, number: str):
    return get_object_or_404(monitoring.published_report(number))


@router.get(
    "/monitoring/municipalities/{code}/recommendations",
    auth=None,
    response=responses({200: list[RecommendationOut]}, 404, 422),
    summary="Every published recommendation to a municipality, with its answer and progress",
)
def municipality_recommendations(request, code: Code):
    municipality = get_object_or_404(Municipality, code=code)
    return list(monitoring.recommendations_of(municipality.pk).select_related("report"))


class MonitoringReportIn(Schema):
    municipality: Code
    subject: ReportSubject = ReportSubject.PROGRAMMES
    service_id: int | None = None
    title: str = Field(max_length=300)
    period: str = Field("", max_length=100)
    findings: str


class RecommendationIn(Schema):
    text: str = Field(min_length=1, max_length=5000)


def _report(number: str) -> MonitoringReport:
    return get_object_or_404(MonitoringReport.objects.select_related("organisation"), number=number)


def _own_report(request, number: str) -> MonitoringReport:
    report = _report(number)
    answers.require_writes(request.user, report)
    return report


@router.post(
    "/monitoring/reports",
    response=responses({201: MonitoringReportOut}, 400, *SIGNED_IN, 422),
    summary="Write a draft report (an accredited organisation's monitors)",
)
def report_create(request, payload: MonitoringReportIn):
    municipality = Municipality.objects.filter(code=payload.municipality).first()
    if municipality is None:
        raise ValidationError({"municipality": [_("Unknown municipality.")]})
    service = Service.objects.filter(pk=payload.service_id).first() if payload.service_id else None
    data = {
        "municipality": municipality,
        "subject": payload.subject,
        "service": service,
        "title": payload.title,
        "period": payload.period,
        "findings": payload.findings,
    }
    return 201, answers.report_save(actor=request.user, report=None, data=data)


@router.get(
    "/monitoring/reports/{number}/draft",
    response=responses({200: MonitoringReportOut}, *SIGNED_IN, 404, 422),
    summary="One of one's organisation's reports, drafts included",
)
def report_draft(request, number: str):
    return _own_report(request, number)


@router.post(
    "/monitoring/reports/{number}/recommendations",
    response=responses({201: RecommendationOut}, 400, *SIGNED_IN, 404, 422),
    summary="Add a recommendation to a draft report",
)
def recommendation_create(request, number: str, payload: RecommendationIn):
    return 201, answers.recommendation_add(
        actor=request.user, report=_report(number), text=payload.text
    )


@router.post(
    "/monitoring/reports/{number}/publish",
    response=responses({200: MonitoringReportOut}, 400, *SIGNED_IN, 404, 422),
    summary="Publish a draft report: the municipality's officers are told",
)
def report_publish(request, number: str):
    return answers.report_publish(actor=request.user, report=_report(number))


class RecommendationAnswerIn(Schema):
    answer: Answer
    reasons: str = Field(min_length=1, max_length=5000)


class RecommendationProgressIn(Schema):
    on: Day
    text: str = Field(min_length=1, max_length=5000)
    final: bool = False


class RecommendationCloseIn(Schema):
    note: str = Field("", max_length=5000)


def _recommendation(pk: int) -> Recommendation:
    return get_object_or_404(
        Recommendation.objects.select_related("report").exclude(status="draft"), pk=pk
    )


@router.post(
    "/monitoring/recommendations/{recommendation_id}/answer",
    response=responses({200: RecommendationOut}, 400, *SIGNED_IN, 404, 422),
    summary="Answer a recommendation: accepted, partly or rejected, with reasons",
)
def recommendation_answer(request, recommendation_id: Id, payload: RecommendationAnswerIn):
    return answers.recommendation_answer(
        actor=request.user,
        recommendation=_recommendation(recommendation_id),
        answer=payload.answer,
        reasons=payload.reasons,
    )


@router.post(
    "/monitoring/recommendations/{recommendation_id}/progress",
    response=responses({200: RecommendationOut}, 400, *SIGNED_IN, 404, 422),
    summary="Report progress on an accepted recommendation (final: the work is done)",
)
def recommendation_progress(request, recommendation_id: Id, payload: RecommendationProgressIn):
    return answers.recommendation_progress(
        actor=request.user,
        recommendation=_recommendation(recommendation_id),
        on=payload.on,
        text=payload.text,
        final=payload.final,
    )


@router.post(
    "/monitoring/recommendations/{recommendation_id}/close",
    response=responses({200: RecommendationOut}, 400, *SIGNED_IN, 404, 422),
    summary="Close a recommendation",
)
def recommendation_close(request, recommendation_id: Id, payload: RecommendationCloseIn):
    return answers.recommendation_close(
        actor=request.user, recommendation=_recommendation(recommendation_id), note=payload.note
    )
