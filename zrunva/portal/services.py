"""The portal's holding area for supporting documents: the files of an application form that
passed the checks are kept when the form is refused for another reason (a mistyped field), so
the citizen never chooses them again.

Kept on the server only, under the private media root (never served), each file under a random
name; which files belong to which form is written in the citizen's session, keyed by the form's
one-time `submission_key`. Another session, knowing a form's key or even a file's name, finds
nothing: nothing is read from disk except through the session's own entries. Files are removed
once the application is stored, when the citizen removes them, and by everyone's next refused
form once they are older than HELD_FOR (a form abandoned halfway)."""

import os
import secrets
import time

from zrunva.portal.selectors import (
    HELD_FOR,
    SESSION_KEY,
    form_key,
    held_documents,
    held_folder,
    held_path,
)

# Forms a session keeps files for at once (several tabs); the oldest is dropped beyond.
FORMS_PER_SESSION = 3


def _forms(session) -> dict:
    return dict(session.get(SESSION_KEY, {}))


def _save(session, forms: dict) -> None:
    session[SESSION_KEY] = forms
    session.modified = True


def _delete(entries: list[dict]) -> None:
    for entry in entries:
        held_path(entry).unlink(missing_ok=True)


def documents_hold(session, *, submission_key, uploads: list[tuple]) -> list[dict]:
    """Keep the (upload, Checked) pairs accepted for a refused form, for its next sending.
    Returns the form's documents now kept."""
    key = form_key(submission_key)
    if key is None or not uploads:
        return held_documents(session, submission_key=submission_key)
    documents_expire()
    folder = held_folder()
    folder.mkdir(parents=True, exist_ok=True)
    forms = _forms(session)
    entries = held_documents(session, submission_key=key)
    for upload, check in uploads:
        entry = {
            "id": secrets.token_hex(16),
            "name": (getattr(upload, "name", "") or "document")[-200:],
            "size": check.size,
            "kind": check.kind,
            "at": time.time(),
        }
        upload.seek(0)
        # Created, never overwritten (O_EXCL), readable by the server's user only.
        descriptor = os.open(held_path(entry), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
                out.write(chunk)
        upload.seek(0)
        entries.append(entry)
    forms.pop(key, None)
    forms[key] = entries  # last in the order: the most recent form
    while len(forms) > FORMS_PER_SESSION:
        oldest = next(iter(forms))
        _delete(forms.pop(oldest))
    _save(session, forms)
    return entries


def document_unhold(session, *, submission_key, document_id: str) -> None:
    """The citizen removes one kept document from their form; another session's is never
    found."""
    key = form_key(submission_key)
    forms = _forms(session)
    if key is None or key not in forms:
        return
    removed = [e for e in forms[key] if e["id"] == document_id]
    _delete(removed)
    forms[key] = [e for e in forms[key] if e["id"] != document_id]
    _save(session, forms)


def documents_release(session, *, submission_key) -> None:
    """The form's application is stored (its documents with it): its kept files go."""
    key = form_key(submission_key)
    forms = _forms(session)
    if key is None or key not in forms:
        return
    _delete(forms.pop(key))
    _save(session, forms)


def documents_expire(now: float | None = None) -> int:
    """Remove the kept files older than HELD_FOR, whoever's (an abandoned form's); returns how
    many. Run whenever files are kept, so the folder never grows past a few hours' worth."""
    now = time.time() if now is None else now
    removed = 0
    try:
        entries = list(os.scandir(held_folder()))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if entry.is_file() and now - entry.stat().st_mtime >= HELD_FOR:
                os.unlink(entry.path)
                removed += 1
        except FileNotFoundError:  # removed by another request meanwhile
            continue
    return removed
