"""Plain records (catalogue entries, reference data): list, detail, edit, versions and approval
views declared once per kind of record by a `Records` description, as NetBox declares its
object views, instead of copied view code.

A `Records` names the model, the selector that gives what the user may see (scope applied),
the `django-filter` filter set of the list, the list's columns, the fields the detail page
shows, the edit form, and three predicates: who may open these pages, who may edit a record
(or add one), who may approve a record's waiting version. Edits go through `core.revisions`:
a proposal waits for approval unless its author may approve it. `core` knows no roles: the
app that declares the records passes its permission checks in.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from zrunva.core import revisions
from zrunva.core.pagination import paginate
from zrunva.core.text import capfirst
from zrunva.core.trail import access_log, scoped_get, search_log

PAGE_SIZE = 50


@dataclass(frozen=True)
class Column:
    """A list column: its heading and how to read it from a record; `link` makes it the link
    to the record's page."""

    label: Any
    value: Callable[[Any], Any]
    link: bool = False
    numeric: bool = False


@dataclass(frozen=True)
class Records:
    name: str  # the URL names' prefix: "<namespace>:<name>_list", …
    namespace: str
    model: type
    title: Any  # the list's heading (plural)
    selector: Callable[..., Any]  # selector(actor=) → the queryset the user may see
    filterset: type
    columns: list[Column]
    fields: list[str]  # shown on the detail page, in this order
    form: type
    can_view: Callable[[Any], bool]
    can_edit: Callable[[Any, Any], bool]  # (user, record or None for a new one)
    can_approve: Callable[[Any, Any], bool]
    add_label: Any = None
    # More (label, text) rows for the detail page: fields `detail_rows` cannot read (lists).
    more_rows: Callable[[Any], list[tuple]] = field(default=lambda obj: [])
    form_kwargs: Callable[[Any], dict] = field(default=lambda user: {})

    # The writes the edit and decide pages make, and the API with them: one set of checks.

    def get(self, *, actor, pk: int):
        """A record the actor may see, or Http404 (audited when it exists out of their reach)."""
        if not self.can_view(actor):
            raise PermissionDenied(_("Your role does not allow this action."))
        return scoped_get(self.selector(actor=actor), actor=actor, pk=pk)

    def editing(self, *, actor, obj, data):
        """The edit form bound to `data`, for a record the actor may edit (None: a new one)."""
        if not self.can_view(actor) or not self.can_edit(actor, obj):
            raise PermissionDenied(_("You may not edit this record."))
        return self.form(data=data, instance=obj, **self.form_kwargs(actor))

    def propose(self, *, actor, form) -> tuple[Any, bool]:
        """Keep a valid edit form as the record's waiting version, applied at once when the
        actor may approve the record as the change would make it. Returns the version and
        whether it is applied."""
        approve = self.can_approve(actor, form.instance)
        revision = revisions.revision_propose(
            actor=actor,
            form=form,
            approve=approve,
            form_kwargs=self.form_kwargs(actor),
            allowed=self.can_approve,
        )
        return revision, approve

    def decide(self, *, actor, obj, revision_id: int | None, approve: bool, note: str = ""):
        """Approve or reject the record's waiting version: only the one the decider read
        (`revision_id`), and only by someone who may approve the record."""
        if not self.can_approve(actor, obj):
            raise PermissionDenied(_("You may not approve this record's changes."))
        waiting = revisions.pending(obj)
        if waiting is None:
            raise ValidationError(_("Nothing is waiting for approval."))
        if revision_id != waiting.pk:
            raise ValidationError(_("The version changed since you read it; read it again."))
        if approve:
            return revisions.revision_approve(
                actor=actor,
                revision=waiting,
                form_class=self.form,
                form_kwargs=self.form_kwargs(actor),
                allowed=self.can_approve,
            )
        return revisions.revision_reject(actor=actor, revision=waiting, note=note)

    def url(self, view: str, *args) -> str:
        return reverse(f"{self.namespace}:{self.name}_{view}", args=args)

    def urls(self) -> list:
        n = self.name
        return [
            path(f"{n}s/", RecordList.as_view(records=self), name=f"{n}_list"),
            path(f"{n}s/add/", RecordEdit.as_view(records=self), name=f"{n}_add"),
            path(f"{n}s/<int:pk>/", RecordDetail.as_view(records=self), name=f"{n}_detail"),
            path(f"{n}s/<int:pk>/edit/", RecordEdit.as_view(records=self), name=f"{n}_edit"),
            path(
                f"{n}s/<int:pk>/versions/",
                RecordVersions.as_view(records=self),
                name=f"{n}_versions",
            ),
            path(f"{n}s/<int:pk>/decide/", RecordDecide.as_view(records=self), name=f"{n}_decide"),
        ]


@method_decorator([never_cache, login_required], name="dispatch")
class _RecordView(View):
    records: Records = None

    def dispatch(self, request, *args, **kwargs):
        if not self.records.can_view(request.user):
            raise PermissionDenied(_("Your role does not allow this action."))
        return super().dispatch(request, *args, **kwargs)

    def record(self, request, pk: int):
        return self.records.get(actor=request.user, pk=pk)

    def context(self, obj=None, **extra) -> dict:
        r = self.records
        links = {"list": r.url("list"), "add": r.url("add")}
        if obj is not None:
            links |= {v: r.url(v, obj.pk) for v in ("detail", "edit", "versions", "decide")}
        return {"records": r, "obj": obj, "links": links, **extra}


def detail_rows(obj, names: list[str]) -> list[tuple[str, str]]:
    """The record's fields as label and value as people read them."""
    out = []
    for name in names:
        model_field = obj._meta.get_field(name)
        value = getattr(obj, name)
        if model_field.many_to_many:
            text = ", ".join(str(o) for o in value.all()) or revisions.EMPTY
        elif model_field.choices:
            text = getattr(obj, f"get_{name}_display")() or revisions.EMPTY
        elif isinstance(value, bool):
            text = _("Yes") if value else _("No")
        elif value in (None, ""):
            text = revisions.EMPTY
        else:
            text = str(value)
        out.append((capfirst(model_field.verbose_name), text))
    return out


class RecordList(_RecordView):
    def get(self, request):
        r = self.records
        found = r.filterset(request.GET, queryset=r.selector(actor=request.user), request=request)
        page = paginate(found.qs, number=request.GET.get("page"), size=PAGE_SIZE)
        search_log(
            actor=request.user,
            model=r.model,
            terms={k: v for k, v in request.GET.items() if k != "page"} | {"page": page.number},
            shown=len(page.items),
        )
        table = [
            {
                "url": r.url("detail", obj.pk),
                "published": obj.published,
                "cells": [(c, c.value(obj)) for c in r.columns],
            }
            for obj in page.items
        ]
        return render(
            request,
            "records/list.html",
            self.context(
                form=found.form,
                page=page,
                table=table,
                can_add=r.can_edit(request.user, None),
            ),
        )


class RecordDetail(_RecordView):
    def get(self, request, pk: int):
        r = self.records
        obj = self.record(request, pk)
        access_log(actor=request.user, instance=obj)
        can_edit, can_approve = r.can_edit(request.user, obj), r.can_approve(request.user, obj)
        # A version not yet approved is shown only to those who edit or approve the record.
        waiting = revisions.pending(obj) if can_edit or can_approve else None
        return render(
            request,
            "records/detail.html",
            self.context(
                obj=obj,
                rows=detail_rows(obj, r.fields) + r.more_rows(obj),
                waiting=waiting,
                waiting_rows=revisions.rows(r.form, waiting, None, **r.form_kwargs(request.user))
                if waiting
                else None,
                can_edit=can_edit,
                can_approve=waiting is not None and can_approve,
                sees_versions=can_edit or can_approve,
            ),
        )


class RecordEdit(_RecordView):
    def get(self, request, pk: int | None = None):
        r = self.records
        obj = self.record(request, pk) if pk else None
        form = r.editing(actor=request.user, obj=obj, data=None)
        if obj is not None and (waiting := revisions.pending(obj)):
            # Editing continues from the version already waiting, not from the public one.
            form = revisions.bound(r.form, waiting, **r.form_kwargs(request.user))
        return render(request, "records/form.html", self.context(obj=obj, form=form))

    def post(self, request, pk: int | None = None):
        r = self.records
        obj = self.record(request, pk) if pk else None
        form = r.editing(actor=request.user, obj=obj, data=request.POST)
        if form.is_valid():
            try:
                revision, approve = r.propose(actor=request.user, form=form)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if approve:
                    messages.success(request, _("Saved and published."))
                else:
                    messages.success(request, _("Saved. It is public once it is approved."))
                return redirect(r.url("detail", revision.object_id))
        return render(request, "records/form.html", self.context(obj=obj, form=form))


class RecordVersions(_RecordView):
    def get(self, request, pk: int):
        r = self.records
        obj = self.record(request, pk)
        if not (r.can_edit(request.user, obj) or r.can_approve(request.user, obj)):
            raise PermissionDenied(_("You may not see this record's versions."))
        access_log(actor=request.user, instance=obj, purpose="versions")
        listed = list(revisions.versions(obj))
        kwargs = r.form_kwargs(request.user)
        shown = []
        for n, version in enumerate(listed):
            # Compared with the version approved before it (the one it would replace).
            before = next(
                (v for v in listed[n + 1 :] if v.status == revisions.RevisionStatus.APPROVED),
                None,
            )
            shown.append((version, revisions.rows(r.form, version, before, **kwargs)))
        return render(request, "records/versions.html", self.context(obj=obj, versions=shown))


class RecordDecide(_RecordView):
    def post(self, request, pk: int):
        r = self.records
        obj = self.record(request, pk)
        read = request.POST.get("revision", "")
        approve = request.POST.get("action") == "approve"
        try:
            r.decide(
                actor=request.user,
                obj=obj,
                # The version the page showed: another proposed since is not decided unread.
                revision_id=int(read) if read.isdigit() else None,
                approve=approve,
                note=request.POST.get("note", ""),
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            if approve:
                messages.success(request, _("Approved: the record is public as changed."))
            else:
                messages.success(request, _("Rejected: the record stays as it was."))
        return redirect(r.url("detail", obj.pk))
