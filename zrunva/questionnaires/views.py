"""Questionnaire pages: surveys (their areas, interviewers and progress), answering one, its
results and exports; forms (the editor is in `editor.py`)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.core import charts, numbers
from zrunva.core.exports import export, export_format
from zrunva.core.forms import add_service_errors, form_step
from zrunva.core.htmx import is_htmx
from zrunva.core.trail import access_log, attempt_log, search_log
from zrunva.geo.models import Municipality
from zrunva.questionnaires import exports, selectors, services
from zrunva.questionnaires.choices import Subject, SurveyStatus
from zrunva.questionnaires.forms import AnswerForm, AreaForm, AssignForm, InterviewForm, SurveyForm
from zrunva.questionnaires.models import Survey

ANSWER = permissions.SURVEYS_ANSWER


@staff_view(ANSWER)
def survey_list(request):
    surveys = selectors.survey_list(actor=request.user)
    return render(
        request,
        "questionnaires/survey_list.html",
        {
            "surveys": surveys,
            "manages": permissions.has_perm(request.user, permissions.SURVEYS_MANAGE),
            "defines": permissions.has_perm(request.user, permissions.FORMS_DEFINE),
        },
    )


@staff_view(permissions.SURVEYS_MANAGE)
def survey_new(request):
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form_step(
        request,
        form,
        lambda data: services.survey_create(actor=request.user, **data),
        _("The survey is prepared: add its municipalities and interviewers, then open it."),
    ):
        survey = Survey.objects.get(code=form.cleaned_data["code"])
        return redirect("questionnaires:survey_detail", survey.pk)
    return render(request, "questionnaires/survey_new.html", {"form": form})


@staff_view(ANSWER)
def survey_detail(request, pk: int):
    survey = selectors.survey_get(actor=request.user, pk=pk)
    user = request.user
    owner = selectors.is_owner(user, survey)
    manages = permissions.has_perm(user, permissions.SURVEYS_MANAGE) and owner
    reads = permissions.has_perm(user, permissions.SURVEYS_RESULTS)
    area_form = AreaForm(prefix="area")
    assign_form = AssignForm(prefix="assign", survey=survey)
    if request.method == "POST" and manages:
        step = request.POST.get("step")
        if step == "area":
            area_form = AreaForm(request.POST, prefix="area")
            if form_step(
                request,
                area_form,
                lambda d: [
                    services.survey_area_set(
                        actor=user, survey=survey, municipality=m, target=d["target"]
                    )
                    for m in d["municipalities"]
                ],
                lambda areas: (
                    ngettext(
                        "The target is set for %(n)d municipality.",
                        "The target is set for %(n)d municipalities.",
                        len(areas),
                    )
                    % {"n": len(areas)}
                ),
            ):
                return redirect("questionnaires:survey_detail", pk)
        elif step == "assign":
            assign_form = AssignForm(request.POST, prefix="assign", survey=survey)
            if form_step(
                request,
                assign_form,
                lambda d: services.survey_assign(
                    actor=user,
                    survey=survey,
                    interviewer=d["username"],
                    municipality=d["municipality"],
                ),
                _("The interviewer is assigned."),
            ):
                return redirect("questionnaires:survey_detail", pk)
    elif request.method == "POST":
        raise PermissionDenied(_("Only the survey's owners change it."))
    table = selectors.results_responses(actor=user, survey=survey) if reads else None
    return render(
        request,
        "questionnaires/survey_detail.html",
        {
            "survey": survey,
            "owner": owner,
            "manages": manages,
            "reads": reads,
            "areas": survey.areas.select_related("municipality"),
            "assignments": survey.assignments.select_related("interviewer", "municipality"),
            "mine": selectors.assignments_of(actor=user, survey=survey),
            "drafts": selectors.drafts_of(actor=user, survey=survey),
            "open": selectors.takes_answers(survey, timezone.localdate()),
            "progress": table,
            "interviewers": selectors.interviewer_progress(survey=survey, actor=user),
            "area_form": area_form,
            "assign_form": assign_form,
            "statuses": SurveyStatus,
        },
    )


@require_POST
@staff_view(permissions.SURVEYS_MANAGE)
def survey_status(request, pk: int):
    survey = selectors.survey_get(actor=request.user, pk=pk)
    if not selectors.is_owner(request.user, survey):
        raise PermissionDenied(_("Only the survey's owners change it."))
    status = request.POST.get("status")
    if status not in (SurveyStatus.OPEN, SurveyStatus.CLOSED):
        messages.error(request, _("Choose to open or to close the survey."))
    else:
        try:
            services.survey_status_set(actor=request.user, survey=survey, status=status)
            messages.success(
                request,
                _("The survey is open.")
                if status == SurveyStatus.OPEN
                else _("The survey is closed."),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    return redirect("questionnaires:survey_detail", pk)


@staff_view(ANSWER)
def answer(request, pk: int, response: int | None = None):
    """One interview: the survey's form as the respondent hears it, saved as a draft or
    submitted; every fault shown at once, at its question."""
    user = request.user
    survey = selectors.survey_get(actor=user, pk=pk)
    draft = (
        selectors.response_draft_get(actor=user, survey=survey, pk=response) if response else None
    )
    version = draft.version if draft else selectors.version_published(survey.form)
    if draft is not None and request.method == "GET":
        access_log(actor=user, instance=draft, purpose="answer")
    municipalities = Municipality.objects.filter(
        pk__in=selectors.assignments_of(actor=user, survey=survey).values("municipality_id")
    ).by_name()
    if version is None or not municipalities.exists():
        attempt_log(
            actor=user, path=request.path, instance=survey, status=403, reason="not assigned"
        )
        raise PermissionDenied(_("You are not assigned to this survey."))
    if not selectors.takes_answers(survey, timezone.localdate()):
        messages.error(request, _("This survey is closed: it takes no more answers."))
        return redirect("questionnaires:survey_detail", pk)
    linked = survey.subject != Subject.ANONYMOUS
    data = request.POST if request.method == "POST" else None
    interview = InterviewForm(
        data,
        municipalities=municipalities,
        linked=linked and draft is None,
        initial={"municipality": draft.municipality_id if draft else municipalities.first()},
    )
    if draft is not None:
        interview.fields["municipality"].disabled = True
    form = AnswerForm(version.definition, data=data, stored=draft.answers if draft else None)
    action = request.POST.get("action", "") if data is not None else ""
    if action in ("draft", "submit"):
        saved = _save(request, survey, version, draft, interview, form, submit=action == "submit")
        if saved is not None:
            return saved
    context = {
        "survey": survey,
        "version": version,
        "form": form,
        "interview": interview,
        "draft": draft,
        "preview": False,
        "action_url": request.path,
    }
    if is_htmx(request) and action == "refresh":
        return render(request, "questionnaires/_questions.html", context)
    return render(request, "questionnaires/answer.html", context)


def _save(request, survey, version, draft, interview, form, *, submit: bool):
    user = request.user
    if not interview.is_valid():
        form.is_valid()
        return None
    person = household = None
    if draft is None:  # a draft keeps whom it is about
        try:
            person, household = services.interview_subject(
                actor=user,
                survey=survey,
                personal_number=interview.cleaned_data.get("personal_number", ""),
            )
        except ValidationError as error:
            add_service_errors(interview, error)
            form.is_valid()
            return None
    form.is_valid()  # binds the fields; the answers' rule is `answers.check`, in the service
    try:
        saved = services.response_save(
            actor=user,
            version=version,
            survey=survey,
            response=draft,
            given=form.given(),
            submit=submit,
            municipality=interview.cleaned_data["municipality"] if draft is None else None,
            person=person,
            household=household,
            find_person=services.person_finder(user),
        )
    except ValidationError as error:
        form.add_service_error(error, other=interview)
        return None
    if submit:
        messages.success(request, _("The answers are submitted. Thank you."))
    else:
        messages.success(request, _("The answers are kept as a draft: finish them later."))
    if request.GET.get("again") and submit:
        return redirect("questionnaires:answer", survey.pk)
    return (
        redirect("questionnaires:survey_detail", survey.pk)
        if submit
        else redirect("questionnaires:answer_draft", survey.pk, saved.pk)
    )


@staff_view(permissions.SURVEYS_RESULTS)
def results(request, pk: int):
    survey = selectors.survey_get(actor=request.user, pk=pk)
    found = selectors.results(actor=request.user, survey=survey)
    if fmt := export_format(request):
        return exports.aggregates(request, survey=survey, found=found, fmt=fmt)
    search_log(
        actor=request.user,
        model=Survey,
        terms={"survey": survey.pk, "results": True},
        shown=len(found["questions"]),
    )
    for table in found["questions"]:
        table.chart = _chart(table)
    return render(request, "questionnaires/results.html", {"survey": survey, "found": found})


def _chart(table):
    """The whole survey's answers to a choice question as bars; a hidden cell draws none."""
    if not table.rows or table.kind in ("number", "text", "date", "person"):
        return []
    country = table.rows[0]
    rows = []
    for name, cell in zip(table.columns[:-1], country.cells[:-1], strict=True):
        rows.append(
            (
                name,
                None if cell.hidden else cell.count,
                str(cell) if cell.hidden else numbers.count(cell.count),
            )
        )
    return charts.bars(rows)


@staff_view(permissions.SURVEYS_RESULTS)
def answers_download(request, pk: int):
    """Every submitted response, one row each, one column per question key (owners only)."""
    survey = selectors.survey_get(actor=request.user, pk=pk)
    try:
        qs = selectors.answers_for_export(actor=request.user, survey=survey)
    except PermissionDenied:
        attempt_log(
            actor=request.user, path=request.path, instance=survey, status=403, reason="not owner"
        )
        raise
    columns = exports.answer_columns(survey)
    return export(
        request,
        qs=qs,
        columns=columns,
        name=f"{survey.code}-answers",
        title=survey.code,
        audit=lambda count: access_log(
            actor=request.user, instance=survey, purpose="answers export", detail={"rows": count}
        ),
    )
