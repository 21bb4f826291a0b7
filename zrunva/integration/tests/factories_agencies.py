"""Builders for the other agencies' tests: an agency with its scope and key, and DCI search
messages."""

from datetime import date

from django.test import Client

from zrunva.integration.agencies import agency_create, agency_key_issue
from zrunva.integration.models import Agency

SEARCH_URL = "/api/v1/dci/registry/sync/search"
LEGAL_BASIS = "Tax Code of Georgia, Article 39 (illustrative)"

EVERY_FIELD = [
    "personal_number",
    "names",
    "birth_date",
    "sex",
    "municipality",
    "household_id",
    "household_size",
    "rating_score",
    "enrolled_programmes",
    "date_of_death",
    "disability",
]


def agency(
    *,
    name: str = "Revenue Service (test)",
    sender_id: str = "rs-ge",
    fields: list[str] | None = None,
    query_types: tuple[str, ...] = ("idtype-value", "predicate"),
    predicates: tuple[str, ...] = ("municipality", "age", "sex", "programme"),
    **extra,
) -> Agency:
    return agency_create(
        actor=None,
        name=name,
        sender_id=sender_id,
        legal_basis=LEGAL_BASIS,
        contact="data-protection@rs.example.ge",
        fields=list(fields if fields is not None else ["personal_number", "names", "birth_date"]),
        query_types=list(query_types),
        predicates=list(predicates),
        **extra,
    )


def key_for(found: Agency, *, days: int | None = None) -> tuple:
    """(the client, its key)"""
    return agency_key_issue(actor=None, agency=found, name="benefits system", days=days)


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def by_number(personal_number, **criteria) -> dict:
    return {
        "query_type": "idtype-value",
        "query": {"type": "UIN", "value": personal_number},
        **criteria,
    }


def expression(attribute: str, operator: str, value) -> dict:
    return {"attribute_name": attribute, "operator": operator, "attribute_value": value}


def by_predicates(*predicates: dict, page_size: int = 20, page_number: int = 1, **criteria):
    """A predicate search; each of `predicates` is a predicate, or an expression (made one)."""
    return {
        "query_type": "predicate",
        "query": [p if "expression1" in p else {"expression1": p} for p in predicates],
        "pagination": {"page_size": page_size, "page_number": page_number},
        **criteria,
    }


def envelope(*criteria: dict, sender_id: str = "rs-ge", **header) -> dict:
    searches = [
        {
            "reference_id": f"ref-{i}",
            "timestamp": "2026-03-01T10:00:00+04:00",
            "search_criteria": c,
        }
        for i, c in enumerate(criteria, start=1)
    ]
    return {
        "signature": "",
        "header": {
            "version": "1.0.0",
            "message_id": "msg-1",
            "message_ts": "2026-03-01T10:00:00+04:00",
            "action": "search",
            "sender_id": sender_id,
            "receiver_id": "zrunva",
            "total_count": len(searches),
            "is_msg_encrypted": False,
            **header,
        },
        "message": {"transaction_id": "txn-1", "search_request": searches},
    }


def search(key: str, body: dict, client: Client | None = None):
    """The search, its messages asked for in English (Georgian is the API's default)."""
    return (client or Client()).post(
        SEARCH_URL, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **bearer(key)
    )


def born(years_ago: int, on: date) -> date:
    """A birth date giving the age `years_ago` on `on` (born on 1 January of that year)."""
    return date(on.year - years_ago, 1, 1)


def enrol(household, programme: str, *, person=None):
    """An enrolment in force of `household` (or of `person` in it) in `programme`, as the
    workflow leaves it (its steps are the applications' tests' business)."""
    from zrunva.applications.choices import Channel, Status
    from zrunva.applications.models import Application, Enrolment
    from zrunva.applications.services import application_submit
    from zrunva.programmes.models import Programme
    from zrunva.registry.tests import factories

    applicant = person or household.memberships.get(relationship="head").person
    application = application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code=programme),
        municipality=household.municipality,
        applicant={
            "personal_number": applicant.personal_number,
            "first_name": applicant.first_name,
            "last_name": applicant.last_name,
            "birth_date": applicant.birth_date,
            "phone": "+995555000222",
        },
        consent=True,
    )
    Application.objects.filter(pk=application.pk).update(
        status=Status.ENROLLED, household=household
    )
    return Enrolment.objects.create(
        application=application,
        programme=application.programme,
        household=household,
        person=person,
        amount="60.00",
        starts=date(2023, 2, 1),
        enrolled_by=factories.system_actor(),
    )
