import pytest
from django.core.cache import cache

from zrunva.core.throttle import Throttled, throttle

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
