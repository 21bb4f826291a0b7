import os

import pytest
from django.test import Client
from django.utils import translation

from zrunva.accounts.choices import Role
from zrunva.accounts.models import User
from zrunva.geo.models import Municipality, Office

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the test
# body are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def english_messages():
    """Messages raised outside a request read in English in tests; requests pick their own."""
    with translation.override("en"):
        yield


@pytest.fixture
def make_user(db):
    def make(role: str, *, municipality: str | None = None, office: str | None = None, **extra):
        scope = {}
        if municipality:
            scope["municipality"] = Municipality.objects.get(code=municipality)
        if office:
            scope["office"] = Office.objects.get(code=office)
        name = f"{role}-{municipality or office or 'all'}-{User.objects.count()}"
        return User.objects.create_user(
            name, password="Zrunva-test-pass-1", role=role, **scope, **extra
        )

    return make


@pytest.fixture
def login_as(make_user):
    """A test client signed in as a new user with the role and scope given."""

    def login(role: str, **scope) -> Client:
        client = Client()
        client.user = make_user(role, **scope)
        client.force_login(client.user)
        return client

    return login


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser; no calls home from a closed network."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }
