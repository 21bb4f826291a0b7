"""Reviewed records: a change proposed by one user counts only once another approves it.

A record (a catalogue provider or service) is edited through its ModelForm. Proposing keeps the
form's submitted data as a `Revision`; approving binds the same form class to that data and to
the record as it is then, and saves it. The form's rules (each in one place) are checked again
at approval, so nothing invalid is applied even if the world changed in between. Every version
is kept. A record made by a proposal exists at once, unpublished (`published` False), so that
its proposer can find it; it is public from its first approval. Those who may approve a record
have their own edits applied at once, recorded as approved by themselves.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from zrunva.core.models import Revision, RevisionStatus
from zrunva.core.trail import acting_as

EMPTY = "—"


def _submitted(form) -> dict[str, list[str]]:
    """The form's values as it read them (a valid form): every value of a multiple choice,
    the last of any other field, and a tick box as ticked or absent, so that a version shows
    exactly what approving it applies."""
    data, out = form.data, {}
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        if isinstance(field, forms.BooleanField):
            if form.cleaned_data.get(name):
                out[key] = ["on"]
        elif getattr(field.widget, "allow_multiple_selected", False):
            values = data.getlist(key) if hasattr(data, "getlist") else data.get(key, [])
            out[key] = [str(v) for v in values]
        elif key in data:
            value = data.get(key)
            out[key] = [str(value) if value is not None else ""]
    return out


def _for(record: models.Model):
    return Revision.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    )


def pending(record: models.Model) -> Revision | None:
    """The version waiting for approval, if one is."""
    return _for(record).filter(status=RevisionStatus.PENDING).first()


def versions(record: models.Model):
    """Every version, newest first, with who proposed and decided it."""
    return _for(record).select_related("proposed_by", "decided_by")


def bound(form_class, revision: Revision, **form_kwargs):
    """The record's form bound to a version's data, as it was proposed."""
    return form_class(data=MultiValueDict(revision.data), instance=revision.record, **form_kwargs)


@transaction.atomic
def revision_propose(
    *,
    actor,
    form,
    approve: bool,
    form_kwargs: dict | None = None,
    allowed: Callable[[Any, Any], bool] | None = None,
) -> Revision:
    """Keep a valid form's data as the record's waiting version (replacing one already
    waiting: one version waits at a time), and apply it at once when `approve` (the actor may
    approve this record)."""
    record = form.instance
    if record.pk is None:
        with acting_as(actor):
            record = form.save()  # unpublished until approved
    else:
        # Proposals for one record one after another: the second replaces the first's data
        # (two inserts at once would otherwise meet the one-waiting constraint).
        type(record).objects.select_for_update().filter(pk=record.pk).exists()
    # A version already waiting is kept, as replaced: every proposal stays in the history,
    # and an approver deciding on the replaced one is refused (`RecordDecide` names the one
    # it read; `_locked` refuses one no longer waiting).
    _for(record).filter(status=RevisionStatus.PENDING).update(
        status=RevisionStatus.SUPERSEDED, decided_at=timezone.now()
    )
    revision = Revision.objects.create(record=record, proposed_by=actor, data=_submitted(form))
    if approve:
        revision = revision_approve(
            actor=actor,
            revision=revision,
            form_class=type(form),
            form_kwargs=form_kwargs,
            allowed=allowed,
        )
    return revision


def _locked(revision: Revision) -> Revision:
    locked = Revision.objects.select_for_update().get(pk=revision.pk)
    if locked.status != RevisionStatus.PENDING:
        raise ValidationError(_("This version has already been decided."))
    return locked


@transaction.atomic
def revision_approve(
    *,
    actor,
    revision: Revision,
    form_class,
    form_kwargs: dict | None = None,
    allowed: Callable[[Any, Any], bool] | None = None,
) -> Revision:
    """Apply a waiting version to its record, which becomes (or stays) public. The form is
    checked again on the record as it is now: a version that no longer holds is refused with
    the form's own messages."""
    revision = _locked(revision)
    # Who may approve is asked of the record as it is and as the version would make it (a
    # change of a provider's kind or municipality is for its new approvers too).
    if allowed is not None and not allowed(
        actor, type(revision.record).objects.get(pk=revision.object_id)
    ):
        raise PermissionDenied(_("You may not approve this version."))
    form = bound(form_class, revision, **(form_kwargs or {}))
    if not form.is_valid():
        raise ValidationError(
            [
                _("This version no longer holds: %(field)s: %(message)s")
                % {
                    "field": form.fields[name].label if name in form.fields else name,
                    "message": message,
                }
                for name, messages in form.errors.items()
                for message in messages
            ]
        )
    if allowed is not None and not allowed(actor, form.instance):
        raise PermissionDenied(_("You may not approve this version."))
    with acting_as(actor):
        record = form.save(commit=False)
        record.published = True
        record.save()
        form.save_m2m()
    revision.status = RevisionStatus.APPROVED
    revision.decided_by, revision.decided_at = actor, timezone.now()
    revision.save(update_fields=["status", "decided_by", "decided_at"])
    return revision


@transaction.atomic
def revision_reject(*, actor, revision: Revision, note: str) -> Revision:
    """Refuse a waiting version, saying why; the record stays as it was."""
    if not note.strip():
        raise ValidationError({"note": _("Say why the version is rejected.")})
    revision = _locked(revision)
    revision.status = RevisionStatus.REJECTED
    revision.decided_by, revision.decided_at = actor, timezone.now()
    revision.note = note.strip()
    revision.save(update_fields=["status", "decided_by", "decided_at", "note"])
    return revision


def _shown(field, values: list[str]) -> str:
    """A submitted value as people read it: choices by their label, records by name."""
    if hasattr(field, "display"):  # a field that knows how its typed value reads
        return field.display(values) or EMPTY
    if isinstance(field, forms.BooleanField):  # an unticked box is not submitted at all
        return _("Yes") if values and values[-1] in ("on", "true", "True", "1") else _("No")
    values = [v for v in values if v not in ("", None)]
    if not values:
        return EMPTY
    queryset = getattr(field, "queryset", None)
    if queryset is not None:
        names = {str(o.pk): str(o) for o in queryset.model.objects.filter(pk__in=values)}
        return ", ".join(names.get(v, v) for v in values)
    choices = getattr(field, "choices", None)
    if choices:
        labels = {str(k): str(v) for k, v in choices}
        return ", ".join(labels.get(v, v) for v in values)
    return "; ".join(values)


def rows(
    form_class, revision: Revision, previous: Revision | None = None, **form_kwargs
) -> list[dict[str, Any]]:
    """A version's fields as label and value, marking what differs from `previous`."""
    form = form_class(instance=revision.record, **form_kwargs)
    out = []
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        value = _shown(field, revision.data.get(key, []))
        before = _shown(field, previous.data.get(key, [])) if previous else None
        out.append(
            {
                "label": field.label,
                "value": value,
                "changed": previous is not None and value != before,
            }
        )
    return out
