"""Logs: one JSON object per line with the request's id, and no personal data in the lines the
main journeys write (the log scan of issue 19)."""

import io
import json
import logging
import re
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from django.utils.module_loading import import_string

from zrunva.accounts.choices import Role
from zrunva.accounts.models import User
from zrunva.core import logs
from zrunva.geo.models import Municipality
from zrunva.notifications.tests.factories import queued_message
from zrunva.portal.tests.factories import application_body, application_form
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "Zrunva-test-pass-1"
APPLICANT = "01001012345"  # the portal's applicant
COMPLAINANT = "01001077777"  # the grievance's
HEAD = "01024081234"  # a household head in the registry
PHONES = ["555 12 34 56", "+995 555 98 76 54"]
EMAILS = ["applicant@example.ge", "n.beridze@ssa.example.ge", "nino.b@ssa.example.ge"]


def _handler(log_format: str, stream) -> logging.Handler:
    """A handler built as settings.LOGGING builds its own (`logs.logging_config`): the same
    formatter and filters, writing to `stream`."""
    config = logs.logging_config(log_format, "DEBUG")
    handler = logging.StreamHandler(stream)
    formatter = dict(config["formatters"][log_format])
    handler.setFormatter(import_string(formatter.pop("()"))(**formatter))
    for name in config["handlers"]["console"]["filters"]:
        handler.addFilter(import_string(config["filters"][name]["()"])())
    return handler


@pytest.fixture
def captured():
    """Everything every logger writes at DEBUG (but for the loggers the configuration keeps
    higher, for the reasons written there), through the JSON and the plain formatters: a
    function returning what was written so far."""
    streams = {"json": io.StringIO(), "plain": io.StringIO()}
    handlers = [_handler(name, stream) for name, stream in streams.items()]
    loggers = [logging.getLogger()] + [
        each
        for each in logging.root.manager.loggerDict.values()
        if isinstance(each, logging.Logger)
    ]
    saved = [(each, each.level, each.disabled) for each in loggers]
    for each in loggers:
        each.setLevel(logging.DEBUG)
        each.disabled = False
    for name, pinned in logs.logging_config("json", "DEBUG")["loggers"].items():
        saved.append((logging.getLogger(name), logging.getLogger(name).level, False))
        logging.getLogger(name).setLevel(pinned["level"])
    for handler in handlers:
        logging.getLogger().addHandler(handler)
    try:
        yield lambda: {name: stream.getvalue() for name, stream in streams.items()}
    finally:
        for handler in handlers:
            logging.getLogger().removeHandler(handler)
        for each, level, disabled in saved:
            each.setLevel(level)
            each.disabled = disabled


def personal_data(text: str) -> list[str]:
    """What in `text` is a personal number (any run of 11 or more digits, the fixtures' above
    all), a phone of the fixtures however it is spaced, an international Georgian number or an
    e-mail address."""
    found = re.findall(r"\d{11,}", text)
    for phone in PHONES:
        digits = re.sub(r"\D", "", phone)[-9:]
        pattern = r"[\s().-]*".join(digits)
        found += re.findall(pattern, text)
    found += re.findall(r"\+995", text)
    found += re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    return found


def _around(text: str) -> list[str]:
    """The lines the scan objects to, for the failure's message."""
    return [line[:300] for line in text.splitlines() if personal_data(line)]


def test_the_main_journeys_log_no_personal_data(
    captured, client, django_capture_on_commit_callbacks
):
    household = factories.household(head={"personal_number": HEAD})
    person = household.memberships.get().person
    officer = User.objects.create_user(
        EMAILS[1], email=EMAILS[2], password=PASSWORD, role=Role.SOCIAL_WORKER
    )
    # A citizen applies on the portal, giving a personal number, a phone and an e-mail; the
    # outbox sends the confirmations (the SMS through the console sender, production's default
    # until a gateway is configured).
    form = application_form(personal_number=APPLICANT, phone=PHONES[0], email=EMAILS[0])
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(reverse("portal:apply"), form | {"documents": []})
    assert applied.status_code == 302
    # A grievance filed on the portal.
    kutaisi = Municipality.objects.get(code="kutaisi")
    grievance = {
        "personal_number": COMPLAINANT,
        "first_name": "ნინო",
        "last_name": "ბერიძე",
        "phone": PHONES[1],
        "email": "",
        "language": "en",
        "category": "payment",
        "application": "",
        "reference": "",
        "text": "The November payment did not arrive.",
        "municipality": kutaisi.pk,
    }
    with django_capture_on_commit_callbacks(execute=True):
        filed = client.post(reverse("portal_grievances:file"), grievance)
    assert filed.status_code == 302
    # The portal's API refuses a bad personal number.
    body = application_body()
    body["applicant"] |= {"personal_number": "0100101234", "phone": PHONES[0]}
    refused = client.post(
        "/api/v1/portal/applications", json.dumps(body), content_type="application/json"
    )
    assert refused.status_code in (400, 422)
    # Staff sign in (an e-mail as the user name): a wrong password, then the right one.
    staff = Client()
    login = "/en/accounts/login/"
    assert staff.post(login, {"username": EMAILS[1], "password": "wrong"}).status_code == 200
    assert staff.post(login, {"username": EMAILS[1], "password": PASSWORD}).status_code == 302
    # A search by personal number, on the page and through the API; the person's page; the
    # subject-access page by number, which this officer may not open (Django logs its path).
    assert staff.get("/en/registry/people/", {"q": HEAD}).status_code == 200
    assert staff.get("/api/v1/people", {"q": HEAD}).status_code == 200
    assert staff.get(f"/en/registry/people/{person.pk}/").status_code == 200
    denied = staff.get(f"/en/registry/subject-access/number/{HEAD}/")
    assert denied.status_code in (403, 404)

    written = captured()
    assert officer.pk and written["json"] and written["plain"]
    for log_format, text in written.items():
        assert personal_data(text) == [], (log_format, _around(text))
    # The lines are there to be scanned: the journeys' requests, Django's refusal, the sender.
    lines = [json.loads(line) for line in written["json"].splitlines()]
    requests = [line for line in lines if line["logger"] == "zrunva.request"]
    paths = {line["path"] for line in requests}
    assert {"/en/portal/apply/", "/api/v1/people", "/en/registry/people/"} <= paths
    assert any(line["logger"] == "django.request" for line in lines)
    assert any(line["logger"] == "zrunva.notifications.senders" for line in lines)
    assert any(line.get("user_id") == officer.pk for line in requests)

    # The scan can fail: a number, a phone and an e-mail logged on purpose are caught.
    logging.getLogger("zrunva.test").warning("found %s at %s, %s", HEAD, PHONES[1], EMAILS[0])
    for text in captured().values():
        assert personal_data(text) == [HEAD, "555 98 76 54", "+995", EMAILS[0]]


# -- The request id and the JSON lines ----------------------------------------------------


def test_a_request_line_in_json_with_the_proxys_id(captured, login_as):
    client = login_as(Role.SOCIAL_WORKER)
    response = client.get(
        "/en/registry/people/", {"q": "giorgi"}, HTTP_X_REQUEST_ID="3f2a9c1e0b7d4e6f"
    )
    assert response["X-Request-ID"] == "3f2a9c1e0b7d4e6f"
    lines = [json.loads(line) for line in captured()["json"].splitlines()]
    (line,) = [each for each in lines if each["logger"] == "zrunva.request"]
    assert line["request_id"] == "3f2a9c1e0b7d4e6f"
    assert line["level"] == "INFO" and line["time"]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/en/registry/people/", 200)
    assert line["user_id"] == client.user.pk and client.user.username not in json.dumps(line)
    assert isinstance(line["duration_ms"], float)
    assert "request" not in line  # Django's request object, with its query string


@pytest.mark.parametrize(
    "given",
    ["short", "has space inside", "x" * 129, "line\nbreak-forged", 'quote"d-identifier'],
)
def test_an_id_that_is_not_a_sane_token_is_replaced(client, given):
    response = client.get("/portal/", HTTP_X_REQUEST_ID=given)
    made = response["X-Request-ID"]
    assert made != given and logs.REQUEST_ID.fullmatch(made)


def test_every_line_of_a_request_carries_its_id(captured, client):
    """Django's own "Not Found" line and ours: the same id, the one sent back."""
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    lines = [json.loads(line) for line in captured()["json"].splitlines()]
    ids = {line["logger"]: line["request_id"] for line in lines}
    assert ids["django.request"] == ids["zrunva.request"] == response["X-Request-ID"]
    plain = captured()["plain"]
    assert f"[{response['X-Request-ID']}]" in plain


def test_a_task_run_by_the_worker_logs_under_its_own_id(captured):
    """Outside a request (the worker), a task's lines carry `task-<id>`; afterwards, none."""
    from zrunva.notifications.tasks import outbox_send

    queued_message()
    result = outbox_send.enqueue()
    logging.getLogger("zrunva.test").warning("after the task")
    lines = [json.loads(line) for line in captured()["json"].splitlines()]
    sender = [line for line in lines if line["logger"] == "zrunva.notifications.senders"]
    assert [line["request_id"] for line in sender] == [f"task-{result.id}"]
    assert lines[-1]["request_id"] == "-"


def test_a_task_run_inside_a_request_keeps_the_requests_id():
    token = logs.request_id.set("from-the-request")
    try:
        logs.task_started(None, task_result=SimpleNamespace(id="1"))
        assert logs.request_id.get() == "from-the-request"
        logs.task_finished(None, task_result=SimpleNamespace(id="1"))
        assert logs.request_id.get() == "from-the-request"
    finally:
        logs.request_id.reset(token)


def test_the_log_format_is_checked():
    assert logs.logging_config("json", "INFO")["handlers"]["console"]["formatter"] == "json"
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT must be one of json, plain"):
        logs.logging_config("xml", "INFO")


def test_mask():
    text = "pn 01001012345, tel +995 555 12-34-56 or 555123456, mail a.b@example.ge, id 42"
    assert logs.mask(text) == "pn [number], tel [phone] or [phone], mail [e-mail], id 42"


def test_a_traceback_quoting_the_database_is_masked(captured):
    """PostgreSQL's message for a duplicate key quotes the value."""
    try:
        raise ValueError(f"DETAIL:  Key (personal_number)=({HEAD}) already exists.")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: /registry/")
    for text in captured().values():
        assert "Key (personal_number)=([number]) already exists." in text
        assert personal_data(text) == []


def test_probes_and_scrapes_log_their_request_lines_at_debug(captured, client):
    client.get("/metrics")
    client.get("/portal/")
    lines = [json.loads(line) for line in captured()["json"].splitlines()]
    levels = {line["path"]: line["level"] for line in lines if line["logger"] == "zrunva.request"}
    assert levels["/metrics"] == "DEBUG" and levels["/portal/"] == "INFO"
