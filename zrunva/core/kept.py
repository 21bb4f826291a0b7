"""Values worked out once per process and kept while what they are made from is unchanged.

A `Kept` names a version of its sources, shared by every process through the cache; a save or
delete of a source (connected with `depends_on`) drops the version, so every process works its
values out again on its next read. The values themselves stay in each process (bounded, least
recently used first out): they may be objects the cache could not store, and reading them
costs no query beyond the version's.

The version is dropped twice: at once, so that the rest of the changing transaction (and a
test, whose transaction never commits) reads afresh, and again after the commit, so that a
process that read the old rows while the change was uncommitted cannot keep them under the
version that follows it.
"""

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save


class Kept:
    def __init__(self, name: str, *, size: int = 256):
        self.key = f"kept:{name}:version"
        self.size = size
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def version(self) -> str:
        """The sources' version, shared by every process (one cache read)."""
        version = cache.get(self.key)
        if version is None:  # the first read since a change: this process names the new one
            version = uuid.uuid4().hex
            if not cache.add(self.key, version, timeout=None):
                version = cache.get(self.key) or version  # another process was first
        return version

    def changed(self, **_kwargs) -> None:
        """A source changed (a signal receiver): the values kept are not read again."""
        cache.delete(self.key)
        transaction.on_commit(lambda: cache.delete(self.key))

    def get(self, key: Hashable, make: Callable[[], object], *, version: str | None = None):
        """The value kept for `key` under the sources' current version, or `make()`'s."""
        full = (version or self.version(), key)
        with self._lock:
            if full in self._values:
                self._values.move_to_end(full)
                return self._values[full]
        value = make()
        with self._lock:
            self._values[full] = value
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def depends_on(self, *models, m2m: tuple = ()) -> None:
        """Drop the version on any save or delete of these models, and any change of these
        many-to-many tables (`Model.field.through`). Called from an app's `ready()`."""
        for model in models:
            for signal in (post_save, post_delete):
                signal.connect(
                    self.changed,
                    sender=model,
                    dispatch_uid=f"{self.key}:{signal is post_save}:{model._meta.label}",
                )
        for through in m2m:
            m2m_changed.connect(
                self.changed, sender=through, dispatch_uid=f"{self.key}:m2m:{through._meta.label}"
            )
