import os

import pytest
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.test import Client
from django.utils import translation

from zrunva.accounts.choices import Role
from zrunva.accounts.models import User
from zrunva.geo.models import Municipality, Office

# Shared checks outside test_*.py modules report their failures as the tests' own asserts do.
pytest.register_assert_rewrite("zrunva.applications.tests.checks")

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the test
# body are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@receiver(connection_created)
def _allow_test_flush(sender, connection, **kwargs):
    """Tests that commit (transactional and browser tests) are cleaned up by a flush, which
    empties every table with TRUNCATE: the audit trail's guard lets this session's through
    (zrunva/audit/migrations/0004_truncate_guard_and_app_role.py). Tests of the guard switch it off for their transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET zrunva.allow_truncate = 'on'")


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


_reference_data: list[str] = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The reference data the migrations load (places, programmes, parameters), kept as it was
    after migrating: a browser test's committed transactions end with the tables emptied."""
    from django.db import connection

    with django_db_blocker.unblock():
        _reference_data.append(connection.creation.serialize_db_to_string())


@pytest.fixture(autouse=True)
def _browser_reference_data(request):
    """Put the reference data back before a browser test if an earlier one emptied the tables.
    (Django's serialized_rollback does this only on the connection object of the thread that
    set the database up; Playwright's event loop may give the test another.)"""
    if request.node.get_closest_marker("browser") is None:
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    from zrunva.geo.models import Municipality

    if not Municipality.objects.exists():
        from django.contrib.auth.models import Permission
        from django.contrib.contenttypes.models import ContentType

        # The flush re-created content types and permissions under new ids; take the originals.
        Permission.objects.all().delete()
        ContentType.objects.all().delete()
        ContentType.objects.clear_cache()
        connection.creation.deserialize_db_from_string(_reference_data[0])


def pytest_collection_modifyitems(config, items):
    """Browser tests last, so that no ordinary test runs on the tables they leave emptied."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
