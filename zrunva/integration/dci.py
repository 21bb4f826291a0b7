"""The social registry search for other agencies, after the DCI (Digital Convergence
Initiative) Social Registry API: `POST /api/v1/dci/registry/sync/search`, its own OpenAPI
document at `/api/v1/dci/openapi.json` (docs/dci-api.md says which parts of the standard are
implemented).

It is a separate API from the staff one: its key (an agency's, `agencies.agency_key_issue`) is
the only credential it takes, and that key opens nothing else. Each request is counted against
the agency's rate limit; each search in it is answered with the fields of the agency's scope
only, and logged with the agency's legal basis (`agencies.query_answered`), as is every refusal.

Errors the standard places in the message (a search the agency may not make, a page too large)
are answered in the search's `status`/`status_reason_code`; errors of the message itself, of
the key and of the rate limit as HTTP errors with the standard's `errors` body.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    Tag,
    WithJsonSchema,
)

from zrunva.core.api import PersonalNumber
from zrunva.core.throttle import Throttled, client_address
from zrunva.geo.models import Municipality
from zrunva.integration import agencies
from zrunva.integration.models import Agency, AgencyClient
from zrunva.integration.models.agencies import QueryAttribute, QueryStatus, QueryType
from zrunva.integration.models.agencies import ReleasableField as F
from zrunva.integration.selectors_agencies import agency_people, agency_records, enrolled_in
from zrunva.programmes.eligibility import health_programme_ids
from zrunva.programmes.models import Programme

# The standard followed: spdci/standards, release/yaml/social_api_v1.0.0.yaml (version 1.0.0).
VERSION = "1.0.0"
REG_TYPE = "ns:org:RegistryType:Social"
REG_RECORD_TYPE = "Person"
# How this registry names itself to agencies (the response header's sender_id).
REGISTRY_ID = getattr(settings, "DCI_REGISTRY_ID", "zrunva")
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_SEARCHES = 10  # search_request items in one message
INT32 = 2**31 - 1
IDENTIFIER_TYPES = ("UIN", "NID")  # both name the Georgian personal number
QUERY_ATTRIBUTES = tuple(QueryAttribute.values)
SORTABLE = ("personal_number", "birth_date", "name")
LOCALES = {"kat": "ka", "eng": "en"}


# -- Input types ---------------------------------------------------------------------------------


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text may not contain the NUL character.")
    return value


def Text(most: int, **extra):  # noqa: N802 - a type
    return Annotated[str, Field(max_length=most, **extra), AfterValidator(_no_nul)]


def _rfc3339(value):
    if not isinstance(value, str):
        raise ValueError("A date and time as text (RFC 3339), e.g. 2025-05-01T10:20:30+04:00.")
    if not re.fullmatch(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
        r"([Zz]|[+-][0-9]{2}:[0-9]{2})",
        value,
    ):
        raise ValueError("A date and time with its offset (RFC 3339), e.g. 2025-05-01T10:20:30Z.")
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00")[:35])
    except ValueError:
        raise ValueError("Not a real date and time.") from None


Timestamp = Annotated[
    datetime,
    BeforeValidator(_rfc3339),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Count32 = Annotated[StrictInt, Field(ge=0, le=INT32)]
Positive32 = Annotated[StrictInt, Field(ge=1, le=INT32)]
Scalar = Text(100) | Annotated[StrictInt, Field(ge=-INT32, le=INT32)]


class DciRequestHeader(Schema):
    """The message header (MsgHeader_V1.0.0)."""

    version: Text(20) = Field(VERSION, description="The protocol version: 1.0.0.")
    message_id: Text(99)
    message_ts: Timestamp
    action: Literal["search"]
    sender_id: Text(99) = Field(description="The agency's sender id, as registered with us.")
    sender_uri: Text(500) | None = Field(None, description="Not used: the search is synchronous.")
    receiver_id: Text(99) | None = Field(None, description=f"This registry: {REGISTRY_ID}.")
    total_count: Count32 = Field(description="How many search_request items the message has.")
    is_msg_encrypted: StrictBool = Field(False, description="Encrypted messages are refused.")
    meta: dict[str, Any] | None = None


class DciIdTypeValue(Schema):
    """`idtype-value`: an identifier's type (UIN or NID: both the personal number) and value."""

    type: Literal[IDENTIFIER_TYPES] = Field(examples=["UIN"])
    value: PersonalNumber = Field(description="The 11-digit personal number, as text.")


class DciExpression(Schema):
    attribute_name: Literal[QUERY_ATTRIBUTES] = Field(
        description="municipality (a code: eq, in), age (years: eq, gt, ge, lt, le), sex "
        "(female, male: eq, in), programme (enrolled in, a code: eq, in)."
    )
    operator: Literal["gt", "lt", "eq", "ge", "le", "in"]
    attribute_value: Scalar | Annotated[list[Scalar], Field(max_length=100)]


class DciPredicate(Schema):
    """One condition, or two joined by `condition`; the predicates of a query all hold."""

    seq_num: Annotated[StrictInt, Field(ge=0, le=INT32)] | None = None
    expression1: DciExpression
    condition: Literal["and", "or", "not"] | None = None
    expression2: DciExpression | None = None


class DciSort(Schema):
    attribute_name: Literal[tuple(SORTABLE)] = Field(
        description="A field the agency receives: personal_number, birth_date or name."
    )
    sort_order: Literal["asc", "desc"] = "asc"


class DciPagination(Schema):
    page_size: Positive32 = Field(description=f"At most {MAX_PAGE_SIZE}.")
    page_number: Positive32 = 1


def _object_or_list(value) -> str | None:
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict | DciIdTypeValue):
        return "object"
    return None


class DciSearchCriteria(Schema):
    version: Literal[VERSION] = VERSION
    reg_type: Literal[REG_TYPE] | None = Field(None, description="This registry's type.")
    reg_event_type: Text(60) | None = Field(None, description="Not used.")
    query_type: Literal["idtype-value", "expression", "predicate"] = Field(
        description="idtype-value or predicate (expression is not supported)."
    )
    query: Annotated[
        Annotated[DciIdTypeValue, Tag("object")]
        | Annotated[list[DciPredicate], Field(min_length=1, max_length=20), Tag("list")],
        Discriminator(_object_or_list),
    ] = Field(description="idtype-value: an object (type, value); predicate: a list.")
    sort: Annotated[list[DciSort], Field(max_length=5)] = []
    pagination: DciPagination | None = None
    consent: dict[str, Any] | None = Field(None, description="Not used.")
    authorize: dict[str, Any] | None = Field(None, description="Not used.")


class DciSearchRequestItem(Schema):
    reference_id: Text(99)
    timestamp: Timestamp
    search_criteria: DciSearchCriteria
    locale: Annotated[str, Field(pattern=r"^[a-z]{3}$")] | None = Field(
        None, description="kat or eng: the language of status messages (ISO 639-3)."
    )


class DciSearchMessage(Schema):
    transaction_id: Text(99)
    search_request: Annotated[
        list[DciSearchRequestItem], Field(min_length=1, max_length=MAX_SEARCHES)
    ]


class DciSearchEnvelope(Schema):
    """A search message: signature (not verified), header, message (never encrypted)."""

    signature: Text(4000) | None = Field(None, description="Not verified: the key and HTTPS are.")
    header: DciRequestHeader
    message: DciSearchMessage


# -- Output types --------------------------------------------------------------------------------


def _optional(description: str = ""):
    """A field that is absent, not null, when left out (a field outside the agency's scope)."""

    def drop_default(schema: dict) -> None:
        schema.pop("default", None)

    return Field(None, description=description or None, json_schema_extra=drop_default)


class DciIdentifier(Schema):
    identifier_type: str = Field(description="UIN: the personal number; else the document kind.")
    identifier_value: str


class DciName(Schema):
    given_name: str = Field(description="In Georgian letters.")
    surname: str
    given_name_latin: str = Field(description="Romanised (the national system of 2002).")
    surname_latin: str


class DciAddress(Schema):
    sub_region_code: str = Field(description="The municipality's code.")
    sub_region_name: str
    region_code: str = Field(description="ISO 3166-2 region code.")
    country_code: str


class DciProgramme(Schema):
    programme_identifier: str = Field(description="The programme's code.")
    programme_name: str
    enrolment_date: date


class DciPersonRecord(Schema):
    """A person, with the fields of the agency's scope only: the others are absent."""

    identifier: DciIdentifier = _optional("scope personal_number")
    name: DciName = _optional("scope names")
    birth_date: date = _optional("scope birth_date")
    sex: Literal["female", "male"] = _optional("scope sex")
    address: DciAddress | None = _optional("scope municipality; null when not known")
    household_identifier: str | None = _optional("scope household_id; null: in no household")
    household_size: int | None = _optional("scope household_size; current members")
    poverty_score: int | None = _optional("scope rating_score; null: never assessed")
    programmes: list[DciProgramme] = _optional("scope enrolled_programmes; in force today")
    is_deceased: bool = _optional("scope date_of_death")
    death_date: date | None = _optional("scope date_of_death")
    is_disabled: bool = _optional("scope disability (health data)")
    disability_type: Literal["moderate", "significant", "severe"] | None = _optional(
        "scope disability (health data)"
    )


class DciSearchData(Schema):
    version: str
    reg_type: str
    reg_record_type: str
    reg_records: list[DciPersonRecord]


class DciPaginationOut(Schema):
    page_size: int
    page_number: int
    total_count: int


SearchStatusReasonCode = Literal[
    "rjct.reference_id.invalid",
    "rjct.reference_id.duplicate",
    "rjct.timestamp.invalid",
    "rjct.search_criteria.invalid",
    "rjct.filter.invalid",
    "rjct.sort.invalid",
    "rjct.pagination.invalid",
    "rjct.search.too_many_records_found",
]


class DciSearchResponseItem(Schema):
    reference_id: str
    timestamp: datetime
    status: Literal["rcvd", "pdng", "succ", "rjct"]
    status_reason_code: SearchStatusReasonCode = _optional("when rejected")
    status_reason_message: str = _optional("when rejected")
    data: DciSearchData = _optional("when answered")
    pagination: DciPaginationOut = _optional("when answered")
    locale: str = _optional()


class DciSearchResponseMessage(Schema):
    transaction_id: str
    correlation_id: str
    search_response: list[DciSearchResponseItem]


class DciResponseHeader(Schema):
    """The response header (MsgCallbackHeader_V1.0.0)."""

    version: str
    message_id: str
    message_ts: datetime
    action: Literal["on-search"]
    status: Literal["rcvd", "pdng", "succ", "rjct"]
    total_count: int
    completed_count: int
    sender_id: str
    receiver_id: str
    is_msg_encrypted: bool


class DciSearchResponse(Schema):
    header: DciResponseHeader
    message: DciSearchResponseMessage


class DciError(Schema):
    code: str = Field(examples=["err.request.bad"])
    message: str


class DciErrorResponse(Schema):
    """HTTP errors (HttpErrorResponse of the standard): 400, 401, 403, 429."""

    errors: list[DciError]


# -- The API and its key -------------------------------------------------------------------------


class AgencyKey(HttpBearer):
    """`Authorization: Bearer <key>` with an agency's key (`manage.py agency_key_issue`). A staff
    API token is not one, nor is a signed-in session. Each request with a working key is counted
    against the agency's rate limit. Every refusal is logged (`agencies.agency_key_authenticate`)."""

    def __call__(self, request):
        value = request.headers.get(self.header) or ""
        scheme, _space, key = value.partition(" ")
        if scheme.lower() != self.openapi_scheme:
            key = ""
        return self.authenticate(request, key.strip())

    def authenticate(self, request, token) -> AgencyClient:
        address = client_address(request) or None
        client = agencies.agency_key_authenticate(token, address=address)
        agencies.agency_throttle(client, address=address)
        return client


dci_api = NinjaAPI(
    title="Zrunva social registry search (DCI)",
    version=VERSION,
    description=(
        "The social registry search for other agencies, after the DCI Social Registry API "
        "1.0.0 (spdci/standards): the synchronous search only. An agency's key "
        "(`Authorization: Bearer zag_…`) is the only credential; each agency receives only the "
        "fields of its scope, and every query is logged with its legal basis. "
        "See docs/dci-api.md."
    ),
    auth=AgencyKey(),
    urls_namespace="api-dci",
)


def _errors(request, status: int, code: str, message: str):
    return dci_api.create_response(
        request, {"errors": [{"code": code, "message": str(message)}]}, status=status
    )


class EnvelopeError(Exception):
    """The message itself is refused (400): `code` from the standard's Error codes."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _log_bad_request(request, message: str, body: dict | None = None) -> None:
    client = getattr(request, "auth", None)
    if isinstance(client, AgencyClient):
        agencies.query_refused(
            client=client,
            status=QueryStatus.BAD_REQUEST,
            reason=message,
            address=client_address(request) or None,
            http_status=400,
            transaction_id=str((body or {}).get("transaction_id") or ""),
        )


@dci_api.exception_handler(EnvelopeError)
def on_envelope_error(request, exc: EnvelopeError):
    _log_bad_request(request, exc.message)
    return _errors(request, 400, exc.code, exc.message)


def _place(loc) -> str:
    parts = [str(p) for p in loc]
    if parts[:1] == ["body"]:
        parts = parts[2:]  # "body", then the parameter's name
    # Pydantic names the branch of a union it tried ("function-wrap[...]", "str"): not a place.
    parts = [p for p in parts if "[" not in p and p not in {"str", "int", "object", "list"}]
    return ".".join(parts) or "body"


@dci_api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc: NinjaValidationError):
    messages = [f"{_place(e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors[:20]]
    _log_bad_request(request, "; ".join(messages))
    return dci_api.create_response(
        request,
        {"errors": [{"code": "err.request.bad", "message": m} for m in messages]},
        status=400,
    )


@dci_api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    code = {400: "err.request.bad", 404: "err.request.not_found"}.get(
        exc.status_code, "err.request.bad"
    )
    if exc.status_code == 400:
        _log_bad_request(request, str(exc))
    return _errors(request, exc.status_code, code, str(exc))


@dci_api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    response = _errors(request, 401, "err.request.unauthorized", _("An agency's key is required."))
    response["WWW-Authenticate"] = "Bearer"
    return response


@dci_api.exception_handler(agencies.KeyRefused)
def on_key_refused(request, exc: agencies.KeyRefused):
    if exc.status == 401:
        response = _errors(request, 401, "err.request.unauthorized", exc.message)
        response["WWW-Authenticate"] = "Bearer"
        return response
    return _errors(request, 403, "err.request.forbidden", exc.message)


@dci_api.exception_handler(Throttled)
def on_throttled(request, exc: Throttled):
    response = _errors(
        request,
        429,
        "err.request.too_many_requests",
        _("Too many requests: try again in %(seconds)s seconds.") % {"seconds": exc.retry_after},
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


# -- From search criteria to a query -------------------------------------------------------------


class Rejected(Exception):
    """One search refused: its `status_reason_code` and message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Plan:
    condition: Q
    order: list[str]
    page_size: int
    page_number: int


CRITERIA = "rjct.search_criteria.invalid"
SORTS = {
    # attribute_name: (the scope it needs, the columns)
    "personal_number": (F.PERSONAL_NUMBER, ["personal_number"]),
    "birth_date": (F.BIRTH_DATE, ["birth_date"]),
    "name": (F.NAMES, ["last_name", "first_name"]),
}
OPERATORS = {
    QueryAttribute.MUNICIPALITY: {"eq", "in"},
    QueryAttribute.AGE: {"eq", "gt", "ge", "lt", "le"},
    QueryAttribute.SEX: {"eq", "in"},
    QueryAttribute.PROGRAMME: {"eq", "in"},
}
SEXES = {"female": "F", "male": "M", "f": "F", "m": "M"}
CODE_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def _years_ago(on: date, years: int) -> date:
    year = on.year - years
    try:
        return on.replace(year=year)
    except ValueError:  # 29 February in a year without one
        return on.replace(year=year, day=28)


def _age(operator: str, years: int, on: date) -> Q:
    """People whose age on `on` compares so with `years`: age >= n is born on or before the
    day n years ago; age <= n born after the day n + 1 years ago."""

    def at_least(n: int) -> Q:
        return Q(birth_date__lte=_years_ago(on, n))

    def at_most(n: int) -> Q:
        return Q(birth_date__gt=_years_ago(on, n + 1))

    return {
        "ge": lambda: at_least(years),
        "gt": lambda: at_least(years + 1),
        "le": lambda: at_most(years),
        "lt": lambda: at_most(years - 1),
        "eq": lambda: at_least(years) & at_most(years),
    }[operator]()


def _codes(attribute: str, operator: str, value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if (operator == "eq") == isinstance(value, list) or not values:
        raise Rejected(
            CRITERIA,
            _("%(attribute)s: eq takes one value, in a list of values.") % {"attribute": attribute},
        )
    codes = []
    for item in values:
        if not isinstance(item, str) or not item or not set(item) <= CODE_CHARACTERS:
            raise Rejected(
                CRITERIA,
                _("%(attribute)s: %(value)s is not a code (small Latin letters, digits, - and _).")
                % {"attribute": attribute, "value": repr(item)[:60]},
            )
        codes.append(item)
    return codes


def _expression(agency: Agency, expression: DciExpression, on: date) -> Q:
    attribute, operator, value = (
        expression.attribute_name,
        expression.operator,
        expression.attribute_value,
    )
    if attribute not in agency.predicates:
        raise Rejected(
            CRITERIA,
            _("This agency may not search by %(attribute)s.") % {"attribute": attribute},
        )
    if operator not in OPERATORS[attribute]:
        raise Rejected(
            CRITERIA,
            _("%(attribute)s takes the operators %(operators)s.")
            % {"attribute": attribute, "operators": ", ".join(sorted(OPERATORS[attribute]))},
        )
    if attribute == QueryAttribute.AGE:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 150:
            raise Rejected(CRITERIA, _("age: a whole number of years from 0 to 150."))
        return _age(operator, value, on)
    if attribute == QueryAttribute.SEX:
        values = value if isinstance(value, list) else [value]
        sexes = [SEXES.get(v.lower()) if isinstance(v, str) else None for v in values]
        if None in sexes or (operator == "eq") == isinstance(value, list):
            raise Rejected(CRITERIA, _("sex: female or male."))
        return Q(sex__in=sexes)
    codes = _codes(attribute, operator, value)
    if attribute == QueryAttribute.MUNICIPALITY:
        known = set(Municipality.objects.filter(code__in=codes).values_list("code", flat=True))
        if unknown := sorted(set(codes) - known):
            raise Rejected(
                CRITERIA,
                _("Unknown municipality code: %(codes)s.") % {"codes": ", ".join(unknown)[:200]},
            )
        return Q(municipality__code__in=codes)
    programmes = dict(Programme.objects.filter(code__in=codes).values_list("code", "pk"))
    if unknown := sorted(set(codes) - set(programmes)):
        raise Rejected(
            CRITERIA,
            _("Unknown programme code: %(codes)s.") % {"codes": ", ".join(unknown)[:200]},
        )
    if not agency.receives(F.DISABILITY):
        health = set(health_programme_ids())
        if hidden := sorted(code for code, pk in programmes.items() if pk in health):
            raise Rejected(
                CRITERIA,
                _(
                    "Enrolment in %(codes)s says something about a person's health, which "
                    "this agency does not receive."
                )
                % {"codes": ", ".join(hidden)},
            )
    return enrolled_in(codes, on=on)


def _predicates(agency: Agency, predicates: list[DciPredicate], on: date) -> Q:
    condition = Q()
    for predicate in sorted(predicates, key=lambda p: p.seq_num or 0):
        first = _expression(agency, predicate.expression1, on)
        if predicate.expression2 is None:
            if predicate.condition is not None:
                raise Rejected(CRITERIA, _("A condition joins expression1 to an expression2."))
            condition &= first
            continue
        second = _expression(agency, predicate.expression2, on)
        join = predicate.condition or "and"
        condition &= {"and": first & second, "or": first | second, "not": first & ~second}[join]
    return condition


def plan_search(agency: Agency, criteria: DciSearchCriteria, on: date) -> Plan:
    """The query a search's criteria ask for, or Rejected: what the standard allows but this
    registry does not answer, or the agency may not ask."""
    if criteria.query_type not in QueryType.values:
        raise Rejected(
            CRITERIA,
            _("The query type %(type)s is not supported: use idtype-value or predicate.")
            % {"type": criteria.query_type},
        )
    if criteria.query_type not in agency.query_types:
        raise Rejected(
            CRITERIA,
            _("This agency may not search by %(type)s.") % {"type": criteria.query_type},
        )
    if criteria.query_type == QueryType.IDTYPE_VALUE:
        if not isinstance(criteria.query, DciIdTypeValue):
            raise Rejected(CRITERIA, _("An idtype-value query is an object: type and value."))
        condition = Q(personal_number=criteria.query.value)
    else:
        if not isinstance(criteria.query, list):
            raise Rejected(CRITERIA, _("A predicate query is a list of predicates."))
        condition = _predicates(agency, criteria.query, on)
    order = []
    for sort in criteria.sort:
        scope, columns = SORTS.get(sort.attribute_name, (None, []))
        if scope is None or not agency.receives(scope):
            raise Rejected(
                "rjct.sort.invalid",
                _("Sort by one of the fields this agency receives: %(fields)s.")
                % {
                    "fields": ", ".join(n for n, (s, _c) in SORTS.items() if agency.receives(s))
                    or "-"
                },
            )
        order += [f"-{c}" if sort.sort_order == "desc" else c for c in columns]
    pagination = criteria.pagination or DciPagination(page_size=DEFAULT_PAGE_SIZE)
    if pagination.page_size > MAX_PAGE_SIZE:
        raise Rejected(
            "rjct.pagination.invalid",
            _("At most %(most)s records a page.") % {"most": MAX_PAGE_SIZE},
        )
    return Plan(condition, order, pagination.page_size, pagination.page_number)


# -- The operation -------------------------------------------------------------------------------


def _check_envelope(client: AgencyClient, envelope: DciSearchEnvelope) -> None:
    header = envelope.header
    if header.version != VERSION:
        raise EnvelopeError(
            "err.version.not_supported",
            _("Version %(version)s is not supported: use 1.0.0.") % {"version": header.version},
        )
    if header.is_msg_encrypted:
        raise EnvelopeError(
            "err.encryption.invalid",
            _("Encrypted messages are not accepted: send the message in the clear over HTTPS."),
        )
    if header.sender_id != client.agency.sender_id:
        raise EnvelopeError(
            "err.sender_id.invalid",
            _("The sender_id is not this key's agency (%(sender)s).")
            % {"sender": client.agency.sender_id},
        )
    if header.receiver_id is not None and header.receiver_id != REGISTRY_ID:
        raise EnvelopeError(
            "err.receiver_id.invalid",
            _("The receiver_id is %(registry)s.") % {"registry": REGISTRY_ID},
        )
    searches = len(envelope.message.search_request)
    if header.total_count != searches:
        raise EnvelopeError(
            "err.request.bad",
            _("header.total_count is %(count)s but the message has %(searches)s search_request.")
            % {"count": header.total_count, "searches": searches},
        )


def _criteria_logged(criteria: DciSearchCriteria) -> dict:
    """What the log keeps of a search: what was asked, not the consent or meta objects."""
    return criteria.model_dump(
        mode="json", include={"query_type", "query", "sort", "pagination", "reg_type"}
    )


def _search(request, client: AgencyClient, transaction_id: str, item, seen: set, on: date):
    agency = client.agency
    address = client_address(request) or None
    criteria = item.search_criteria
    base = {"reference_id": item.reference_id, "timestamp": timezone.now()}
    if item.locale is not None:
        base["locale"] = item.locale
    try:
        if item.reference_id in seen:
            raise Rejected(
                "rjct.reference_id.duplicate",
                _("Another search of this message has the reference_id %(id)s.")
                % {"id": item.reference_id},
            )
        seen.add(item.reference_id)
        plan = plan_search(agency, criteria, on)
        people = agency_people(agency=agency, condition=plan.condition, order=plan.order)
        total = people.count()
        if total > agency.max_results:
            raise Rejected(
                "rjct.search.too_many_records_found",
                _("%(total)s records match; this agency may receive at most %(most)s a search.")
                % {"total": total, "most": agency.max_results},
            )
    except Rejected as rejected:
        agencies.query_search_refused(
            client=client,
            transaction_id=transaction_id,
            reference_id=item.reference_id,
            query_type=criteria.query_type,
            criteria=_criteria_logged(criteria),
            reason=f"{rejected.code}: {rejected.message}",
            address=address,
        )
        return {
            **base,
            "status": "rjct",
            "status_reason_code": rejected.code,
            "status_reason_message": rejected.message,
        }
    start = (plan.page_number - 1) * plan.page_size
    page = list(people[start : start + plan.page_size]) if start < total else []
    records = agency_records(agency=agency, people=page, on=on)
    agencies.query_answered(
        client=client,
        transaction_id=transaction_id,
        reference_id=item.reference_id,
        query_type=criteria.query_type,
        criteria=_criteria_logged(criteria),
        total_count=total,
        person_ids=[p.pk for p in page],
        fields=agency.fields,
        address=address,
    )
    return {
        **base,
        "status": "succ",
        "data": {
            "version": VERSION,
            "reg_type": REG_TYPE,
            "reg_record_type": REG_RECORD_TYPE,
            "reg_records": records,
        },
        "pagination": {
            "page_size": plan.page_size,
            "page_number": plan.page_number,
            "total_count": total,
        },
    }


@dci_api.post(
    "/registry/sync/search",
    response={
        200: DciSearchResponse,
        400: DciErrorResponse,
        401: DciErrorResponse,
        403: DciErrorResponse,
        429: DciErrorResponse,
    },
    exclude_unset=True,
    operation_id="post_reg_sync_search",
    summary="/registry/sync/search",
    tags=["Sync"],
)
def sync_search(request, envelope: DciSearchEnvelope):
    """Search the social registry and answer at once: by personal number (`idtype-value`, type
    UIN) or by conditions (`predicate`: municipality, age, sex, programme), a page at a time,
    each search of the message answered in `search_response` with its own status. Only the
    fields of the agency's scope are answered (the others absent); a search the agency may not
    make is answered `rjct` with `rjct.search_criteria.invalid`; every search is logged with the
    agency's legal basis. 401: no key, or one unknown, revoked or expired; 403: the agency's
    access is suspended; 429: over the agency's rate limit (Retry-After)."""
    client: AgencyClient = request.auth
    _check_envelope(client, envelope)
    on = timezone.localdate()
    seen: set[str] = set()
    answers = []
    for item in envelope.message.search_request:
        language = LOCALES.get(item.locale or "", translation.get_language())
        with translation.override(language):
            answers.append(
                _search(request, client, envelope.message.transaction_id, item, seen, on)
            )
    return {
        "header": {
            "version": VERSION,
            "message_id": uuid.uuid4().hex,
            "message_ts": timezone.now(),
            "action": "on-search",
            "status": "succ",
            "total_count": len(answers),
            "completed_count": len(answers),
            "sender_id": REGISTRY_ID,
            "receiver_id": client.agency.sender_id,
            "is_msg_encrypted": False,
        },
        "message": {
            "transaction_id": envelope.message.transaction_id,
            "correlation_id": uuid.uuid4().hex,
            "search_response": answers,
        },
    }
