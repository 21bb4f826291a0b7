"""Other agencies' search (DCI sync search): what each agency receives (its field scope and
nothing else), what it may ask, who is refused (unknown, revoked, expired keys, staff tokens,
the rate limit), that every query is logged with its legal basis, and the DPO's pages."""

import json
from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.accounts.services import api_token_issue
from zrunva.assessment.tests.factories import assess
from zrunva.audit.subject_access import Subject
from zrunva.integration import agencies as services
from zrunva.integration.models import Agency, AgencyClient, AgencyDisclosure, AgencyQuery
from zrunva.integration.selectors_agencies import subject_access_disclosures
from zrunva.integration.tests import factories_agencies as af
from zrunva.registry.models import Person
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def records(response, index: int = 0) -> list[dict]:
    return response.json()["message"]["search_response"][index]["data"]["reg_records"]


def answer(response, index: int = 0) -> dict:
    return response.json()["message"]["search_response"][index]


@pytest.fixture
def kutaisi_family():
    """A household in Kutaisi: the head (45), a spouse (40), a child (10); scored 57,000."""
    household = factories.household("kutaisi", head={"birth_date": af.born(45, TODAY), "sex": "M"})
    factories.member(household, "spouse", birth_date=af.born(40, TODAY), sex="F")
    factories.member(household, "child", birth_date=af.born(10, TODAY), sex="F")
    assess(household, 57000)
    return household


def head_of(household) -> Person:
    return household.memberships.get(relationship="head").person


# -- Searching by personal number ----------------------------------------------------------------


def test_search_by_personal_number_answers_the_scoped_fields(kutaisi_family):
    agency = af.agency(fields=af.EVERY_FIELD)
    _client, key = af.key_for(agency)
    head = head_of(kutaisi_family)
    response = af.search(key, af.envelope(af.by_number(head.personal_number)))
    assert response.status_code == 200
    body = response.json()
    assert body["header"]["action"] == "on-search"
    assert body["header"]["status"] == "succ"
    assert body["header"]["receiver_id"] == "rs-ge"
    assert body["header"]["total_count"] == body["header"]["completed_count"] == 1
    assert body["message"]["transaction_id"] == "txn-1"
    item = answer(response)
    assert item["status"] == "succ" and item["reference_id"] == "ref-1"
    assert item["pagination"] == {"page_size": 20, "page_number": 1, "total_count": 1}
    assert item["data"]["reg_type"] == "ns:org:RegistryType:Social"
    assert item["data"]["reg_record_type"] == "Person"
    [record] = item["data"]["reg_records"]
    assert record == {
        "identifier": {"identifier_type": "UIN", "identifier_value": head.personal_number},
        "name": {
            "given_name": head.first_name,
            "surname": head.last_name,
            "given_name_latin": head.first_name_latin,
            "surname_latin": head.last_name_latin,
        },
        "birth_date": head.birth_date.isoformat(),
        "sex": "male",
        "address": {
            "sub_region_code": "kutaisi",
            "sub_region_name": "Kutaisi",
            "region_code": "GE-IM",
            "country_code": "GE",
        },
        "household_identifier": str(kutaisi_family.pk),
        "household_size": 3,
        "poverty_score": 57000,
        "programmes": [],
        "is_deceased": False,
        "death_date": None,
        "is_disabled": False,
        "disability_type": None,
    }


def test_an_unknown_personal_number_is_answered_with_no_record(kutaisi_family):
    _client, key = af.key_for(af.agency())
    response = af.search(key, af.envelope(af.by_number("01999999999")))
    assert answer(response)["status"] == "succ"
    assert records(response) == []
    assert answer(response)["pagination"]["total_count"] == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"type": "UIN", "value": "123"},
            "message.search_request.0.search_criteria.query.value: Value error, A personal number "
            "has exactly 11 digits.",
        ),
        (
            {"type": "UIN", "value": 1001012345},
            "message.search_request.0.search_criteria.query.value: Input should be a valid string",
        ),
        (
            {"type": "MOBILE", "value": "01001012345"},
            "message.search_request.0.search_criteria.query.type: Input should be 'UIN' or 'NID'",
        ),
    ],
)
def test_a_malformed_identifier_is_refused_with_its_reason(query, message):
    _client, key = af.key_for(af.agency())
    response = af.search(key, af.envelope({"query_type": "idtype-value", "query": query}))
    assert response.status_code == 400
    assert response.json() == {"errors": [{"code": "err.request.bad", "message": message}]}


def test_the_nid_identifier_type_is_the_personal_number_too(kutaisi_family):
    _client, key = af.key_for(af.agency())
    head = head_of(kutaisi_family)
    criteria = {
        "query_type": "idtype-value",
        "query": {"type": "NID", "value": head.personal_number},
    }
    [record] = records(af.search(key, af.envelope(criteria)))
    assert record["identifier"]["identifier_value"] == head.personal_number


# -- Data minimisation -------------------------------------------------------------------------


def test_an_agency_without_birth_date_in_scope_never_receives_it(kutaisi_family):
    agency = af.agency(fields=["personal_number", "municipality"])
    _client, key = af.key_for(agency)
    head = head_of(kutaisi_family)
    by_number = af.search(key, af.envelope(af.by_number(head.personal_number)))
    by_place = af.search(
        key, af.envelope(af.by_predicates(af.expression("municipality", "eq", "kutaisi")))
    )
    for response in (by_number, by_place):
        raw = response.content.decode()
        assert "birth_date" not in raw and head.birth_date.isoformat() not in raw
        assert head.first_name not in raw  # names are not in its scope either
        for record in records(response):
            assert set(record) == {"identifier", "address"}
    assert len(records(by_place)) == 3
    disclosed = AgencyDisclosure.objects.filter(person=head)
    assert disclosed.count() == 2
    assert all(d.fields == ["personal_number", "municipality"] for d in disclosed)


def test_health_data_only_for_an_agency_that_holds_it(kutaisi_family):
    """A disability package enrolment says the person has a disability: it is neither listed
    nor searchable for an agency without the disability scope."""
    head = head_of(kutaisi_family)
    af.enrol(kutaisi_family, "tsa")
    af.enrol(kutaisi_family, "disability_package", person=head)
    narrow = af.agency(fields=["personal_number", "enrolled_programmes"])
    broad = af.agency(
        name="Health agency (test)",
        sender_id="moh-ge",
        fields=["personal_number", "enrolled_programmes", "disability"],
    )
    _c, narrow_key = af.key_for(narrow)
    _c, broad_key = af.key_for(broad)
    [seen_narrow] = records(af.search(narrow_key, af.envelope(af.by_number(head.personal_number))))
    assert [p["programme_identifier"] for p in seen_narrow["programmes"]] == ["tsa"]
    assert "is_disabled" not in seen_narrow
    [seen_broad] = records(
        af.search(broad_key, af.envelope(af.by_number(head.personal_number), sender_id="moh-ge"))
    )
    assert [p["programme_identifier"] for p in seen_broad["programmes"]] == [
        "disability_package",
        "tsa",
    ]
    assert seen_broad["programmes"][1]["enrolment_date"] == "2023-02-01"
    refused = answer(
        af.search(
            narrow_key,
            af.envelope(af.by_predicates(af.expression("programme", "eq", "disability_package"))),
        )
    )
    assert refused["status"] == "rjct"
    assert refused["status_reason_message"] == (
        "Enrolment in disability_package says something about a person's health, which this "
        "agency does not receive."
    )


def test_the_dead_are_answered_only_to_an_agency_that_receives_the_date_of_death(kutaisi_family):
    head = head_of(kutaisi_family)
    Person.objects.filter(pk=head.pk).update(date_of_death=TODAY - timedelta(days=3))
    _c, without = af.key_for(af.agency(fields=["personal_number"]))
    _c, with_death = af.key_for(
        af.agency(
            name="Civil registry (test)",
            sender_id="cra-ge",
            fields=["personal_number", "date_of_death"],
        )
    )
    assert records(af.search(without, af.envelope(af.by_number(head.personal_number)))) == []
    [record] = records(
        af.search(with_death, af.envelope(af.by_number(head.personal_number), sender_id="cra-ge"))
    )
    assert record["is_deceased"] is True
    assert record["death_date"] == (TODAY - timedelta(days=3)).isoformat()


# -- Searching by predicates, a page at a time ---------------------------------------------------


@pytest.fixture
def registry(kutaisi_family):
    """Besides the Kutaisi family: five single adults in Kutaisi aged 30 to 34, one in Zugdidi."""
    for age in range(30, 35):
        factories.household("kutaisi", head={"birth_date": af.born(age, TODAY), "sex": "F"})
    factories.household("zugdidi", head={"birth_date": af.born(31, TODAY), "sex": "F"})
    return kutaisi_family


def test_a_predicate_search_pages_through_its_matches_in_a_stable_order(registry):
    _c, key = af.key_for(af.agency(fields=["personal_number", "birth_date"]))
    predicates = (
        af.expression("municipality", "in", ["kutaisi"]),
        {
            "seq_num": 2,
            "expression1": af.expression("age", "ge", 30),
            "condition": "and",
            "expression2": af.expression("age", "le", 40),
        },
    )
    pages = [
        af.search(key, af.envelope(af.by_predicates(*predicates, page_size=2, page_number=n)))
        for n in (1, 2, 3, 4)
    ]
    found = [r["identifier"]["identifier_value"] for page in pages for r in records(page)]
    expected = list(
        Person.objects.filter(
            municipality__code="kutaisi",
            birth_date__lte=af.born(30, TODAY),
            birth_date__gt=af.born(41, TODAY),
        )
        .order_by("id")
        .values_list("personal_number", flat=True)
    )
    assert len(expected) == 6  # five single adults and the spouse (40); not the head (45)
    assert found == expected
    assert [answer(p)["pagination"]["total_count"] for p in pages] == [6, 6, 6, 6]
    assert [len(records(p)) for p in pages] == [2, 2, 2, 0]


def test_a_predicate_search_by_sex_and_programme(registry):
    af.enrol(registry, "tsa")
    _c, key = af.key_for(af.agency(fields=["personal_number", "sex"]))
    response = af.search(
        key,
        af.envelope(
            af.by_predicates(
                af.expression("programme", "eq", "tsa"), af.expression("sex", "eq", "female")
            )
        ),
    )
    # The household is enrolled in TSA: its two women are, the head (a man) is filtered out.
    assert [r["sex"] for r in records(response)] == ["female", "female"]


def test_sorting_by_a_scoped_field_and_refusing_an_unscoped_one(registry):
    _c, key = af.key_for(af.agency(fields=["personal_number", "birth_date"]))
    criteria = af.by_predicates(
        af.expression("municipality", "eq", "kutaisi"),
        sort=[{"attribute_name": "birth_date", "sort_order": "desc"}],
    )
    births = [r["birth_date"] for r in records(af.search(key, af.envelope(criteria)))]
    assert births == sorted(births, reverse=True) and len(births) == 8
    criteria["sort"] = [{"attribute_name": "name"}]
    item = answer(af.search(key, af.envelope(criteria)))
    assert item["status_reason_code"] == "rjct.sort.invalid"
    assert item["status_reason_message"] == (
        "Sort by one of the fields this agency receives: personal_number, birth_date."
    )


@pytest.mark.parametrize(
    ("criteria", "code", "message"),
    [
        (
            af.by_predicates(af.expression("municipality", "eq", "kutaisi"), page_size=101),
            "rjct.pagination.invalid",
            "At most 100 records a page.",
        ),
        (
            af.by_predicates(af.expression("municipality", "eq", "atlantis")),
            "rjct.search_criteria.invalid",
            "Unknown municipality code: atlantis.",
        ),
        (
            af.by_predicates(af.expression("age", "in", [30, 31])),
            "rjct.search_criteria.invalid",
            "age takes the operators eq, ge, gt, le, lt.",
        ),
        (
            af.by_predicates(af.expression("programme", "eq", "no-such-programme")),
            "rjct.search_criteria.invalid",
            "Unknown programme code: no-such-programme.",
        ),
        (
            af.by_predicates(af.expression("municipality", "eq", ["kutaisi"])),
            "rjct.search_criteria.invalid",
            "municipality: eq takes one value, in a list of values.",
        ),
        (
            af.by_predicates(af.expression("municipality", "in", ["Kutaisi!"])),
            "rjct.search_criteria.invalid",
            "municipality: 'Kutaisi!' is not a code (small Latin letters, digits, - and _).",
        ),
        (
            af.by_predicates(af.expression("sex", "eq", "other")),
            "rjct.search_criteria.invalid",
            "sex: female or male.",
        ),
        (
            af.by_predicates(af.expression("age", "ge", 200)),
            "rjct.search_criteria.invalid",
            "age: a whole number of years from 0 to 150.",
        ),
        (
            {"query_type": "expression", "query": {"type": "UIN", "value": "01001012345"}},
            "rjct.search_criteria.invalid",
            "The query type expression is not supported: use idtype-value or predicate.",
        ),
    ],
)
def test_criteria_the_registry_does_not_answer_are_rejected(criteria, code, message):
    _c, key = af.key_for(af.agency())
    item = answer(af.search(key, af.envelope(criteria)))
    assert (item["status"], item["status_reason_code"], item["status_reason_message"]) == (
        "rjct",
        code,
        message,
    )


def test_a_search_matching_more_than_the_agency_may_receive_is_refused(registry):
    _c, key = af.key_for(af.agency(max_results=5))
    item = answer(
        af.search(key, af.envelope(af.by_predicates(af.expression("sex", "eq", "female"))))
    )
    assert item["status_reason_code"] == "rjct.search.too_many_records_found"
    assert item["status_reason_message"] == (
        "8 records match; this agency may receive at most 5 a search."
    )
    assert not AgencyDisclosure.objects.exists()


def test_a_predicate_search_reads_a_constant_number_of_queries(
    registry, django_assert_max_num_queries
):
    af.enrol(registry, "tsa")
    _c, key = af.key_for(af.agency(fields=af.EVERY_FIELD))
    body = af.envelope(af.by_predicates(af.expression("municipality", "eq", "kutaisi")))
    client = Client()
    af.search(key, body, client)  # content types and the like cached
    with django_assert_max_num_queries(18):
        response = af.search(key, body, client)
    assert len(records(response)) == 8
    for extra in range(3):
        factories.household("kutaisi", head={"birth_date": af.born(50 + extra, TODAY)})
    with django_assert_max_num_queries(18):
        response = af.search(key, body, client)
    assert len(records(response)) == 11


# -- What an agency may ask -----------------------------------------------------------------------


def test_a_predicate_outside_the_agencys_allowed_set_is_refused_and_logged(registry):
    agency = af.agency(predicates=("municipality",))
    _c, key = af.key_for(agency)
    response = af.search(
        key,
        af.envelope(
            af.by_predicates(
                af.expression("municipality", "eq", "kutaisi"), af.expression("age", "lt", 18)
            ),
            af.by_predicates(af.expression("municipality", "eq", "kutaisi")),
        ),
    )
    refused, answered = answer(response, 0), answer(response, 1)
    assert refused["status"] == "rjct"
    assert refused["status_reason_code"] == "rjct.search_criteria.invalid"
    assert refused["status_reason_message"] == "This agency may not search by age."
    assert answered["status"] == "succ" and len(answered["data"]["reg_records"]) == 8
    log = AgencyQuery.objects.get(reference_id="ref-1")
    assert log.status == "refused" and log.agency == agency
    assert log.reason == "rjct.search_criteria.invalid: This agency may not search by age."
    assert log.criteria["query"][1]["expression1"]["attribute_name"] == "age"
    attempt = LogEntry.objects.get(additional_data__attempt=True)
    assert "This agency may not search by age." in attempt.additional_data["reason"]


def test_a_query_type_outside_the_agencys_scope_is_refused():
    _c, key = af.key_for(af.agency(query_types=("idtype-value",), predicates=()))
    item = answer(af.search(key, af.envelope(af.by_predicates(af.expression("sex", "eq", "male")))))
    assert item["status_reason_message"] == "This agency may not search by predicate."


def test_every_answered_query_is_logged_with_its_legal_basis(kutaisi_family):
    agency = af.agency()
    client, key = af.key_for(agency)
    head = head_of(kutaisi_family)
    af.search(key, af.envelope(af.by_number(head.personal_number)))
    log = AgencyQuery.objects.get()
    assert (log.agency, log.client, log.status) == (agency, client, "answered")
    assert log.legal_basis == af.LEGAL_BASIS
    assert (log.transaction_id, log.reference_id, log.query_type) == (
        "txn-1",
        "ref-1",
        "idtype-value",
    )
    assert log.criteria["query"] == {"type": "UIN", "value": head.personal_number}
    assert (log.result_count, log.total_count) == (1, 1)
    assert [d.person for d in log.disclosures.all()] == [head]
    trail = LogEntry.objects.get(object_repr="search", additional_data__terms__query=log.pk)
    assert trail.additional_data["terms"]["agency"] == "rs-ge"
    assert trail.additional_data["terms"]["legal_basis"] == af.LEGAL_BASIS
    assert trail.additional_data["shown"] == 1
    # The legal basis changed later does not rewrite the log.
    services.agency_update(actor=None, agency=agency, legal_basis="Another act")
    log.refresh_from_db()
    assert log.legal_basis == af.LEGAL_BASIS
    client.refresh_from_db()
    assert client.last_used_at is not None
    # The person's subject-access report lists the disclosure.
    section = subject_access_disclosures(Subject(person=head, personal_number=head.personal_number))
    [item] = section.items
    assert item["fields"]["agency"] == agency.name
    assert item["fields"]["legal_basis"] == af.LEGAL_BASIS


# -- Who is refused -------------------------------------------------------------------------------


def _refused(response, status: int, message: str):
    assert response.status_code == status
    code = {401: "err.request.unauthorized", 403: "err.request.forbidden"}[status]
    assert response.json() == {"errors": [{"code": code, "message": message}]}


def test_an_unknown_key_is_refused_and_audited():
    response = af.search("zag_not-a-key-of-anyone", af.envelope(af.by_number("01001012345")))
    _refused(response, 401, "The key is not a key of any agency.")
    assert response["WWW-Authenticate"] == "Bearer"
    log = AgencyQuery.objects.get()
    assert (log.agency, log.status, log.key_prefix) == (None, "unauthorized", "zag_not-a-ke")
    attempt = LogEntry.objects.get(additional_data__attempt=True)
    assert attempt.additional_data["status"] == 401
    assert attempt.additional_data["path"] == af.SEARCH_URL


def test_refused_keys_from_one_address_are_logged_up_to_a_limit_a_minute(monkeypatch):
    monkeypatch.setattr(services, "REFUSALS_LOGGED", 3)
    body = af.envelope(af.by_number("01001012345"))
    statuses = [af.search(f"zag_guess-{i}", body).status_code for i in range(5)]
    assert statuses == [401, 401, 401, 401, 401]
    assert AgencyQuery.objects.count() == 3
    # An agency's working key from the same address is not held by others' refusals.
    _c, key = af.key_for(af.agency())
    assert af.search(key, body).status_code == 200


def test_no_key_at_all_is_refused_and_audited():
    response = Client().post(
        af.SEARCH_URL,
        af.envelope(af.by_number("01001012345")),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    _refused(response, 401, "The key is not a key of any agency.")
    assert AgencyQuery.objects.get().status == "unauthorized"


def test_a_revoked_key_is_refused_and_audited(admin_user):
    agency = af.agency()
    client, key = af.key_for(agency)
    services.agency_key_revoke(actor=admin_user, client=client)
    _refused(af.search(key, af.envelope(af.by_number("01001012345"))), 401, "The key was revoked.")
    log = AgencyQuery.objects.get()
    assert (log.agency, log.client, log.status) == (agency, client, "unauthorized")
    assert log.legal_basis == af.LEGAL_BASIS
    assert LogEntry.objects.filter(additional_data__attempt=True).count() == 1


def test_an_expired_key_is_refused_and_audited():
    client, key = af.key_for(af.agency(), days=1)
    AgencyClient.objects.filter(pk=client.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    day = timezone.localdate(timezone.now() - timedelta(minutes=1)).isoformat()
    response = af.search(key, af.envelope(af.by_number("01001012345")))
    _refused(response, 401, f"The key expired on {day}.")
    assert AgencyQuery.objects.get().reason == f"The key expired on {day}."


def test_a_suspended_agency_is_refused():
    agency = af.agency()
    _c, key = af.key_for(agency)
    services.agency_update(actor=None, agency=agency, active=False)
    response = af.search(key, af.envelope(af.by_number("01001012345")))
    _refused(response, 403, "The agency's access is suspended.")
    assert AgencyQuery.objects.get().status == "forbidden"


def test_a_staff_token_or_session_does_not_open_the_agency_search(make_user, login_as):
    _token, staff_key = api_token_issue(user=make_user(Role.ADMIN), name="staff")
    body = af.envelope(af.by_number("01001012345"))
    _refused(af.search(staff_key, body), 401, "The key is not a key of any agency.")
    signed_in = login_as(Role.ADMIN)
    response = signed_in.post(
        af.SEARCH_URL, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    _refused(response, 401, "The key is not a key of any agency.")
    assert AgencyQuery.objects.filter(status="unauthorized").count() == 2


def test_an_agency_key_does_not_open_the_staff_api(kutaisi_family):
    _c, key = af.key_for(af.agency())
    response = Client().get("/api/v1/people", **af.bearer(key))
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}
    response = Client().get(f"/api/v1/households/{kutaisi_family.pk}", **af.bearer(key))
    assert response.status_code == 401


def test_over_the_rate_limit_the_agency_is_answered_429(kutaisi_family):
    agency = af.agency(rate_limit=2)
    _c, key = af.key_for(agency)
    body = af.envelope(af.by_number(head_of(kutaisi_family).personal_number))
    assert [af.search(key, body).status_code for _ in range(2)] == [200, 200]
    response = af.search(key, body)
    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "err.request.too_many_requests"
    assert 1 <= int(response["Retry-After"]) <= 60
    throttled = AgencyQuery.objects.get(status="throttled")
    assert throttled.reason == "More than 2 requests a minute."
    assert throttled.agency == agency
    # Another agency has its own count.
    _c, other = af.key_for(af.agency(name="Other (test)", sender_id="other-ge"))
    assert (
        af.search(other, af.envelope(af.by_number("01001012345"), sender_id="other-ge")).status_code
        == 200
    )


# -- Malformed messages ---------------------------------------------------------------------------


def _bad(key, body, *messages, code="err.request.bad"):
    response = (
        af.search(key, body)
        if isinstance(body, dict)
        else Client().post(af.SEARCH_URL, body, content_type="application/json", **af.bearer(key))
    )
    assert response.status_code == 400
    assert response.json() == {"errors": [{"code": code, "message": m} for m in messages]}


def test_malformed_messages_are_refused_with_what_is_wrong():
    agency = af.agency()
    _c, key = af.key_for(agency)
    good = af.envelope(af.by_number("01001012345"))
    without_ts = json.loads(json.dumps(good))
    del without_ts["header"]["message_ts"]
    _bad(key, without_ts, "header.message_ts: Field required")
    wrong_action = json.loads(json.dumps(good))
    wrong_action["header"]["action"] = "subscribe"
    _bad(key, wrong_action, "header.action: Input should be 'search'")
    bad_ts = json.loads(json.dumps(good))
    bad_ts["message"]["search_request"][0]["timestamp"] = "yesterday"
    _bad(
        key,
        bad_ts,
        "message.search_request.0.timestamp: Value error, A date and time with its offset "
        "(RFC 3339), e.g. 2025-05-01T10:20:30Z.",
    )
    _bad(
        key,
        af.envelope(af.by_number("01001012345"), total_count=3),
        "header.total_count is 3 but the message has 1 search_request.",
    )
    _bad(
        key,
        af.envelope(af.by_number("01001012345"), sender_id="someone-else"),
        "The sender_id is not this key's agency (rs-ge).",
        code="err.sender_id.invalid",
    )
    _bad(
        key,
        af.envelope(af.by_number("01001012345"), version="2.0.0"),
        "Version 2.0.0 is not supported: use 1.0.0.",
        code="err.version.not_supported",
    )
    _bad(
        key,
        af.envelope(af.by_number("01001012345"), is_msg_encrypted=True),
        "Encrypted messages are not accepted: send the message in the clear over HTTPS.",
        code="err.encryption.invalid",
    )
    _bad(key, b"{not json", "Cannot parse request body")
    logged = AgencyQuery.objects.filter(status="bad_request", agency=agency)
    assert logged.count() == 8
    assert logged.filter(reason="header.message_ts: Field required").exists()


def test_a_duplicate_reference_id_is_rejected():
    _c, key = af.key_for(af.agency())
    body = af.envelope(af.by_number("01001012345"), af.by_number("01001012346"))
    body["message"]["search_request"][1]["reference_id"] = "ref-1"
    item = answer(af.search(key, body), 1)
    assert item["status_reason_code"] == "rjct.reference_id.duplicate"


def test_status_messages_follow_the_search_locale(monkeypatch):
    """`locale` (ISO 639-3) chooses the language of a search's status message: the message is
    made in the language active while the search is answered."""
    from django.utils import translation

    from zrunva.integration import dci

    def refuse(*args):
        raise dci.Rejected("rjct.search_criteria.invalid", translation.get_language())

    monkeypatch.setattr(dci, "plan_search", refuse)
    _c, key = af.key_for(af.agency())
    body = af.envelope(af.by_number("01001012345"), af.by_number("01001012346"))
    body["message"]["search_request"][0]["locale"] = "kat"
    body["message"]["search_request"][1]["locale"] = "eng"
    response = af.search(key, body)
    assert [
        (answer(response, i)["locale"], answer(response, i)["status_reason_message"])
        for i in (0, 1)
    ] == [
        ("kat", "ka"),
        ("eng", "en"),
    ]


# -- The document --------------------------------------------------------------------------------


def test_the_agency_search_has_its_own_document():
    document = Client().get("/api/v1/dci/openapi.json").json()
    operation = document["paths"]["/api/v1/dci/registry/sync/search"]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "429"}
    assert operation["security"] == [{"AgencyKey": []}]
    schemas = document["components"]["schemas"]
    assert "birth_date" not in schemas["DciPersonRecord"].get("required", [])
    staff = Client().get("/api/v1/openapi.json").json()
    assert not any("dci" in path for path in staff["paths"])


# -- The DPO's pages -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.DPO, Role.ADMIN])
def test_the_dpo_and_administrators_manage_agencies(login_as, role):
    agency = af.agency()
    client, _key = af.key_for(agency)
    af.search("zag_unknown", af.envelope(af.by_number("01001012345")))
    staff = login_as(role)
    listing = staff.get("/en/integration/agencies/")
    assert listing.status_code == 200
    assert agency.name in listing.content.decode()
    detail = staff.get(f"/en/integration/agencies/{agency.pk}/")
    assert client.prefix in detail.content.decode()
    queries = staff.get("/en/integration/agencies/queries/")
    assert "The key is not a key of any agency." in queries.content.decode()
    export = staff.get("/en/integration/agencies/queries/?format=csv")
    assert export.status_code == 200
    assert "zag_unknown" in b"".join(export.streaming_content).decode("utf-8-sig")
    assert staff.get("/en/integration/agencies/new/").status_code == 200
    assert staff.get(f"/en/integration/agencies/{agency.pk}/edit/").status_code == 200
    # Reading the log is audited: its criteria name the people searched for.
    assert LogEntry.objects.filter(
        actor=staff.user, object_repr="search", content_type__model="agencyquery"
    ).exists()


def test_the_query_log_page_reads_a_constant_number_of_queries(
    login_as, django_assert_max_num_queries
):
    agency = af.agency()
    _c, key = af.key_for(agency)
    dpo = login_as(Role.DPO)
    dpo.get("/en/integration/agencies/queries/")
    for count in (2, 12):
        while AgencyQuery.objects.count() < count:
            af.search(key, af.envelope(af.by_number("01001012345")))
        with django_assert_max_num_queries(12):
            page = dpo.get(f"/en/integration/agencies/queries/?agency={agency.pk}")
        assert page.content.decode().count("<tr>") == count + 1


def test_an_agencys_scope_is_changed_on_its_page(login_as):
    agency = af.agency(fields=["personal_number", "birth_date"])
    admin = login_as(Role.ADMIN)
    response = admin.post(
        f"/en/integration/agencies/{agency.pk}/edit/",
        {
            "name": agency.name,
            "sender_id": agency.sender_id,
            "legal_basis": "Tax Code, Article 40",
            "contact": agency.contact,
            "active": "on",
            "fields": ["personal_number"],
            "query_types": ["idtype-value"],
            "rate_limit": 10,
            "max_results": 5,
        },
    )
    assert response.status_code == 302
    agency.refresh_from_db()
    assert (agency.fields, agency.query_types, agency.predicates) == (
        ["personal_number"],
        ["idtype-value"],
        [],
    )
    assert agency.legal_basis == "Tax Code, Article 40"
    change = LogEntry.objects.get(content_type__model="agency", action=LogEntry.Action.UPDATE)
    assert change.actor == admin.user and "legal_basis" in change.changes_dict


@pytest.mark.parametrize("role", [Role.SSA_OFFICER, Role.ANALYST, Role.SUPERVISOR])
def test_other_roles_are_refused_the_agency_pages_and_audited(login_as, role):
    agency = af.agency()
    client, _key = af.key_for(agency)
    staff = login_as(role)
    for response in (
        staff.get("/en/integration/agencies/"),
        staff.get(f"/en/integration/agencies/{agency.pk}/"),
        staff.get("/en/integration/agencies/queries/"),
        staff.post(f"/en/integration/agencies/{agency.pk}/keys/", {"name": "mine"}),
        staff.post(f"/en/integration/agencies/keys/{client.pk}/revoke/"),
    ):
        assert response.status_code == 403
    assert AgencyClient.objects.count() == 1
    assert AgencyClient.objects.get().revoked_at is None
    attempts = LogEntry.objects.filter(additional_data__attempt=True, actor=staff.user)
    assert attempts.count() == 5


def test_an_agency_is_registered_and_issued_a_key_shown_once(login_as):
    dpo = login_as(Role.DPO)
    response = dpo.post(
        "/en/integration/agencies/new/",
        {
            "name": "Revenue Service",
            "sender_id": "rs-ge",
            "legal_basis": "Tax Code, Article 39",
            "contact": "dpo@rs.ge",
            "active": "on",
            "fields": ["personal_number", "municipality"],
            "query_types": ["idtype-value"],
            "rate_limit": 30,
            "max_results": 100,
        },
    )
    agency = Agency.objects.get()
    assert response.status_code == 302
    assert agency.fields == ["personal_number", "municipality"]
    issued = dpo.post(f"/en/integration/agencies/{agency.pk}/keys/", {"name": "tax system"})
    client = AgencyClient.objects.get()
    page = issued.content.decode()
    key = page.split('<code class="nowrap">')[1].split("</code>")[0]
    assert key.startswith(client.prefix) and AgencyClient.hash_key(key) == client.key_hash
    assert client.issued_by == dpo.user
    assert "no-cache" in issued["Cache-Control"] or "no-store" in issued["Cache-Control"]
    assert key not in dpo.get(f"/en/integration/agencies/{agency.pk}/").content.decode()
    assert af.search(key, af.envelope(af.by_number("01001012345"))).status_code == 200
    dpo.post(f"/en/integration/agencies/keys/{client.pk}/revoke/")
    assert af.search(key, af.envelope(af.by_number("01001012345"))).status_code == 401


def test_an_agency_searching_by_predicates_must_be_given_some(login_as):
    dpo = login_as(Role.DPO)
    response = dpo.post(
        "/en/integration/agencies/new/",
        {
            "name": "Statistics office",
            "sender_id": "geostat",
            "legal_basis": "Law on Official Statistics",
            "contact": "dpo@geostat.ge",
            "query_types": ["predicate"],
            "rate_limit": 30,
            "max_results": 100,
        },
    )
    assert response.status_code == 200
    assert "Choose the conditions the agency may search by." in response.content.decode()
    assert not Agency.objects.exists()


def test_the_key_command_prints_the_key_once(capsys):
    agency = af.agency()
    call_command("agency_key_issue", "rs-ge", "--name", "tax system", "--days", "30")
    out, err = capsys.readouterr()
    key = out.strip()
    client = AgencyClient.objects.get()
    assert AgencyClient.hash_key(key) == client.key_hash and client.agency == agency
    assert client.issued_by is None
    assert key not in err and client.prefix in err
    assert client.expires_at.date() >= date.today() + timedelta(days=29)
