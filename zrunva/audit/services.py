"""Writes to the audit trail (django-auditlog's LogEntry).

Model changes are logged by auditlog's signals; this module adds what signals cannot see: reads
(one ACCESS row per record opened), searches (one row per search, with its terms) and bulk runs
(one row per run with its counts). The address comes from auditlog's middleware context.
"""

import contextlib

from auditlog.context import auditlog_value, set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models

SEARCH_REPR = "search"


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
        # set_actor leaves its own context behind; give the request's back to the middleware.
        if outer is not None:
            auditlog_value.set(outer)


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


def access_log(*, actor, instance: models.Model, purpose: str = "view") -> LogEntry:
    """One row each time staff open a person's or household's record."""
    return _entry(
        actor=actor,
        content_type=ContentType.objects.get_for_model(instance),
        object_pk=instance.pk,
        object_repr=str(instance),
        action=LogEntry.Action.ACCESS,
        data={"purpose": purpose},
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
