"""Logs: one JSON object per line in production (`LOG_FORMAT=json`), a request id on every
line, and no personal data.

- `RequestIdMiddleware` takes the reverse proxy's `X-Request-ID` when it is a sane token
  (`REQUEST_ID`), or makes one; it answers with it in the same header, keeps it in a context
  variable for the request, and writes one line per request (logger `zrunva.request`: method,
  path, status, duration in ms, the user's id — never their name).
- `RequestIdFilter`, on the handlers, puts that id on every record (`request_id`); the worker's
  tasks get `task-<id>` the same way (`task_started` below), so a task's lines can be found.
- `JsonFormatter` leaves out the `request` object Django's own loggers attach to a record: its
  text carries the query string, where a search's personal number travels.
- `DjangoPathFilter` masks personal numbers and phones in the URL paths Django's loggers put in
  their messages ("Not Found: /registry/subject-access/number/…/"), and both formatters mask
  tracebacks, which quote the database's messages.

Nothing here masks the messages the project's code logs: the code logs no personal data (ids and
counts), and `zrunva/core/tests/test_logs.py` scans the logs of the main journeys for it.
"""

import logging
import re
import secrets
import time
from contextvars import ContextVar

from django.utils.functional import SimpleLazyObject, empty
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

request_id: ContextVar[str] = ContextVar("request_id", default="-")

# What a proxy's id may look like: nginx's $request_id (32 hex), a UUID, a trace id. Anything
# else (too long, spaces, quotes, line breaks that would forge a log line) is replaced.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")

# Eleven or more digits in a row (a personal number, or one inside a longer run), and phone
# numbers as typed: a + or a digit, then digits with spaces, dots, brackets or dashes, nine
# digits at least (a Georgian mobile without its country code has nine).
_NUMBER = re.compile(r"\d{11,}")
_PHONE = re.compile(r"\+?\d(?:[\s().-]*\d){8,}")
_EMAIL = re.compile(r"[^\s@/<>\"']+@[^\s@/<>\"']+\.[A-Za-z]{2,}")

request_logger = logging.getLogger("zrunva.request")
# Probes and scrapes, every few seconds: their request lines at DEBUG, not to bury the others.
QUIET_PATHS = ("/healthz", "/readyz", "/metrics")


def mask(text: str) -> str:
    """`text` with personal numbers, phone numbers and e-mail addresses replaced."""
    text = _EMAIL.sub("[e-mail]", text)
    text = _NUMBER.sub("[number]", text)
    return _PHONE.sub("[phone]", text)


def new_request_id() -> str:
    """A fresh id: URL-safe base64 (its digits rarely run long, unlike hex: an id is never
    mistaken for a personal number by a log scan)."""
    return secrets.token_urlsafe(15)


class RequestIdFilter(logging.Filter):
    """Puts the current request's (or task's) id on every record, as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class DjangoPathFilter(logging.Filter):
    """Masks personal data in the arguments of Django's own records, which carry the URL path
    ("Not Found: %s", "Forbidden (%s): %s"); a path may hold a personal number."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.") and record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(mask(a) if isinstance(a, str) else a for a in args)
        return True


class MaskedTracebacks:
    """A traceback is the one text the code does not write: the database's own message can
    quote a value ("Key (personal_number)=(…) already exists"), so tracebacks are masked.
    Another handler's cached, unmasked text (`exc_text`) is not reused."""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None
        return super().format(record)

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        return mask(super().formatException(ei))


class PlainFormatter(MaskedTracebacks, logging.Formatter):
    pass


class JsonFormatter(MaskedTracebacks, BaseJsonFormatter):
    """python-json-logger's, without the request object Django attaches (`request`: its text
    holds the query string)."""

    def __init__(self, *args, **kwargs):
        from pythonjsonlogger.core import RESERVED_ATTRS

        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)


def _user_id(request) -> int | None:
    """The signed-in user's id, if something already looked them up (the log line adds no
    query of its own)."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


class RequestIdMiddleware:
    """The request's id, in and out (X-Request-ID), in every log line, and one line per
    request. First in MIDDLEWARE: every other middleware's lines carry the id."""

    header = "X-Request-ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(self.header, "")
        current = given if REQUEST_ID.fullmatch(given) else new_request_id()
        request.request_id = current
        # Kept until the response is closed (`request_finished`), not reset on the way out:
        # Django logs an error response ("Not Found: …") after the last middleware returns.
        request_id.set(current)
        started = time.monotonic()
        response = self.get_response(request)
        response[self.header] = current
        request_logger.log(
            logging.DEBUG if request.path.startswith(QUIET_PATHS) else logging.INFO,
            "%s %s %s",
            request.method,
            mask(request.path),
            response.status_code,
            extra={
                "method": request.method,
                "path": mask(request.path),
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
                "user_id": _user_id(request),
            },
        )
        return response


def request_finished(sender, **kwargs) -> None:
    """The response is closed: lines written now belong to no request."""
    request_id.set("-")


# The worker's tasks: the id is `task-<the task result's id>` while the task runs, unless the
# task runs inside a request (the immediate backend), which keeps the request's.
_task_tokens: dict[str, object] = {}


def task_started(sender, task_result, **kwargs) -> None:
    if request_id.get() == "-":
        _task_tokens[str(task_result.id)] = request_id.set(f"task-{task_result.id}")


def task_finished(sender, task_result, **kwargs) -> None:
    token = _task_tokens.pop(str(task_result.id), None)
    if token is not None:
        request_id.reset(token)


FORMATS = {
    "json": {
        "()": "zrunva.core.logs.JsonFormatter",
        "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
        "rename_fields": {"levelname": "level", "name": "logger"},
        "timestamp": "time",
    },
    "plain": {
        "()": "zrunva.core.logs.PlainFormatter",
        "fmt": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s",
    },
}


def logging_config(log_format: str, level: str) -> dict:
    """The LOGGING setting: one handler on standard error, in `log_format` ("json" or
    "plain"), with the request id and Django's paths masked."""
    if log_format not in FORMATS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}."
        )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "zrunva.core.logs.RequestIdFilter"},
            "django_paths": {"()": "zrunva.core.logs.DjangoPathFilter"},
        },
        "formatters": {log_format: FORMATS[log_format]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id", "django_paths"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Their DEBUG lines print SQL with its parameters, and a template's whole context
            # (the request with its query string, the user, the records shown).
            "django.db.backends": {"level": "WARNING"},
            "django.template": {"level": "INFO"},
            # runserver (`make demo`) prints its own line per request; the plain format is
            # for reading there, so ours would only double it.
            **({"zrunva.request": {"level": "WARNING"}} if log_format == "plain" else {}),
        },
    }


def axes_client(username, ip_address, user_agent, path_info, request) -> str:
    """How django-axes names a client in its log lines (AXES_CLIENT_STR_CALLABLE): by the
    sign-in page only. Who it was is in axes' attempts table and the audit trail, and the
    line's request id leads to the request."""
    return f"a client at {mask(str(path_info or '-'))}"
