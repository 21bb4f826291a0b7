"""The demo agency: a narrow scope, and a key that works (the one printed last)."""

from django.test import Client

from zrunva.demo.agencies import demo_agency
from zrunva.integration.models import AgencyClient
from zrunva.registry.tests import factories


def _search(key, personal_number, sender_id="rs-ge-demo", query_type="idtype-value"):
    query = (
        {"type": "UIN", "value": personal_number}
        if query_type == "idtype-value"
        else [{"expression1": {"attribute_name": "age", "operator": "ge", "attribute_value": 0}}]
    )
    body = {
        "header": {
            "message_id": "1",
            "message_ts": "2026-03-01T10:00:00Z",
            "action": "search",
            "sender_id": sender_id,
            "total_count": 1,
        },
        "message": {
            "transaction_id": "t",
            "search_request": [
                {
                    "reference_id": "r",
                    "timestamp": "2026-03-01T10:00:00Z",
                    "search_criteria": {"query_type": query_type, "query": query},
                }
            ],
        },
    }
    return Client().post(
        "/api/v1/dci/registry/sync/search",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_the_demo_agency_looks_people_up_by_number_and_learns_little(db):
    household = factories.household("kutaisi")
    head = household.memberships.get().person
    agency, first_key = demo_agency()
    agency, key = demo_agency()  # demo_setup run again: one agency, the new key works
    assert agency.fields == ["personal_number", "names", "enrolled_programmes"]
    assert AgencyClient.objects.filter(revoked_at__isnull=True).count() == 1
    assert _search(first_key, head.personal_number).status_code == 401
    answer = _search(key, head.personal_number).json()["message"]["search_response"][0]
    [record] = answer["data"]["reg_records"]
    assert set(record) == {"identifier", "name", "programmes"}
    refused = _search(key, head.personal_number, query_type="predicate").json()
    assert refused["message"]["search_response"][0]["status_reason_message"] == (
        "This agency may not search by predicate."
    )
