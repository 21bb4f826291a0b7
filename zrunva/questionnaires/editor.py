"""The form editor: a form's versions, its draft built section by section and question by
question (each change checked whole by `definition.check`, refused with the places at fault),
a preview as the respondent sees it, publishing, and import and export (JSON, XLSForm)."""

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.core.forms import form_step
from zrunva.core.htmx import is_htmx
from zrunva.core.trail import access_log
from zrunva.questionnaires import answers, selectors, services, transfer
from zrunva.questionnaires.definition import KIND_LABELS, Kind, check
from zrunva.questionnaires.editor_forms import (
    FormMetaForm,
    ImportForm,
    QuestionForm,
    SectionForm,
)
from zrunva.questionnaires.forms import AnswerForm
from zrunva.questionnaires.models import Form

DEFINE = permissions.FORMS_DEFINE
EMPTY = {"sections": []}


@staff_view(DEFINE)
def form_list(request):
    return render(
        request, "questionnaires/form_list.html", {"forms": selectors.form_list(actor=request.user)}
    )


@staff_view(DEFINE)
def form_new(request):
    form = FormMetaForm(request.POST or None)
    if request.method == "POST" and form_step(
        request,
        form,
        lambda data: services.form_create(actor=request.user, questions=EMPTY, **data),
        _("The form is created: add its sections and questions."),
    ):
        return redirect(
            "questionnaires:form_detail", Form.objects.get(code=form.cleaned_data["code"]).pk
        )
    return render(request, "questionnaires/form_new.html", {"form": form})


@staff_view(DEFINE)
def form_import(request):
    """A form from a JSON document or an XLSForm: a new form, or the next draft of the form with
    the same code. Every fault is listed (row by row for an XLSForm); nothing is kept then."""
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.name.lower().endswith(".xlsx"):
                imported = transfer.read_xlsform(upload)
            else:
                imported = transfer.read_json(upload.read())
            target = services.form_import(actor=request.user, imported=imported)
        except transfer.TransferError as failed:
            problems = list(failed.messages)
        except ValidationError as error:
            problems = [m for messages_ in _listed(error) for m in messages_]
        else:
            for note in imported.notes:
                messages.warning(request, note)
            messages.success(
                request, _("The form is imported as a draft: check it, then publish it.")
            )
            return redirect("questionnaires:form_detail", target.pk)
    return render(request, "questionnaires/form_import.html", {"form": form, "problems": problems})


def _listed(error: ValidationError):
    if hasattr(error, "error_dict"):
        return [[str(m) for m in e] for e in error.message_dict.values()]
    return [error.messages]


def _draft_or_published(form: Form):
    return selectors.version_draft(form) or selectors.version_published(form)


@staff_view(DEFINE)
def form_detail(request, pk: int):
    form = selectors.form_get(actor=request.user, pk=pk)
    draft = selectors.version_draft(form)
    if request.method == "POST" and request.POST.get("step") == "new_version" and draft is None:
        latest = _draft_or_published(form)
        services.draft_save(
            actor=request.user,
            form=form,
            questions=copy.deepcopy(latest.definition if latest else EMPTY),
        )
        messages.success(request, _("A new draft version is started from the latest one."))
        return redirect("questionnaires:form_detail", pk)
    versions = form.versions.annotate(answered=Count("responses")).order_by("-number")
    faults = check(draft.definition) if draft else []
    return render(
        request,
        "questionnaires/form_detail.html",
        {
            "obj": form,
            "draft": draft,
            "versions": versions,
            "faults": faults,
            "kinds": KIND_LABELS,
            "group_kind": Kind.GROUP,
        },
    )


@staff_view(DEFINE)
def preview(request, pk: int):
    """The draft (or the published version) as the respondent sees it; answers are checked and
    the faults shown, never kept."""
    form = selectors.form_get(actor=request.user, pk=pk)
    version = _draft_or_published(form)
    if version is None:
        raise Http404
    data = request.POST if request.method == "POST" else None
    page = AnswerForm(version.definition, data=data)
    checked = False
    action = request.POST.get("action", "") if data is not None else ""
    if action == "submit":
        page.is_valid()
        _clean, faults = answers.check(version.definition, page.given())
        page.add_faults(faults)
        checked = not faults
    context = {
        "version": version,
        "form": page,
        "interview": None,
        "preview": True,
        "checked": checked,
        "action_url": request.path,
    }
    if is_htmx(request) and action == "refresh":
        return render(request, "questionnaires/_questions.html", context)
    return render(request, "questionnaires/answer.html", context)


@require_POST
@staff_view(DEFINE)
def publish(request, pk: int):
    form = selectors.form_get(actor=request.user, pk=pk)
    draft = selectors.version_draft(form)
    if draft is None:
        messages.error(request, _("There is no draft to publish."))
    else:
        try:
            services.version_publish(actor=request.user, version=draft)
            messages.success(
                request,
                _("The version is published: it is answered from now on, and never changes."),
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
    return redirect("questionnaires:form_detail", pk)


@staff_view(DEFINE)
def form_export(request, pk: int, fmt: str):
    form = selectors.form_get(actor=request.user, pk=pk)
    version = (
        form.versions.filter(number=request.GET.get("version")).first()
        if request.GET.get("version")
        else None
    )
    version = version or _draft_or_published(form)
    if version is None or fmt not in ("json", "xlsx"):
        raise Http404
    access_log(
        actor=request.user,
        instance=form,
        purpose=f"export {fmt}",
        detail={"version": version.number},
    )
    name = f"{form.code}-v{version.number}"
    if fmt == "json":
        import json

        body = json.dumps(transfer.form_json(form, version), ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response
    response = HttpResponse(
        transfer.xlsform(form, version),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


# The draft, piece by piece ------------------------------------------------------------------


def _draft(request, pk: int):
    form = selectors.form_get(actor=request.user, pk=pk)
    draft = selectors.version_draft(form)
    if draft is None:
        messages.error(request, _("Start a new version to change the questions."))
        return form, None
    return form, draft


def _save_draft(request, form, definition, editor=None) -> bool:
    """Keep the changed definition, or put its faults on the editing form (or in messages)."""
    try:
        services.draft_save(actor=request.user, form=form, questions=definition)
    except ValidationError as error:
        for text in [m for group in _listed(error) for m in group]:
            if editor is not None:
                editor.add_error(None, text)
            else:
                messages.error(request, text)
        return False
    return True


@staff_view(DEFINE)
def section_edit(request, pk: int, s: int | None = None):
    form, draft = _draft(request, pk)
    if draft is None:
        return redirect("questionnaires:form_detail", pk)
    definition = copy.deepcopy(draft.definition)
    sections = definition["sections"]
    if s is not None and not 1 <= s <= len(sections):
        raise Http404
    current = sections[s - 1] if s else None
    editor = SectionForm(request.POST or None, initial=current)
    if request.method == "POST" and editor.is_valid():
        if current is None:
            sections.append({**editor.cleaned_data, "questions": []})
        else:
            current.update(editor.cleaned_data)
        if _save_draft(request, form, definition, editor):
            messages.success(request, _("The section is saved."))
            return redirect("questionnaires:form_detail", pk)
    return render(
        request,
        "questionnaires/section_edit.html",
        {"obj": form, "editor": editor, "number": s},
    )


def _questions_at(definition: dict, s: int, q: int | None):
    """The list a question belongs to: a section's, or a group's (when `q` is the group)."""
    sections = definition["sections"]
    if not 1 <= s <= len(sections):
        raise Http404
    listed = sections[s - 1]["questions"]
    if q is None:
        return listed
    if not 1 <= q <= len(listed) or listed[q - 1].get("kind") != Kind.GROUP:
        raise Http404
    return listed[q - 1].setdefault("questions", [])


@staff_view(DEFINE)
def question_edit(request, pk: int, s: int, q: int | None = None, i: int | None = None):
    """Add or change a question of a section (`q` None: a new one), or of a group (`i`)."""
    form, draft = _draft(request, pk)
    if draft is None:
        return redirect("questionnaires:form_detail", pk)
    definition = copy.deepcopy(draft.definition)
    name = request.resolver_match.url_name
    inside_group = name in ("inner_new", "inner_edit")
    listed = _questions_at(definition, s, q if inside_group else None)
    index = i if inside_group else q
    if name in ("question_new", "inner_new"):
        index = None
    if index is not None and not 1 <= index <= len(listed):
        raise Http404
    current = listed[index - 1] if index else None
    editor = QuestionForm(request.POST or None, question=current, in_group=inside_group)
    if request.method == "POST" and editor.is_valid():
        question = editor.question()
        held = (current or {}).get("questions") if (current or {}).get("kind") == Kind.GROUP else []
        if held and question["kind"] != Kind.GROUP:
            editor.add_error(
                "kind",
                _("This group holds questions: move or delete them before changing its kind."),
            )
        elif current is None:
            listed.append(question)
        else:
            if held:
                question["questions"] = held  # its own, kept as they are
            listed[index - 1] = question
        if not editor.errors and _save_draft(request, form, definition, editor):
            messages.success(request, _("The question is saved."))
            return redirect("questionnaires:form_detail", pk)
    return render(
        request,
        "questionnaires/question_edit.html",
        {
            "obj": form,
            "editor": editor,
            "section": s,
            "current": current,
            "in_group": inside_group,
        },
    )


@require_POST
@staff_view(DEFINE)
def move(request, pk: int):
    """Move a question up or down, or delete it (or an empty section); the whole draft is
    checked again, so a move that puts a condition before what it reads is refused."""
    form, draft = _draft(request, pk)
    if draft is None:
        return redirect("questionnaires:form_detail", pk)
    definition = copy.deepcopy(draft.definition)
    try:
        s = int(request.POST["s"])
        q = int(request.POST.get("q") or 0) or None
        i = int(request.POST.get("i") or 0) or None
    except (KeyError, ValueError):
        raise Http404 from None
    what = request.POST.get("what")
    if q is None:
        sections = definition["sections"]
        if what != "delete" or not 1 <= s <= len(sections):
            raise Http404
        if sections[s - 1]["questions"]:
            messages.error(
                request,
                _("Only an empty section can be deleted: move or delete its questions first."),
            )
            return redirect("questionnaires:form_detail", pk)
        del sections[s - 1]
    else:
        listed = _questions_at(definition, s, q if i else None)
        at = (i or q) - 1
        if not 0 <= at < len(listed):
            raise Http404
        if what == "up" and at > 0:
            listed[at - 1], listed[at] = listed[at], listed[at - 1]
        elif what == "down" and at < len(listed) - 1:
            listed[at + 1], listed[at] = listed[at], listed[at + 1]
        elif what == "delete":
            del listed[at]
        else:
            raise Http404
    if _save_draft(request, form, definition):
        messages.success(request, _("The draft is changed."))
    return redirect("questionnaires:form_detail", pk)
