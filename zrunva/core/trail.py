"""Writing the audit trail (django-auditlog's LogEntry), used by every app's services, views
and selectors: who changed what (attributed by `acting_as`), who opened or searched which
records, bulk runs, and denied attempts. It needs no app of ours, so every layer may write it;
the `audit` app shows the trail and answers subject-access requests.

Model changes are logged by auditlog's signals; this module adds what signals cannot see: reads
(one ACCESS row per record opened), searches (one row per search, with its terms) and bulk runs
(one row per run with its counts). The address comes from auditlog's middleware context.
"""

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass, field

from auditlog.context import auditlog_value, set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

# django-auditlog ships no Georgian catalogue; our own labels translate.
ACTION_LABELS = {
    LogEntry.Action.CREATE: _("create"),
    LogEntry.Action.UPDATE: _("update"),
    LogEntry.Action.DELETE: _("delete"),
    LogEntry.Action.ACCESS: _("access"),
}


def action_label(action: int) -> str:
    return str(ACTION_LABELS.get(action, action))


SEARCH_REPR = "search"
ATTEMPT_REPR = "attempt"


@contextlib.contextmanager
def acting_as(actor):
    """Attribute the model changes made inside the block to `actor`, at the request's address.

    auditlog's middleware only knows the session user; an API token user is known later, and
    commands and tasks have no request at all, so services name their actor explicitly.
    """
    outer = auditlog_value.get(None)
    address = outer or {}
    try:
        with set_actor(actor, address.get("remote_addr"), address.get("remote_port")):
            yield
    finally:
        # set_actor leaves its own context behind: give the request's back to the middleware,
        # or none, so that the next task in this worker (or test) is not given this address.
        auditlog_value.set(outer if outer is not None else {})


def _entry(*, actor, content_type, object_pk, object_repr, action, data) -> LogEntry:
    return LogEntry.objects.create(
        content_type=content_type,
        object_pk=str(object_pk),
        object_id=object_pk if isinstance(object_pk, int) else None,
        object_repr=object_repr[:200],
        action=action,
        actor=actor,
        actor_email=getattr(actor, "email", None) or None,
        additional_data=data,
    )


def access_log(
    *, actor, instance: models.Model, purpose: str = "view", detail: dict | None = None
) -> LogEntry:
    """One row each time staff open a person's or household's record, or download a file of
    it; `detail` says what of it when the record alone does not (a payroll's cash list: which
    post office)."""
    return _entry(
        actor=actor,
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=instance.pk,
        object_repr=str(instance),
        action=LogEntry.Action.ACCESS,
        data={**(detail or {}), "purpose": purpose},
    )


def search_log(*, actor, model: type[models.Model], terms: dict, shown: int) -> LogEntry:
    """One row per search, with its terms and how many results were shown."""
    clean = {k: v for k, v in terms.items() if v not in (None, "")}
    return _entry(
        actor=actor,
        content_type=ContentType.objects.get_for_model(model),
        object_pk="",
        object_repr=SEARCH_REPR,
        action=LogEntry.Action.ACCESS,
        data={"purpose": "search", "terms": clean, "shown": shown},
    )


def bulk_run_log(*, actor, model: type[models.Model], job: str, counts: dict) -> LogEntry:
    """One row per bulk job run (generation, imports, eligibility runs), with its counts."""
    return _entry(
        actor=actor,
        content_type=ContentType.objects.get_for_model(model),
        object_pk="",
        object_repr=job,
        action=LogEntry.Action.CREATE,
        data={"purpose": "bulk", "job": job, "counts": counts},
    )


@dataclass
class _Request:
    """The request being served, for attempts found deep in a selector: its path, and the
    attempts to write once the response is made (outside any transaction the view rolled back,
    which would take the rows with it)."""

    path: str
    pending: list[dict] = field(default_factory=list)


_request: ContextVar[_Request | None] = ContextVar("zrunva_audit_request", default=None)


@contextlib.contextmanager
def request_context(path: str):
    """Held by DenialAuditMiddleware around each request; writes the attempts found in it."""
    holder = _Request(path=path)
    token = _request.set(holder)
    try:
        yield holder
    finally:
        _request.reset(token)
        for attempt in holder.pending:
            _write_attempt(**attempt)


def attempt_logged() -> bool:
    """Whether an attempt has been recorded in the request being served."""
    holder = _request.get()
    return bool(holder and holder.pending)


def _write_attempt(*, actor, path, instance, status, reason) -> LogEntry:
    if instance is not None:
        content_type = ContentType.objects.get_for_model(instance)
        object_pk, object_repr = instance.pk, str(instance)
    else:
        content_type = ContentType.objects.get_for_model(LogEntry)
        object_pk, object_repr = "", ATTEMPT_REPR
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return _entry(
        actor=actor,
        content_type=content_type,
        object_pk=object_pk,
        object_repr=object_repr,
        action=LogEntry.Action.ACCESS,
        data={"attempt": True, "path": path, "status": status, "reason": reason},
    )


def attempt_log(
    *,
    actor,
    path: str | None = None,
    instance: models.Model | None = None,
    status: int = 403,
    reason: str = "",
) -> LogEntry | None:
    """A denied attempt (a 403, or a 404 for a record outside the actor's scope): an ACCESS row
    marked {"attempt": true} with the path, the status, the reason and the record when known.
    The actor may be anonymous (None). Inside a request the row is written when the response is
    made (see `request_context`); elsewhere (commands, tests of selectors) at once."""
    holder = _request.get()
    attempt = {
        "actor": actor,
        "path": path if path is not None else (holder.path if holder else ""),
        "instance": instance,
        "status": status,
        "reason": str(reason),
    }
    if holder is not None:
        holder.pending.append(attempt)
        return None
    return _write_attempt(**attempt)


def scoped_get(qs: QuerySet, *, actor, **lookup):
    """The one record of `qs` (a queryset already limited to what the actor may see) matching
    `lookup`, or Http404. A record that exists outside the actor's scope is a denied attempt and
    is audited naming it; a lookup that matches no record at all (a mistyped number) names
    nobody's data and is not."""
    try:
        return qs.get(**lookup)
    except qs.model.DoesNotExist:
        outside = qs.model._base_manager.filter(**lookup).first()
        if outside is not None:
            attempt_log(actor=actor, instance=outside, status=404, reason="outside scope")
        raise Http404 from None
