"""The agencies' search (DCI) against its own OpenAPI document (schemathesis), with a working
agency key: generated valid and invalid messages; no server error, every answer as documented.

On PostgreSQL only (`make test-postgres`), as the staff API's run (test_schemathesis.py). The
generated header rarely names the key's agency (sender_id) or counts its searches right
(total_count), nor asks in the clear for version 1.0.0 of this registry: in the valid messages
these are set right, so that their searches reach the
registry instead of stopping at the header's checks.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, seed, settings
from schemathesis.config import SchemathesisConfig

from zrunva.assessment.tests.factories import assess
from zrunva.integration.agencies import agency_create, agency_key_issue
from zrunva.integration.models.agencies import QueryAttribute, QueryType, ReleasableField
from zrunva.registry.tests import factories

pytestmark = [
    pytest.mark.schemathesis,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the API schema run is on PostgreSQL"
    ),
]

SENDER = "schemathesis-agency"

CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "429"]}
        }
    }
)
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/dci/openapi.json", get_wsgi_application(), config=CONFIG
)


@pytest.fixture(autouse=True)
def requests_in_the_test_transaction(db):
    # As Django's test client does: a request must not close the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def agency_key(db):
    """A key of an agency that receives every field and may search every way, with no
    practical rate limit, over a few households (one scored, one enrolled)."""
    household = factories.household("kutaisi")
    factories.member(household, "child")
    assess(household, 57000)
    factories.household("zugdidi")
    agency = agency_create(
        actor=None,
        name="Schemathesis agency",
        sender_id=SENDER,
        legal_basis="The API's own test",
        contact="nobody@example.org",
        fields=list(ReleasableField.values),
        query_types=list(QueryType.values),
        predicates=list(QueryAttribute.values),
        rate_limit=100_000,
        max_results=10_000_000,
    )
    _client, key = agency_key_issue(actor=None, agency=agency, name="schemathesis")
    return {"Authorization": f"Bearer {key}"}


def _addressed(case) -> None:
    """A valid message with the key's agency as sender and its searches counted right."""
    meta = case.meta
    if meta is None or meta.generation.mode.is_negative:
        return
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("header"), dict):
        return
    searches = (body.get("message") or {}).get("search_request")
    header = {
        **body["header"],
        "version": "1.0.0",
        "sender_id": SENDER,
        "receiver_id": "zrunva",
        "is_msg_encrypted": False,
    }
    if isinstance(searches, list):
        header["total_count"] = len(searches)
    case.body = {**body, "header": header}


@schema.parametrize()
@seed(20260301)
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_agency_search_conforms_to_its_document(case, agency_key):
    _addressed(case)
    case.call_and_validate(headers=agency_key)
