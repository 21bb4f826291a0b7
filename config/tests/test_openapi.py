"""The published OpenAPI document describes what the API does: one class per schema name, every
error an operation answers with, and the bounds of its inputs."""

import enum
import json
import re
import typing
from collections import defaultdict

import pytest
from django.test import Client
from pydantic import BaseModel

from config.api import api
from zrunva.accounts.choices import Role


def _document() -> dict:
    """The document as served (JSON: status codes are strings)."""
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))


def _operations():
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                yield path, operation


def _published_classes(annotation, found: dict, seen: set) -> None:
    """Every model and enum an annotation refers to, however deeply (lists, unions, nested)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel | enum.Enum):
        if annotation in seen:
            return
        seen.add(annotation)
        found[annotation.__name__].add(annotation)
        if issubclass(annotation, BaseModel):
            for field in annotation.model_fields.values():
                _published_classes(field.annotation, found, seen)
        return
    for argument in typing.get_args(annotation):
        _published_classes(argument, found, seen)


def schema_classes() -> dict[str, set[type]]:
    """The classes behind the document's components, by name: the models nested in each
    operation's parameters and responses (ninja's own wrappers, which it flattens, left out)."""
    found: dict[str, set[type]] = defaultdict(set)
    seen: set[type] = set()
    for _path, operation in _operations():
        wrappers = [*operation.models, *operation.response_models.values()]
        for wrapper in wrappers:
            if wrapper is None or not isinstance(wrapper, type):
                continue
            for field in wrapper.model_fields.values():
                _published_classes(field.annotation, found, seen)
    return found


def test_every_schema_name_is_defined_by_one_class():
    """ninja keeps the last of two classes that share a name, and the document then describes
    the wrong one (finding 11: `MemberIn` of the registry, the explain endpoint and the portal;
    `EventOut` of applications and grievances)."""
    shared = {
        name: sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in classes)
        for name, classes in schema_classes().items()
        if len(classes) > 1
    }
    assert shared == {}


def test_the_walk_sees_every_published_component():
    """The test above looks at the classes the document is built from: all of them."""
    components = set(_document()["components"]["schemas"])
    assert components == set(schema_classes())


def _body_schema(document, path, method="post"):
    content = document["paths"][path][method]["requestBody"]["content"]
    ref = next(iter(content.values()))["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_each_member_schema_documents_its_own_fields():
    document = _document()
    schemas = document["components"]["schemas"]
    added = schemas["HouseholdMemberIn"]["properties"]
    assert {"relationship", "person_id", "person", "start_date"} <= set(added)
    explained = schemas["DataMemberIn"]["properties"]
    assert {"birth_date", "sex", "disability_degree", "is_idp", "pension_kind", "income"} <= set(
        explained
    )
    assert "first_name" not in explained
    declared = schemas["DeclaredMemberIn"]["properties"]
    assert {"first_name", "last_name", "relationship"} <= set(declared)
    assert _body_schema(document, "/api/v1/households/{household_id}/members")["title"] == (
        "HouseholdMemberIn"
    )


@pytest.mark.django_db
def test_an_application_answer_matches_its_published_schema(login_as):
    """Each application's events are documented as the application's (from/to status), not as
    a grievance's (kind, actor)."""
    document = Client().get("/api/v1/openapi.json").json()
    assert document == _document()
    schemas = document["components"]["schemas"]
    events = schemas["ApplicationOut"]["properties"]["events"]["items"]["$ref"]
    assert events.endswith("/ApplicationEventOut")
    assert set(schemas["ApplicationEventOut"]["required"]) == {
        "from_status",
        "to_status",
        "at",
        "note",
        "kind",  # a status change, an assignment, a document, …
        "visit_date",  # a home visit scheduled
        "assessment_id",  # the home visit an "assessed" step rests on
    }
    assert schemas["GrievanceOut"]["properties"]["events"]["items"]["$ref"].endswith(
        "/GrievanceEventOut"
    )
    client = login_as(Role.SSA_OFFICER)
    assert client.get("/api/v1/openapi.json").status_code == 200


# -- Finding 12: errors and bounds are documented -------------------------------------------------


def _responses(document, path, method):
    return document["paths"][path][method]["responses"]


def _error_schema(document, path, method, code):
    ref = _responses(document, path, method)[str(code)]["content"]["application/json"]["schema"]
    return ref["$ref"].rsplit("/", 1)[1]


def test_every_operation_documents_its_errors():
    document = _document()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            where = f"{method.upper()} {path}"
            if operation.get("security"):
                assert {"401", "403"} <= codes, where
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in codes, where
            if "{" in path:
                assert "404" in codes, where
            if operation.get("requestBody"):
                assert "400" in codes, where  # a rule broken, or a body that is not JSON
            for code in codes - {"200", "201", "202"}:
                schema = _error_schema(document, path, method, code)
                assert schema in {"ErrorOut", "ValidationErrorOut", "InputErrorOut"}, where
    throttled = [
        ("/api/v1/portal/applications", "post"),
        ("/api/v1/portal/applications/status", "post"),
        ("/api/v1/portal/applications/withdraw", "post"),
        ("/api/v1/portal/applications/documents", "post"),
        ("/api/v1/portal/grievances", "post"),
        ("/api/v1/portal/grievances/status", "post"),
    ]
    for path, method in throttled:
        assert "429" in _responses(document, path, method), path
    assert _error_schema(document, "/api/v1/households", "post", 400) == "ValidationErrorOut"
    assert _error_schema(document, "/api/v1/people/{person_id}", "get", 404) == "ErrorOut"


def _parameter(document, path, name, method="get"):
    for parameter in document["paths"][path][method]["parameters"]:
        if parameter["name"] == name:
            return parameter["schema"]
    raise AssertionError(name)


def test_numeric_inputs_are_bounded_in_the_document():
    document = _document()
    for path, name in [
        ("/api/v1/people", "municipality"),
        ("/api/v1/households", "municipality"),
        ("/api/v1/households", "settlement"),
        ("/api/v1/people/{person_id}", "person_id"),
        ("/api/v1/households", "page"),
    ]:
        schema = _parameter(document, path, name)
        schema = next(s for s in schema.get("anyOf", [schema]) if s.get("type") == "integer")
        assert schema["minimum"] == 1, (path, name)
        assert schema["maximum"] <= 2**63 - 1, (path, name)
    household = document["components"]["schemas"]["HouseholdIn"]["properties"]
    assert household["cattle"]["maximum"] == 10_000
    assert household["rooms"]["maximum"] == 100


def test_money_is_a_decimal_string_and_dates_are_bounded_in_the_document():
    schemas = _document()["components"]["schemas"]
    pension = schemas["PersonFields"]["properties"]["pension_amount"]
    assert pension["type"] == "string" and "anyOf" not in pension
    assert re.fullmatch(pension["pattern"], "312.50")
    assert not re.fullmatch(pension["pattern"], "12345678.00")  # numeric(9,2)
    assert schemas["ResultOut"]["properties"]["amount"]["anyOf"][0]["type"] == "string"
    on = schemas["RunIn"]["properties"]["on"]
    assert on["format"] == "date"
    assert re.fullmatch(on["pattern"], "1991-01-01")
    assert re.fullmatch(on["pattern"], "2024-02-29")
    assert not re.fullmatch(on["pattern"], "2023-02-29")
    assert not re.fullmatch(on["pattern"], "1990-12-31")
    assert not re.fullmatch(on["pattern"], "2101-01-01")
    step = schemas["StepIn"]["properties"]["to"]
    assert "enum" in step and "$ref" not in step


@pytest.mark.django_db
def test_error_bodies_have_the_documented_shapes(login_as):
    """400 is always a list of errors with their place, even for a body that is not JSON
    (ninja's bare message before); 401 and 404 are one message."""
    client = Client()
    response = client.post(
        "/api/v1/portal/applications/status", b"\x00", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"detail": [{"loc": ["body"], "msg": "Cannot parse request body"}]}
    assert client.get("/api/v1/people").json() == {"detail": "Unauthorized"}
    officer = login_as(Role.SSA_OFFICER)
    assert set(officer.get(f"/api/v1/people/{2**40}").json()) == {"detail"}
