"""The pages of other agencies' access, for the data protection officer and administrators
(AGENCIES_MANAGE): the agencies with their legal basis and scope, their keys (issued, shown
once, revoked) and the log of their queries (filtered, as CSV or XLSX)."""

import json

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.core.exports import Column, export, export_format
from zrunva.core.forms import form_step
from zrunva.core.pagination import paginate
from zrunva.core.trail import search_log
from zrunva.integration import agencies, selectors_agencies
from zrunva.integration.forms_agencies import AgencyForm, KeyIssueForm, QueryFilterForm
from zrunva.integration.models import AgencyQuery
from zrunva.integration.models.agencies import (
    HEALTH_RELEASABLE,
    QueryAttribute,
    QueryType,
    ReleasableField,
)

MANAGE = permissions.AGENCIES_MANAGE
RECENT_QUERIES = 10


def _labels(values, choices) -> list[str]:
    names = dict(choices.choices)
    return [str(names.get(v, v)) for v in values]


def _scope(agency) -> dict:
    return {
        "fields": _labels(agency.fields, ReleasableField),
        "health": bool(HEALTH_RELEASABLE & set(agency.fields)),
        "query_types": _labels(agency.query_types, QueryType),
        "predicates": _labels(agency.predicates, QueryAttribute),
    }


@staff_view(MANAGE)
def agency_list(request):
    agencies_shown = [
        (agency, _scope(agency)) for agency in selectors_agencies.agency_list(actor=request.user)
    ]
    return render(request, "integration/agencies/list.html", {"agencies": agencies_shown})


@staff_view(MANAGE)
@require_http_methods(["GET", "POST"])
def agency_create(request):
    form = AgencyForm(request.POST or None)
    created = {}
    if request.method == "POST" and form_step(
        request,
        form,
        lambda data: created.setdefault(
            "agency", agencies.agency_create(actor=request.user, **data)
        ),
        _("The agency is registered. Issue it a key to let its system search."),
    ):
        return redirect("integration:agency_detail", pk=created["agency"].pk)
    return render(request, "integration/agencies/form.html", {"form": form, "agency": None})


@staff_view(MANAGE)
@require_http_methods(["GET", "POST"])
def agency_edit(request, pk: int):
    agency = selectors_agencies.agency_get(actor=request.user, pk=pk)
    form = AgencyForm(request.POST or None, instance=agency)
    if request.method == "POST" and form_step(
        request,
        form,
        lambda data: agencies.agency_update(actor=request.user, agency=agency, **data),
        _("The agency's scope is saved; its next query follows it."),
    ):
        return redirect("integration:agency_detail", pk=agency.pk)
    return render(request, "integration/agencies/form.html", {"form": form, "agency": agency})


def _detail(request, agency, *, key_form, key=None, client=None, status=200):
    recent = list(
        selectors_agencies.query_list(actor=request.user, agency_id=agency.pk)[:RECENT_QUERIES]
    )
    search_log(
        actor=request.user,
        model=AgencyQuery,
        terms={"agency": agency.pk, "recent": RECENT_QUERIES},
        shown=len(recent),
    )
    return render(
        request,
        "integration/agencies/detail.html",
        {
            "agency": agency,
            "scope": _scope(agency),
            "clients": selectors_agencies.client_list(actor=request.user, agency=agency),
            "queries": recent,
            "key_form": key_form,
            "key": key,
            "issued": client,
        },
        status=status,
    )


@staff_view(MANAGE)
def agency_detail(request, pk: int):
    agency = selectors_agencies.agency_get(actor=request.user, pk=pk)
    return _detail(request, agency, key_form=KeyIssueForm())


@staff_view(MANAGE)
@require_POST
def agency_key_issue(request, pk: int):
    """A new key, shown on the answer to this request and never again (the page is not
    cached; only the key's hash and its first characters are kept)."""
    agency = selectors_agencies.agency_get(actor=request.user, pk=pk)
    form = KeyIssueForm(request.POST)
    issued = {}
    if form_step(
        request,
        form,
        lambda data: issued.update(
            zip(
                ("client", "key"),
                agencies.agency_key_issue(
                    actor=request.user, agency=agency, name=data["name"], days=data["days"]
                ),
                strict=True,
            )
        ),
        _("The key is issued. Copy it now: it is not shown again."),
    ):
        return _detail(
            request, agency, key_form=KeyIssueForm(), key=issued["key"], client=issued["client"]
        )
    return _detail(request, agency, key_form=form, status=400)


@staff_view(MANAGE)
@require_POST
def agency_key_revoke(request, pk: int):
    client = selectors_agencies.client_get(actor=request.user, pk=pk)
    agencies.agency_key_revoke(actor=request.user, client=client)
    messages.success(
        request, _("The key %(key)s is revoked; it no longer works.") % {"key": str(client)}
    )
    return redirect("integration:agency_detail", pk=client.agency_id)


QUERY_COLUMNS = [
    Column(_lazy("Time"), lambda q: q.created_at, 18),
    Column(_lazy("Agency"), lambda q: str(q.agency) if q.agency else "", 26),
    Column(_lazy("Key"), lambda q: f"{q.key_prefix}…" if q.key_prefix else "", 16),
    Column(_lazy("Legal basis"), lambda q: q.legal_basis, 40),
    Column(_lazy("Query type"), lambda q: q.query_type, 14),
    Column(_lazy("Criteria"), lambda q: _criteria_text(q.criteria), 50),
    Column(_lazy("Status"), lambda q: q.get_status_display(), 16),
    Column(_lazy("Reason"), lambda q: q.reason, 40),
    Column(_lazy("Records answered"), lambda q: q.result_count, 10),
    Column(_lazy("Records matched"), lambda q: q.total_count, 10),
    Column(_lazy("Transaction"), lambda q: q.transaction_id, 20),
    Column(_lazy("Reference"), lambda q: q.reference_id, 20),
    Column(_lazy("Address"), lambda q: q.address or "", 16),
]


def _criteria_text(criteria) -> str:
    return json.dumps(criteria, ensure_ascii=False, sort_keys=True) if criteria else ""


@staff_view(MANAGE)
def agency_queries(request):
    """The query log, filtered; the same rows as CSV or XLSX (`?format=`). Reading it is
    audited: its criteria name the people searched for."""
    form = QueryFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    agency = data.get("agency")
    qs = selectors_agencies.query_list(
        actor=request.user,
        agency_id=agency.pk if agency else None,
        status=data.get("status") or "",
        since=data.get("since"),
        until=data.get("until"),
    )
    terms = {
        "agency": agency.pk if agency else None,
        "status": data.get("status"),
        "since": data["since"].isoformat() if data.get("since") else None,
        "until": data["until"].isoformat() if data.get("until") else None,
    }
    if fmt := export_format(request):  # the same rows as a file; the download is audited
        return export(
            request,
            qs=qs,
            columns=QUERY_COLUMNS,
            name="agency-queries",
            title=_("Agency queries"),
            audit=lambda n: search_log(
                actor=request.user, model=AgencyQuery, terms=terms | {"export": fmt}, shown=n
            ),
        )
    page = paginate(qs, number=request.GET.get("page"), size=settings.REGISTRY_PAGE_SIZE)
    search_log(
        actor=request.user,
        model=AgencyQuery,
        terms=terms | {"page": page.number},
        shown=len(page.items),
    )
    return render(request, "integration/agencies/queries.html", {"form": form, "page": page})
