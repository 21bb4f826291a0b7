"""Pages of imports from other registries: the sources, a file's dry run report, its commit."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.core.exports import Column, export, export_format
from zrunva.core.forms import add_service_errors
from zrunva.core.htmx import is_htmx
from zrunva.core.pagination import paginate
from zrunva.core.trail import access_log, search_log
from zrunva.integration import selectors, services
from zrunva.integration.choices import ImportOutcome
from zrunva.integration.forms import RowFilter, SourceForm, UploadForm
from zrunva.integration.imports import FIELDS
from zrunva.integration.models import ImportRow

REPORT_PAGE = 100


@staff_view(permissions.IMPORTS_RUN)
def home(request):
    sources = list(selectors.source_list(actor=request.user))
    for source in sources:  # what each may change, by the fields' names
        source.update_labels = [FIELDS[n].label for n in source.updates if n in FIELDS]
    recent = list(selectors.import_list(actor=request.user)[:20])
    return render(
        request,
        "integration/home.html",
        {
            "sources": sources,
            "recent": recent,
            "defines": permissions.has_perm(request.user, permissions.IMPORT_SOURCES_MANAGE),
        },
    )


def _mapping_rows(source) -> list[tuple]:
    return [
        (FIELDS[name].label, column, name in source.updates)
        for name, column in source.mapping.items()
        if name in FIELDS
    ]


@staff_view(permissions.IMPORTS_RUN)
def source_detail(request, pk: int):
    source = selectors.source_get(actor=request.user, pk=pk)
    form = UploadForm()
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = services.import_start(
                    actor=request.user, source=source, upload=form.cleaned_data["file"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The file is being read; nothing changes yet."))
                return redirect("integration:import_detail", pk=job.pk)
    return render(
        request,
        "integration/source_detail.html",
        {
            "source": source,
            "mapping": _mapping_rows(source),
            "form": form,
            "imports": selectors.import_list(actor=request.user, source=source)[:20],
            "max_mb": settings.IMPORT_MAX_UPLOAD_MB,
            "defines": permissions.has_perm(request.user, permissions.IMPORT_SOURCES_MANAGE),
        },
    )


@staff_view(permissions.IMPORT_SOURCES_MANAGE)
def source_edit(request, pk: int | None = None):
    source = selectors.source_get(actor=request.user, pk=pk) if pk else None
    form = SourceForm(request.POST or None, source=source)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.source_save(
                actor=request.user, data=form.data_for_service(), source=source
            )
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                for problem in problems:
                    form.add_service_error(name, problem)
        else:
            messages.success(request, _("The source is saved."))
            return redirect("integration:source_detail", pk=saved.pk)
    return render(request, "integration/source_form.html", {"form": form, "source": source})


def _report_columns(actor) -> list[Column]:
    def changes(r):
        shown = selectors.shown_changes(r.changes, actor)
        return "; ".join(
            f"{FIELDS[n].label}: {'—' if old is None else old} → {new}"
            for n, (old, new) in ((k, v) for k, v in shown.items() if not k.startswith("_"))
        )

    return [
        Column(gettext_lazy("Row"), lambda r: r.row, 8),
        Column(gettext_lazy("Outcome"), lambda r: r.get_outcome_display(), 16),
        Column(gettext_lazy("Identifier in the file"), lambda r: r.identity, 18),
        Column(gettext_lazy("Person"), lambda r: r.person_id, 10),
        Column(gettext_lazy("Matched by"), lambda r: r.get_method_display(), 18),
        Column(gettext_lazy("Changes"), changes, 40),
        Column(
            gettext_lazy("Errors"),
            lambda r: "; ".join(
                f"{FIELDS[e['field']].label if e['field'] in FIELDS else _('row')}: {e['reason']}"
                for e in r.errors
            ),
            60,
        ),
    ]


@staff_view(permissions.IMPORTS_RUN)
def import_detail(request, pk: int):
    job = selectors.import_get(actor=request.user, pk=pk)
    url = reverse("integration:import_detail", args=[job.pk])
    if is_htmx(request):
        response = render(request, "jobs/progress.html", {"job": job, "url": url})
        if not job.is_active:
            response["HX-Refresh"] = "true"
        return response
    filters = RowFilter(request.GET or None)
    outcome = search = ""
    if filters.is_valid():
        outcome, search = filters.cleaned_data["outcome"], filters.cleaned_data["q"].strip()
    rows = selectors.import_rows(job=job, outcome=outcome, search=search)
    terms = {"import": job.pk, "outcome": outcome, "q": search}
    if export_format(request):
        return export(
            request,
            qs=rows,
            columns=_report_columns(request.user),
            name=f"import-{job.pk}",
            title=_("Import report"),
            audit=lambda n: search_log(actor=request.user, model=ImportRow, terms=terms, shown=n),
        )
    page = paginate(rows, number=request.GET.get("page"), size=REPORT_PAGE)
    for row in page.items:
        row.shown = selectors.shown_changes(row.changes, request.user)
    if page.items:  # the report names people by their numbers: audited as a search
        search_log(actor=request.user, model=ImportRow, terms=terms, shown=len(page.items))
    access_log(actor=request.user, instance=job, purpose="import report")
    counts = [(value, label, job.summary.get(value, 0)) for value, label in ImportOutcome.choices]
    committed = job.commits.first() if job.dry_run else None
    return render(
        request,
        "integration/import_detail.html",
        {
            "job": job,
            "url": url,
            "filters": filters,
            "page": page,
            "counts": counts,
            "committed": committed,
            "fields": {n: s.label for n, s in FIELDS.items()},
            "may_commit": job.dry_run
            and job.status == "done"
            and committed is None
            and permissions.has_perm(request.user, permissions.IMPORTS_RUN)
            and not (job.source.all_or_nothing and job.summary.get("rejected")),
        },
    )


@require_POST
@staff_view(permissions.IMPORTS_RUN)
def import_commit(request, pk: int):
    checked = selectors.import_get(actor=request.user, pk=pk)
    try:
        job = services.import_commit(actor=request.user, checked=checked)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("integration:import_detail", pk=checked.pk)
    messages.success(request, _("The file is being applied."))
    return redirect("integration:import_detail", pk=job.pk)
