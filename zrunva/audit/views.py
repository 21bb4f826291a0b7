import csv

from auditlog.models import LogEntry
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from zrunva.accounts import permissions
from zrunva.audit.choices import action_label
from zrunva.audit.forms import LogFilterForm
from zrunva.audit.selectors import log_list
from zrunva.audit.services import search_log
from zrunva.core.pagination import paginate

PAGE_SIZE = 50


class _Echo:
    def write(self, value):
        return value


def _log_query(request, purpose: str) -> None:
    """Reading the trail reads people's data too: each query of it is itself a search row."""
    terms = {k: v for k, v in request.GET.items() if k != "page"}
    search_log(actor=request.user, model=LogEntry, terms={**terms, "purpose": purpose}, shown=0)


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
        }
    elif form.is_bound:
        return form, None
    return form, log_list(actor=request.user, **filters)


@login_required
def log(request):
    permissions.require(request.user, permissions.AUDIT_VIEW)
    form, qs = _filtered(request)
    _log_query(request, "view")
    page = paginate(qs, number=request.GET.get("page"), size=PAGE_SIZE) if qs is not None else None
    return render(request, "audit/log.html", {"form": form, "page": page})


@login_required
def log_csv(request):
    """The filtered audit trail as CSV, streamed so a long period does not fill memory."""
    permissions.require(request.user, permissions.AUDIT_VIEW)
    _, qs = _filtered(request)
    _log_query(request, "csv_export")
    rows = qs.iterator(chunk_size=2000) if qs is not None else []
    writer = csv.writer(_Echo())
    header = [
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

    def stream():
        yield writer.writerow(header)
        for e in rows:
            yield writer.writerow(
                [
                    e.timestamp.isoformat(),
                    e.actor.username if e.actor else "",
                    action_label(e.action),
                    f"{e.content_type.app_label}.{e.content_type.model}",
                    e.object_pk,
                    e.object_repr,
                    e.remote_addr or "",
                    e.changes or "",
                    e.additional_data or "",
                ]
            )

    name = f"audit-{timezone.localdate().isoformat()}.csv"
    return StreamingHttpResponse(
        stream(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
