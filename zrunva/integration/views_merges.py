"""Merges: from a person's or household's page, pick the other record, see both side by side
with what would move and what stops it, confirm with a reason; a merge's page with its change
log and the undo; the list of merges."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.core.forms import add_service_errors
from zrunva.core.pagination import paginate
from zrunva.core.trail import search_log
from zrunva.integration import merges
from zrunva.integration.forms_merges import MergeFindForm, ReasonForm
from zrunva.integration.models import Merge, MergeKind
from zrunva.registry import selectors as registry

PERSON_FIELDS = [
    "personal_number",
    "alt_id_kind",
    "alt_id_number",
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "citizenship",
    "disability_degree",
    "chronic_illness",
    "is_idp",
    "pension_kind",
    "pension_amount",
    "employment_status",
    "date_of_death",
    "municipality",
]
HOUSEHOLD_FIELDS = [
    "municipality",
    "settlement",
    "address",
    "dwelling_type",
    "dwelling_tenure",
    "dwelling_condition",
    "rooms",
    "floor_area_m2",
    "cars",
    "agricultural_land_ha",
    "cattle",
    "is_active",
]


def _record(actor, kind: str, pk: int, purpose: str = "merge"):
    if kind == MergeKind.PERSON:
        return registry.person_get(actor=actor, pk=pk, purpose=purpose)
    return registry.household_get(actor=actor, pk=pk, purpose=purpose)


def _other(actor, kind: str, value: str):
    """The other record, by personal number (people) or record number, in the actor's area;
    None when there is none there (the lookup audited either way)."""
    if kind == MergeKind.PERSON and len(value) == 11:
        return registry.person_by_number(actor=actor, personal_number=value, purpose="merge")
    try:
        return _record(actor, kind, int(value))
    except (Http404, ValueError, OverflowError):
        return None


def _comparison(actor, kind: str, survivor, merged) -> list[dict]:
    names = PERSON_FIELDS if kind == MergeKind.PERSON else HOUSEHOLD_FIELDS
    if kind == MergeKind.PERSON and not permissions.sees_health(actor):
        names = [n for n in names if n not in permissions.HEALTH_FIELDS]
    model = type(survivor)
    return [
        {
            "name": name,
            "label": model._meta.get_field(name).verbose_name,
            "same": getattr(survivor, name) == getattr(merged, name),
        }
        for name in names
    ]


@staff_view(permissions.RECORDS_MERGE)
@require_http_methods(["GET", "POST"])
def merge_start(request, kind: str, pk: int):
    """Pick the other record (GET), see the preview, confirm with a reason (POST)."""
    if kind not in MergeKind.values:
        raise Http404
    this = _record(request.user, kind, pk)
    data = (
        request.POST
        if request.method == "POST"
        else (request.GET if "other" in request.GET else None)
    )
    form = MergeFindForm(data)
    reason_form = ReasonForm(request.POST if request.method == "POST" else None)
    context = {"kind": kind, "this": this, "form": form, "reason_form": reason_form}
    if form.is_valid():
        other = _other(request.user, kind, form.cleaned_data["other"])
        if other is None:
            form.add_error(
                "other",
                _("No person with this number is in your area.")
                if kind == MergeKind.PERSON
                else _("No household with this number is in your area."),
            )
        else:
            survivor, merged = (
                (this, other) if form.cleaned_data["keep"] == "this" else (other, this)
            )
            plan = merges.merge_plan(actor=request.user, survivor=survivor, merged=merged)
            context.update(
                plan=plan,
                survivor=survivor,
                merged=merged,
                comparison=_comparison(request.user, kind, survivor, merged),
            )
            if request.method == "POST" and reason_form.is_valid():
                service = (
                    merges.person_merge if kind == MergeKind.PERSON else merges.household_merge
                )
                try:
                    merge = service(
                        actor=request.user,
                        survivor=survivor,
                        merged=merged,
                        reason=reason_form.cleaned_data["reason"],
                    )
                except ValidationError as exc:
                    add_service_errors(reason_form, exc)
                else:
                    messages.success(request, _("The records are merged."))
                    return redirect("integration:merge_detail", pk=merge.pk)
    return render(request, "integration/merges/start.html", context)


@staff_view(permissions.RECORDS_MERGE)
def merge_detail(request, pk: int):
    merge = merges.merge_get(actor=request.user, pk=pk)
    return render(
        request,
        "integration/merges/detail.html",
        {
            "merge": merge,
            "changes": merges.merge_changes(merge),
            "undo_form": ReasonForm(),
        },
    )


@staff_view(permissions.RECORDS_MERGE)
@require_POST
def merge_undo(request, pk: int):
    merge = merges.merge_get(actor=request.user, pk=pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            merges.merge_undo(actor=request.user, merge=merge, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The merge is undone."))
            return redirect("integration:merge_detail", pk=merge.pk)
    return render(
        request,
        "integration/merges/detail.html",
        {"merge": merge, "changes": merges.merge_changes(merge), "undo_form": form},
        status=400,
    )


@staff_view(permissions.RECORDS_MERGE)
def merge_list(request):
    kind = request.GET.get("kind", "")
    kind = kind if kind in MergeKind.values else ""
    page = paginate(
        merges.merge_list(actor=request.user, kind=kind),
        number=request.GET.get("page"),
        size=settings.REGISTRY_PAGE_SIZE,
    )
    search_log(
        actor=request.user,
        model=Merge,
        terms={"kind": kind, "page": page.number},
        shown=len(page.items),
    )
    return render(
        request,
        "integration/merges/list.html",
        {"page": page, "kind": kind, "kinds": MergeKind.choices},
    )


def _panel(request, kind: str, pk: int):
    record = _record(request.user, kind, pk, purpose="merges")
    rows = list(merges.merge_list(actor=request.user, kind=kind, record_pk=record.pk)[:20])
    return render(
        request, "integration/merges/_panel.html", {"record": record, "kind": kind, "merges": rows}
    )


@staff_view(permissions.RECORDS_MERGE)
def person_merges(request, pk: int):
    """The person's page's panel: merges it took part in, and the way to merge it."""
    return _panel(request, MergeKind.PERSON, pk)


@staff_view(permissions.RECORDS_MERGE)
def household_merges(request, pk: int):
    return _panel(request, MergeKind.HOUSEHOLD, pk)
