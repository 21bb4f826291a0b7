"""Reads of the portal's holding area (zrunva.portal.services): which documents a citizen's
session keeps for one of its forms."""

import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files import File

SESSION_KEY = "portal_held_documents"
# Long enough to finish a form after a break, short enough that an abandoned form's files do
# not stay: an application form takes minutes, and the session lasts 8 hours.
HELD_FOR = 3 * 3600


def held_folder() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT) / "portal-held"


def held_path(entry: dict) -> Path:
    return held_folder() / entry["id"]


def form_key(submission_key) -> str | None:
    """The form's key as the session stores it; None for anything that is not a UUID (it comes
    from the posted form)."""
    try:
        return str(uuid.UUID(str(submission_key)))
    except (TypeError, ValueError, AttributeError):
        return None


def _fresh(entry: dict, now: float) -> bool:
    return now - entry.get("at", 0) < HELD_FOR and held_path(entry).is_file()


def held_documents(session, *, submission_key) -> list[dict]:
    """The documents kept for this session's form: [{"id", "name", "size", "kind", "at"}, ...],
    those expired or gone left out. Only the session's own entries are ever read."""
    key = form_key(submission_key)
    if key is None:
        return []
    now = time.time()
    return [e for e in session.get(SESSION_KEY, {}).get(key, []) if _fresh(e, now)]


@contextmanager
def held_files(session, *, submission_key):
    """The form's kept documents opened as files named as the citizen sent them, for
    `application_submit`, which checks them again like any upload."""
    with ExitStack() as stack:
        files = []
        for entry in held_documents(session, submission_key=submission_key):
            handle = stack.enter_context(open(held_path(entry), "rb"))  # noqa: SIM115
            files.append(File(handle, name=entry["name"]))
        yield files
