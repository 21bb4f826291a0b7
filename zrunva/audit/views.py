import csv

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.audit import selectors, services
from zrunva.audit.forms import LogFilterForm, SubjectAccessRequestForm
from zrunva.audit.models import SubjectAccessRequest
from zrunva.audit.selectors import log_list
from zrunva.core.forms import add_service_errors
from zrunva.core.pagination import paginate
from zrunva.core.redirects import next_url
from zrunva.core.text import readable_json
from zrunva.core.trail import access_log, action_label, search_log

PAGE_SIZE = 50


class _Echo:
    def write(self, value):
        return value


def _log_query(request, purpose: str, shown: int = 0) -> None:
    """Reading the trail reads people's data too: each query of it (each page, each filter,
    each export) is itself a search row, with its filters and page."""
    terms = dict(request.GET.items())
    search_log(actor=request.user, model=LogEntry, terms={**terms, "purpose": purpose}, shown=shown)


def _filtered(request):
    form = LogFilterForm(request.GET or None)
    filters = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "user_id": data["user"].pk if data["user"] else None,
            "action": data["action"],
            "model": data["model"],
            "object_pk": data["object_pk"],
            "since": data["since"],
            "until": data["until"],
            "attempts": data["attempts"],
        }
    elif form.is_bound:
        return form, None
    return form, log_list(actor=request.user, **filters)


@login_required
def log(request):
    permissions.require(request.user, permissions.AUDIT_VIEW)
    form, qs = _filtered(request)
    page = paginate(qs, number=request.GET.get("page"), size=PAGE_SIZE) if qs is not None else None
    _log_query(request, "view", shown=len(page.items) if page is not None else 0)
    return render(request, "audit/log.html", {"form": form, "page": page})


EXPORT_FIELDS = [
    "timestamp",
    "actor",
    "action",
    "record_type",
    "record",
    "description",
    "address",
    "changes",
    "details",
]


def _export_row(e: LogEntry) -> dict:
    """One entry as both exports give it; `changes` and `details` as stored (JSON objects)."""
    return {
        "timestamp": e.timestamp.isoformat(),
        "actor": e.actor.username if e.actor else "",
        "action": action_label(e.action),
        "record_type": f"{e.content_type.app_label}.{e.content_type.model}",
        "record": e.object_pk,
        "description": e.object_repr,
        "address": e.remote_addr or "",
        "changes": e.changes or None,
        "details": e.additional_data or None,
    }


def _export_rows(request, purpose: str):
    _, qs = _filtered(request)
    _log_query(request, purpose)
    rows = qs.iterator(chunk_size=2000) if qs is not None else []
    return (_export_row(e) for e in rows)


def _download(stream, content_type: str, extension: str) -> StreamingHttpResponse:
    name = f"audit-{timezone.localdate().isoformat()}.{extension}"
    return StreamingHttpResponse(
        stream,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@login_required
def log_csv(request):
    """The filtered audit trail as CSV, streamed so a long period does not fill memory. The
    changes and details cells hold JSON (readable, and `json.loads` takes them), not Python's
    repr of a dict."""
    permissions.require(request.user, permissions.AUDIT_VIEW)
    rows = _export_rows(request, "csv_export")
    writer = csv.writer(_Echo())

    def stream():
        yield writer.writerow(EXPORT_FIELDS)
        for row in rows:
            row["changes"] = readable_json(row["changes"])
            row["details"] = readable_json(row["details"])
            yield writer.writerow([row[name] for name in EXPORT_FIELDS])

    return _download(stream(), "text/csv; charset=utf-8", "csv")


@login_required
def log_json(request):
    """The filtered audit trail as one JSON array, streamed entry by entry; changes and details
    are nested objects, Georgian unescaped."""
    permissions.require(request.user, permissions.AUDIT_VIEW)
    rows = _export_rows(request, "json_export")

    def stream():
        yield "["
        for index, row in enumerate(rows):
            yield ("," if index else "") + "\n" + readable_json(row)
        yield "\n]\n"

    return _download(stream(), "application/json; charset=utf-8", "json")


@login_required
def log_entry(request, pk: int):
    """One entry in full: each change (field, before, after) and its details as indented JSON.
    Opening it is itself an entry (what it shows may be anyone's data)."""
    entry = selectors.log_entry_get(actor=request.user, pk=pk)
    access_log(actor=request.user, instance=entry, purpose="audit_entry")
    return render(
        request,
        "audit/entry.html",
        {"entry": entry},
    )


@staff_view(permissions.SUBJECT_ACCESS)
@require_http_methods(["GET", "POST"])
def request_list(request):
    """The subject-access requests not yet answered, overdue first, and recording a new one."""
    initial = {
        "received_on": timezone.localdate(),
        "personal_number": request.GET.get("personal_number", ""),
        "person_id": request.GET.get("person") or None,
    }
    form = SubjectAccessRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            recorded = services.subject_access_request_record(
                actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The request is recorded; the answer is due by %(due)s.")
                % {"due": recorded.due_on.strftime("%d.%m.%Y")},
            )
            return redirect("audit:requests")
    requests = list(selectors.subject_access_requests_open(actor=request.user))
    search_log(
        actor=request.user,
        model=SubjectAccessRequest,
        terms={"purpose": "open requests"},
        shown=len(requests),
    )
    return render(request, "audit/requests.html", {"form": form, "requests": requests})


@staff_view(permissions.SUBJECT_ACCESS)
@require_POST
def request_answer(request, pk: int):
    """Mark a request answered: the DPO does this from the person's report, once produced."""
    found = selectors.subject_access_request_get(actor=request.user, pk=pk)
    try:
        services.subject_access_request_answer(
            actor=request.user, request=found, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The request is marked answered."))
    return redirect(next_url(request, "audit:requests"))
