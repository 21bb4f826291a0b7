"""The whole API against its own OpenAPI document (schemathesis): every operation, generated
valid and invalid input, as an administrator; no server error, every response as documented.

On PostgreSQL only (`make test-postgres`): its integer and text limits are the ones production
has. Throttling is off through settings so that the portal operations are exercised, not refused.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, seed, settings
from schemathesis.config import SchemathesisConfig

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue

pytestmark = [
    pytest.mark.schemathesis,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the API schema run is on PostgreSQL"
    ),
]

UNLIMITED = 10**9


# A request the document allows may still break a rule no schema can say (an unknown programme
# code, a personal number already registered): 400, with the field named. What the document allows
# is never refused as malformed (422), and what it forbids is always refused.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
            }
        }
    }
)
# Loaded as the server answers it; schemathesis's lazy `from_fixture` does not run under pytest 9.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
)


@pytest.fixture(autouse=True)
def unthrottled_requests_in_the_test_transaction(db, settings):
    settings.PORTAL_THROTTLE = dict.fromkeys(settings.PORTAL_THROTTLE, (UNLIMITED, 3600))
    # As Django's test client does: a request must not close the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(make_user):
    _, key = api_token_issue(user=make_user(Role.ADMIN), name="schemathesis")
    return {"Authorization": f"Bearer {key}"}


@schema.parametrize()
@seed(20260301)
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_conforms_to_its_document(case, bearer):
    case.call_and_validate(headers=bearer)
