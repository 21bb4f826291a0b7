"""Reads that may go to a read replica (issue 19, item 5).

When `DATABASE_REPLICA_URL` is set, settings add a `replica` database alias and name it in
`DATABASE_REPLICA`; `ReplicaRouter` (in `DATABASE_ROUTERS`) then sends a read to the replica
only when all of these hold, and to the primary (`default`) otherwise:

- the code asked for it explicitly, inside `reading_replica()` (a context manager, or the
  `replica_reads` view decorator, which enters it for GET and HEAD requests only): the
  dashboards, the open-data pages and their downloads, which read aggregates and tolerate a
  replica some seconds behind the primary;
- no transaction is open on the primary: what a transaction reads must be what it writes on;
- nothing has been written inside the block yet: once it writes (an audit row of the read),
  its later reads come from the primary, which has its own write;
- the model is not one whose staleness would be unsafe or wrong: sessions, users and their
  grants, lockouts, second factors and the cache (whose throttle counters are written by the
  same requests that read them).

Writes always go to the primary, migrations never run on the replica (it copies the
primary's schema), and relations between objects read from either are allowed (they are the
same database).
Everything a user writes and is then shown (a POST that redirects to the page of what it
saved) is outside such a block and reads from the primary.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.db import connections

PRIMARY = "default"
REPLICA = "replica"

# Apps whose rows are read from the primary even inside a `reading_replica()` block: a stale
# session, user, grant, lockout or second factor is a security fault, and the database cache
# holds throttle counters the same request increments.
PRIMARY_ONLY_APPS = frozenset(
    {
        "accounts",
        "auth",
        "axes",
        "django_cache",
        "otp_static",
        "otp_totp",
        "django_otp",
        "sessions",
        "django_tasks_db",
    }
)


@dataclass
class _Block:
    wrote: bool = False


_block: ContextVar[_Block | None] = ContextVar("reading_replica", default=None)


def replica_alias() -> str | None:
    """The replica's alias when one is configured, else None."""
    alias = getattr(settings, "DATABASE_REPLICA", "")
    return alias if alias and alias in settings.DATABASES else None


@contextmanager
def reading_replica() -> Iterator[None]:
    """Let the reads inside go to the replica (`ReplicaRouter` says when they do). Nested
    blocks share the outer one's state."""
    if _block.get() is not None:
        yield
        return
    token = _block.set(_Block())
    try:
        yield
    finally:
        _block.reset(token)


def replica_reads(view):
    """A view whose GET and HEAD requests read from the replica (`reading_replica`); any other
    method writes, and reads from the primary."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with reading_replica():
            return view(request, *args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Reads inside `reading_replica()` to the replica when safe (the module's docstring);
    everything else to the primary."""

    def db_for_read(self, model, **hints):
        block = _block.get()
        if block is None or block.wrote:
            return PRIMARY
        alias = replica_alias()
        if alias is None or model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return alias

    def db_for_write(self, model, **hints):
        block = _block.get()
        if block is not None:
            block.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        alias = replica_alias()
        aliases = {PRIMARY, alias} if alias else {PRIMARY}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica copies the primary's schema; other aliases (a restore's target) are
        # left to Django's default.
        if db in (REPLICA, getattr(settings, "DATABASE_REPLICA", "")):
            return False
        return None
