import pytest
from django.core.cache import cache

from zrunva.core.throttle import Throttled, throttle, throttled_lookup

pytestmark = pytest.mark.django_db


def test_a_window_keeps_its_length_and_the_count_resets_after_it(settings, monkeypatch):
    settings.PORTAL_THROTTLE = {"apply_address": (2, 3600)}
    clock = [1_000_000.0]
    monkeypatch.setattr("zrunva.core.throttle._now", lambda: clock[0])
    throttle("apply_address", "10.0.0.1")
    clock[0] += 1800  # half an hour later: still the same window
    throttle("apply_address", "10.0.0.1")
    with pytest.raises(Throttled) as error:
        throttle("apply_address", "10.0.0.1")
    assert 1790 <= error.value.retry_after <= 1800
    throttle("apply_address", "10.0.0.2")  # another address has its own count
    clock[0] += 1801  # the window has ended
    throttle("apply_address", "10.0.0.1")


def test_counters_are_not_culled_at_djangos_default():
    assert cache._max_entries >= 1_000_000


def test_a_lookup_counts_only_its_failures_against_the_number(settings, rf):
    settings.PORTAL_THROTTLE = {"status_address": (100, 3600), "status_number": (2, 3600)}
    request = rf.post("/", REMOTE_ADDR="10.0.0.1")
    assert throttled_lookup(request, number="ZR-1", find=lambda: None) is None
    assert throttled_lookup(request, number="ZR-1", find=lambda: None) is None
    with pytest.raises(Throttled):
        throttled_lookup(request, number="ZR-1", find=lambda: None)
    # Over the limit for failures, a lookup that finds is still answered, as often as asked.
    for _ in range(5):
        assert throttled_lookup(request, number="ZR-1", find=lambda: "found") == "found"
    assert throttled_lookup(request, number="ZR-2", find=lambda: None) is None


def test_a_lookup_counts_every_request_against_the_address(settings, rf):
    settings.PORTAL_THROTTLE = {"status_address": (2, 3600), "status_number": (100, 3600)}
    request = rf.post("/", REMOTE_ADDR="10.0.0.1")
    found = []
    for _ in range(2):
        found.append(throttled_lookup(request, number="ZR-1", find=lambda: "found"))
    with pytest.raises(Throttled):
        throttled_lookup(request, number="ZR-1", find=lambda: found.append("looked up"))
    assert found == ["found", "found"]  # refused before looking
