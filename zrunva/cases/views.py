"""Social work pages: the worker's and the supervisor's cases, one case with its timeline, plan
and steps, opening a case for a person, emergency access, transfers; the cases panel on a
person's page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.cases import selectors, services
from zrunva.cases.choices import Stage, TransferStatus
from zrunva.cases.forms import (
    AnswerForm,
    CloseForm,
    DecideForm,
    EntryForm,
    GlassForm,
    MoveForm,
    OpenForm,
    PlanForm,
    RecordForm,
    ReferForm,
    SessionForm,
    TransferForm,
    UserForm,
)
from zrunva.cases.models import SocialCase, Transfer
from zrunva.core.forms import add_service_errors, form_step
from zrunva.core.htmx import is_htmx
from zrunva.core.models import in_language
from zrunva.core.pagination import paginate
from zrunva.core.trail import attempt_log
from zrunva.questionnaires import definition as questionnaire_definition
from zrunva.questionnaires import selectors as questionnaire_selectors
from zrunva.questionnaires.forms import AnswerForm as QuestionsForm
from zrunva.registry import selectors as registry

WORK = permissions.CASES_WORK


@staff_view(WORK)
def home(request):
    """The worker's or the supervisor's page: each list of what is waiting shows its first
    rows and how many there are (the whole list is one click away), so an office of thousands
    of cases reads in one page."""
    user = request.user
    supervises = permissions.has_perm(user, permissions.CASES_SUPERVISE)
    transfers = Transfer.objects.none()
    if supervises and user.office_id:
        transfers = Transfer.objects.filter(
            to_office_id=user.office_id, status=TransferStatus.ASKED
        ).select_related("case", "from_office")
    lists = {name: _first(query) for name, query in _lists(user, supervises).items()}
    return render(
        request,
        "cases/home.html",
        {
            "supervises": supervises,
            "lists": lists,
            "shown": SHOWN,
            "caseload": selectors.caseload(actor=user) if supervises else [],
            "transfers": transfers,
        },
    )


# How many rows of each list the home page shows; the rest are on the list's own pages.
SHOWN = 20


def _lists(user, supervises: bool) -> dict:
    scope = selectors.case_list(actor=user) if supervises else selectors.mine(actor=user)
    lists = {
        "mine": selectors.mine(actor=user),
        "first_contact": selectors.first_contact_overdue(scope),
        "reviews": selectors.review_overdue(scope),
        "visits": selectors.visit_overdue(scope),
        "actions": selectors.actions_overdue(scope),
    }
    if supervises:
        lists["unassigned"] = selectors.unassigned(actor=user)
    return lists


def _first(query):
    # The first ids from the narrow rows, then those rows whole: sorting a list's rows joined
    # to their worker, office and municipality spilled to disk at an office's thousands.
    ids = list(query.values_list("pk", flat=True)[: SHOWN + 1])
    rows = list(query.filter(pk__in=ids[:SHOWN]))
    return {"rows": rows, "more": len(ids) > SHOWN}


@staff_view(WORK)
def case_lists(request, name: str):
    """One of the home page's lists whole, a page at a time."""
    lists = _lists(request.user, permissions.has_perm(request.user, permissions.CASES_SUPERVISE))
    if name not in lists:
        raise Http404
    page = paginate(lists[name], number=request.GET.get("page"), size=50)
    return render(request, "cases/list.html", {"name": name, "page": page})


@staff_view(WORK)
def case_open(request, person: int):
    found = registry.person_get(actor=request.user, pk=person, purpose="case")
    form = OpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open(actor=request.user, person=found, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Case %(number)s is open.") % {"number": case.number})
            return redirect("cases:detail", case.pk)
    return render(request, "cases/open.html", {"form": form, "person": found})


def _case(request, pk: int) -> SocialCase:
    return selectors.case_detail(actor=request.user, pk=pk)


@staff_view(WORK)
def detail(request, pk: int):
    case = _case(request, pk)
    user = request.user
    plan = case.plans.prefetch_related("actions__service").first()  # the service a step uses
    moves = [
        to
        for (frm, to), roles in services.TRANSITIONS.items()
        if frm == case.stage and user.role in roles
    ]
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "plan": plan,
            "entries": case.entries.select_related("author"),
            "moves": [(to, Stage(to).label) for to in moves],
            "works_on": case.assigned_to_id == user.pk
            or permissions.has_perm(user, permissions.CASES_SUPERVISE),
            "supervises": permissions.has_perm(user, permissions.CASES_SUPERVISE),
            "entry_form": EntryForm(initial={"happened_on": timezone.localdate()}),
            "close_form": CloseForm(),
            "colleagues": case.colleagues.select_related("user"),
            "referrals": case.referrals.select_related("service__provider"),
            "assessments": case.assessments.select_related("response__version__form"),
            "today": timezone.localdate(),
        },
    )


def _step(request, pk: int, form_class, action, success, **form_kwargs):
    """A POSTed step on a case: the form checked, the service called, its error shown on the
    case's page as a message (every page of a case is its detail page)."""
    case = _case(request, pk)
    form = form_class(request.POST, request.FILES or None, **form_kwargs)
    if form.is_valid():
        try:
            action(case, form.cleaned_data)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, success)
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for text in errors:
                messages.error(request, f"{label}: {text}" if label else text)
    return redirect("cases:detail", case.pk)


@require_POST
@staff_view(WORK)
def entry(request, pk: int):
    return _step(
        request,
        pk,
        EntryForm,
        lambda case, d: services.entry_add(actor=request.user, case=case, **d),
        _("Added to the timeline."),
    )


@require_POST
@staff_view(WORK)
def move(request, pk: int):
    to = request.POST.get("to", "")
    if to not in Stage.values:
        raise Http404
    return _step(
        request,
        pk,
        MoveForm,
        lambda case, d: services.case_move(actor=request.user, case=case, to=to, note=d["note"]),
        _("The case moved to: %(stage)s.") % {"stage": Stage(to).label},
    )


@require_POST
@staff_view(permissions.CASES_SUPERVISE)
def close(request, pk: int):
    return _step(
        request,
        pk,
        CloseForm,
        lambda case, d: services.case_close(actor=request.user, case=case, **d),
        _("The case is closed."),
    )


@require_POST
@staff_view(permissions.CASES_SUPERVISE)
def give(request, pk: int):
    return _step(
        request,
        pk,
        UserForm,
        lambda case, d: services.case_give(actor=request.user, case=case, to=d["username"]),
        _("The case is given."),
    )


@require_POST
@staff_view(WORK)
def colleague(request, pk: int):
    return _step(
        request,
        pk,
        UserForm,
        lambda case, d: services.colleague_name(actor=request.user, case=case, user=d["username"]),
        _("The colleague may read the case."),
    )


@staff_view(WORK)
def plan(request, pk: int):
    case = _case(request, pk)
    form = PlanForm(request.POST or None)
    if request.method == "POST" and form_step(
        request,
        form,
        lambda d: services.plan_write(actor=request.user, case=case, **d),
        _("The care plan is written."),
    ):
        return redirect("cases:detail", case.pk)
    return render(request, "cases/plan.html", {"case": case, "form": form})


@staff_view(WORK)
def transfer(request, pk: int):
    case = _case(request, pk)
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form_step(
        request,
        form,
        lambda d: services.transfer_ask(actor=request.user, case=case, **d),
        _("The other office is asked to take the case."),
    ):
        return redirect("cases:detail", case.pk)
    return render(request, "cases/transfer.html", {"case": case, "form": form})


@require_POST
@staff_view(permissions.CASES_SUPERVISE)
def transfer_decide(request, pk: int):
    found = get_object_or_404(Transfer, pk=pk, to_office_id=request.user.office_id)
    form = DecideForm(request.POST)
    form.is_valid()
    accept = request.POST.get("decision") == "accept"
    try:
        services.transfer_decide(
            actor=request.user,
            transfer=found,
            accept=accept,
            reason=form.cleaned_data.get("reason", ""),
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request, _("The case is this office's now.") if accept else _("The case goes back.")
        )
    return redirect("cases:home")


@staff_view(WORK)
def glass(request, pk: int):
    """Emergency access to a sensitive case one may not read: the reason first, then the case
    for BREAK_GLASS_HOURS; the DPO and the supervisors are told."""
    case = get_object_or_404(SocialCase, pk=pk)
    if selectors.case_list(actor=request.user).filter(pk=pk).exists():
        return redirect("cases:detail", pk)
    if not case.sensitive:
        attempt_log(actor=request.user, instance=case, status=404, reason="not sensitive")
        raise Http404
    form = GlassForm(request.POST or None)
    if request.method == "POST" and form_step(
        request,
        form,
        lambda d: services.break_glass(actor=request.user, case=case, reason=d["reason"]),
        _("Emergency access granted. The data protection officer and the supervisors are told."),
    ):
        return redirect("cases:detail", pk)
    return render(request, "cases/glass.html", {"number": case.number, "form": form, "pk": pk})


@staff_view(permissions.BREAK_GLASS_REVIEW)
def glass_review(request):
    grants = selectors.break_glass_list(actor=request.user)
    if request.method == "POST":
        grant = get_object_or_404(grants, pk=request.POST.get("grant"))
        services.break_glass_review(
            actor=request.user, grant=grant, note=request.POST.get("note", "")[:1000]
        )
        messages.success(request, _("Marked as reviewed."))
        return redirect("cases:glass_review")
    return render(request, "cases/glass_review.html", {"grants": grants[:200]})


@staff_view(WORK)
def household_cases(request, pk: int):
    """The cases about a household's people the viewer may read: a panel for its page."""
    household = registry.household_get(actor=request.user, pk=pk, purpose="cases")
    cases = selectors.case_list(actor=request.user).filter(household=household)
    return render(request, "cases/_panel.html", {"cases": cases, "person": None})


@staff_view(WORK)
def person_cases(request, pk: int):
    """The cases about a person the viewer may read (a sensitive case is not there for others,
    not even as a count): a panel for their page."""
    person = registry.person_get(actor=request.user, pk=pk, purpose="cases")
    cases = selectors.case_list(actor=request.user).filter(person=person)
    return render(
        request,
        "cases/_panel.html",
        {
            "cases": cases,
            "person": person,
            "back": reverse("registry:person_detail", args=[person.pk]),
        },
    )


@staff_view(WORK)
def refer(request, pk: int):
    case = _case(request, pk)
    form = ReferForm(request.POST or None, services=selectors.services_to_refer(case))
    if request.method == "POST" and form_step(
        request,
        form,
        lambda d: services.referral_send(actor=request.user, case=case, **d),
        _("The referral is sent to the provider."),
    ):
        return redirect("cases:detail", case.pk)
    return render(request, "cases/refer.html", {"case": case, "form": form})


@staff_view(permissions.REFERRALS_ANSWER)
def referrals(request):
    """A provider's referrals: those to its organisation's services."""
    return render(
        request,
        "cases/referrals.html",
        {"referrals": selectors.referral_inbox(actor=request.user)[:200]},
    )


@staff_view(permissions.REFERRALS_ANSWER)
def referral(request, pk: int):
    found = selectors.referral_for_provider(actor=request.user, pk=pk)
    form = AnswerForm(request.POST or None)
    answer = request.POST.get("answer", "")
    if request.method == "POST" and form_step(
        request,
        form,
        lambda d: services.referral_answer(
            actor=request.user, referral=found, answer=answer, text=d["text"]
        ),
        _("Your answer is sent to the social worker."),
    ):
        return redirect("cases:referrals")
    return render(request, "cases/referral.html", {"referral": found, "form": form})


@staff_view(WORK)
def assess(request, pk: int, assessment: int | None = None):
    """Assess the case's person with a questionnaire form: choose the form, answer it (every
    fault at once; a draft to finish later), and it is linked to the case."""
    case = _case(request, pk)
    draft = None
    if assessment is not None:
        linked = get_object_or_404(
            case.assessments.select_related("response__version"), pk=assessment
        )
        draft = linked.response
        if draft.status != "draft":
            return render(
                request,
                "cases/assessment.html",
                {"case": case, "linked": linked, "rows": _answered(draft)},
            )
        version = draft.version
    else:
        version = questionnaire_selectors.version_published_by_pk(
            request.GET.get("form") or request.POST.get("form")
        )
        if version is None:
            forms_ = questionnaire_selectors.forms_published()
            return render(request, "cases/assess_choose.html", {"case": case, "forms": forms_})
    data = request.POST if request.method == "POST" else None
    form = QuestionsForm(version.definition, data=data, stored=draft.answers if draft else None)
    action = request.POST.get("action", "") if data is not None else ""
    if action in ("draft", "submit"):
        form.is_valid()
        try:
            linked = services.assessment_save(
                actor=request.user,
                case=case,
                version=version,
                given=form.given(),
                submit=action == "submit",
                draft=draft,
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if action == "submit":
                messages.success(request, _("The assessment is kept with the case."))
                return redirect("cases:detail", case.pk)
            messages.success(request, _("The assessment is kept as a draft: finish it later."))
            return redirect("cases:assessment", case.pk, linked.pk)
    context = {
        "case": case,
        "version": version,
        "form": form,
        "action_url": request.get_full_path(),
    }
    if is_htmx(request) and action == "refresh":
        return render(request, "questionnaires/_questions.html", context)
    return render(request, "cases/assess.html", context)


def _answered(response) -> list[tuple[str, str]]:
    """The response's answers as (question, answer) in the form's order and language."""
    rows = []
    for _place, question, group in questionnaire_definition.questions(response.version.definition):
        if group is not None or question["key"] not in response.answers:
            continue
        value = response.answers[question["key"]]
        choices = {
            c["value"]: in_language(c["label_ka"], c["label_en"])
            for c in question.get("choices", [])
        }
        if isinstance(value, list):
            text = ", ".join(
                choices.get(v, str(v)) if not isinstance(v, dict) else "…" for v in value
            )
        elif isinstance(value, bool):
            text = _("Yes") if value else _("No")
        else:
            text = choices.get(value, str(value))
        rows.append((in_language(question["label_ka"], question["label_en"]), text))
    return rows


@staff_view(WORK)
def team(request):
    """Supervision and workforce: the team's qualifications, trainings and certifications
    (expired and expiring marked) and the supervision sessions; a worker sees their own."""
    user = request.user
    supervises = permissions.has_perm(user, permissions.CASES_SUPERVISE)
    session_form = record_form = None
    if supervises:
        workers = selectors.team_members(actor=user)
        readable = selectors.case_list(actor=user)
        session_form = SessionForm(
            request.POST if request.POST.get("step") == "session" else None,
            prefix="session",
            team=workers,
            readable=readable,
        )
        record_form = RecordForm(
            request.POST if request.POST.get("step") == "record" else None,
            prefix="record",
            team=workers,
        )
        if request.method == "POST":
            if request.POST.get("step") == "session" and form_step(
                request,
                session_form,
                lambda d: services.session_record(actor=user, **d),
                _("The session is recorded."),
            ):
                return redirect("cases:team")
            if request.POST.get("step") == "record" and form_step(
                request,
                record_form,
                lambda d: services.worker_record_add(actor=user, **d),
                _("The record is added."),
            ):
                return redirect("cases:team")
    return render(
        request,
        "cases/team.html",
        {
            "supervises": supervises,
            "team": selectors.team(actor=user),
            "sessions": selectors.sessions(actor=user)[:100],
            "session_form": session_form,
            "record_form": record_form,
        },
    )
