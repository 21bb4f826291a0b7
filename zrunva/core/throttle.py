"""Limits on public forms, instead of a captcha: at most N requests per window for a key (an
address, a personal number). Counted in the default cache, which is the database cache, so all
server processes share the counts."""

import hashlib
import math
import time
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")


def _now() -> float:
    return time.time()


class Throttled(Exception):
    """Too many requests for one key; `retry_after` seconds until the window ends."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def _key(name: str, value: str) -> str:
    # Hashed: personal numbers and addresses are not kept in the cache table in the clear.
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{name}:{value}".encode()).hexdigest()
    return f"throttle:{name}:{digest[:32]}"


def client_address(request) -> str:
    """The client's address. Behind the TLS proxy the production settings trust, its
    X-Forwarded-For's last hop; otherwise the socket's."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def person_key(personal_number: str, phone: str = "", email: str = "") -> str:
    """The key a public form's per-person limit counts under: the personal number together with
    the contact details given. Counted on the personal number alone, anyone who knows it could
    use up the person's own attempts for the day (the status check's lesson, issue 9 #14); a
    stranger spamming in someone's name must change the contact details every few forms, and
    is held by the per-address limit as well. No personal number: nothing counted."""
    personal_number = (personal_number or "").strip()
    if not personal_number:
        return ""
    digits = "".join(c for c in phone or "" if c.isdigit())
    return f"{personal_number}|{digits[-9:]}|{(email or '').strip().lower()}"


def throttle(name: str, value: str, *, limit: tuple[int, int] | None = None) -> None:
    """Count one request for `value` under the limit `settings.PORTAL_THROTTLE[name]` (or
    `limit`, (requests, seconds), for a limit kept elsewhere: an agency's own); raise Throttled
    when it is over. An empty value (no personal number given yet) is not counted."""
    if not value:
        return
    limit, window = limit or settings.PORTAL_THROTTLE[name]
    key = _key(name, value)
    now = _now()
    # The count is kept with its window's end: cache.incr() would re-save it with the default
    # timeout and so shorten every window to 5 minutes. Two requests at the same instant may
    # count once (read, then write): a limit, not an exact tally.
    count, ends = cache.get(key) or (0, now + window)
    if ends <= now:
        count, ends = 0, now + window
    count += 1
    cache.set(key, (count, ends), timeout=max(1, math.ceil(ends - now)))
    if count > limit:
        raise Throttled(max(1, math.ceil(ends - now)))


def throttle_address(request, name: str) -> None:
    """One public submission counted against the client's address (`<name>_address`): on a
    page, as soon as the form is sent, so that a flood of broken forms is held too."""
    throttle(f"{name}_address", client_address(request))


def throttle_person(name: str, *, personal_number: str, phone: str = "", email: str = ""):
    """One public submission counted against the person with the contact details given
    (`<name>_person`, see `person_key`), once its form is valid. Raises Throttled."""
    throttle(f"{name}_person", person_key(personal_number, phone, email))


def throttle_submission(
    request, name: str, *, personal_number: str = "", phone: str = "", email: str = ""
) -> None:
    """A public submission through the API (an application, a grievance), its schema valid:
    counted against the client's address (`<name>_address`) and the person (`throttle_person`).
    The pages count the same two (`throttle_address` when the form is sent, `throttle_person`
    once it is valid), so a page and its API twin share one budget. Raises Throttled."""
    throttle_address(request, name)
    throttle_person(name, personal_number=personal_number, phone=phone, email=email)


def throttled_lookup(request, *, number: str, find: Callable[[], T | None]) -> T | None:
    """A public lookup by a number and a personal number (an application's status, a
    grievance's): what `find()` finds, or None. Every lookup counts against the client's address
    ("status_address"); only a failed one (a wrong personal number, or no such number: the same
    answer) counts against the number ("status_number"). So whoever tries personal numbers for a
    number is refused after the limit, while its owner, whose pair is right, is never locked out
    by them. Raises Throttled. `number` is the stored form, so every spelling counts as one."""
    throttle("status_address", client_address(request))
    found = find()
    if found is None:
        throttle("status_number", number)
    return found


def throttled_response(request, error: Throttled, *, back: str, back_label: str):
    """The page a throttled public form answers with: 429, with when to come back."""
    from django.shortcuts import render

    response = render(
        request, "portal/throttled.html", {"back": back, "back_label": back_label}, status=429
    )
    response["Retry-After"] = str(error.retry_after)
    return response


def throttled_page(*, back: str, back_label):
    """A public page whose limits (`throttle_address`, `throttle_person`, `throttled_lookup`)
    answer with the 429 page, linking back to `back` (a URL name)."""
    from django.urls import reverse

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except Throttled as error:
                return throttled_response(request, error, back=reverse(back), back_label=back_label)

        return wrapped

    return decorator
