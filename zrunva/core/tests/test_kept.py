import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from zrunva.core.kept import Kept

pytestmark = pytest.mark.django_db


def _counting():
    made = []

    def make():
        made.append(1)
        return len(made)

    return made, make


def test_a_value_is_made_once_per_version_and_key():
    kept, (made, make) = Kept("test-once"), _counting()
    assert kept.get("a", make) == 1 and kept.get("a", make) == 1
    assert kept.get("b", make) == 2
    kept.changed()
    assert kept.get("a", make) == 3 and len(made) == 3


def test_every_process_reads_one_version_from_the_cache():
    first, second = Kept("test-shared"), Kept("test-shared")  # two processes' objects
    assert first.version() == second.version()
    before = first.version()
    second.changed()
    assert first.version() == second.version() != before


def test_a_save_or_delete_of_a_source_drops_the_version():
    kept, (_made, make) = Kept("test-sources"), _counting()
    kept.depends_on(Group)
    kept.get("k", make)
    group = Group.objects.create(name="x")
    assert kept.get("k", make) == 2
    group.delete()
    assert kept.get("k", make) == 3
    assert kept.get("k", make) == 3


def test_the_version_is_dropped_again_after_the_commit(django_capture_on_commit_callbacks):
    """A process reading the old rows while the change is uncommitted makes a version of its
    own; the commit drops it too."""
    kept = Kept("test-commit")
    kept.depends_on(Group)
    with django_capture_on_commit_callbacks(execute=True):
        Group.objects.create(name="y")
        during = kept.version()  # another process, before the commit
    assert kept.version() != during


def test_what_is_kept_is_bounded():
    kept, (made, make) = Kept("test-bounded", size=3), _counting()
    for key in range(5):
        kept.get(key, make)
    kept.get(4, make)
    kept.get(0, make)  # dropped: made again
    assert len(made) == 6 and len(kept._values) == 3


def test_no_version_in_the_cache_means_a_new_one():
    kept = Kept("test-fresh")
    version = kept.version()
    cache.delete(kept.key)
    assert kept.version() != version
