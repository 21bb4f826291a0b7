"""Other agencies' access, the writes: agencies and their scopes, their keys, and the log of
every query they make (`integration.dci` answers the queries; `selectors_agencies` reads).

Agencies, scopes and keys are set by the data protection officer or an administrator
(AGENCIES_MANAGE), or on the server (`manage.py agency_key_issue`, `actor=None`). Each change is
in the audit trail (auditlog, registered in apps.py); each query is an `AgencyQuery` row and a
row of the audit trail, each record answered an `AgencyDisclosure`."""

import math
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core import throttle as throttling
from zrunva.core.trail import acting_as, attempt_log, search_log
from zrunva.integration.models import Agency, AgencyClient, AgencyDisclosure, AgencyQuery
from zrunva.integration.models.agencies import (
    QueryAttribute,
    QueryStatus,
    QueryType,
    ReleasableField,
    agency_key_expiry,
)
from zrunva.registry.models import Person

KEY_PREFIX = "zag_"  # an agency's key, told apart from a staff API token at a glance
KEY_SHOWN = 12  # characters kept (and shown) to recognise a key
MAX_KEY_DAYS = 3660
RATE_WINDOW = 60  # seconds: an agency's limit is requests a minute
REFUSALS_LOGGED = 30  # refused keys a minute from one address


def _require(actor) -> None:
    """A user must hold AGENCIES_MANAGE; `None` is the server's operator (a management command)."""
    if actor is not None:
        permissions.require(actor, permissions.AGENCIES_MANAGE)


def _in_catalogue_order(values, choices) -> list[str]:
    chosen = set(values or [])
    return [value for value in choices.values if value in chosen]


SCOPE_FIELDS = (
    "name",
    "sender_id",
    "legal_basis",
    "contact",
    "active",
    "fields",
    "query_types",
    "predicates",
    "rate_limit",
    "max_results",
)


def _apply(agency: Agency, data: dict) -> None:
    for name in SCOPE_FIELDS:
        if name in data:
            setattr(agency, name, data[name])
    # Stored in the catalogue's order, each once: the log and the pages read them alike.
    agency.fields = _in_catalogue_order(agency.fields, ReleasableField)
    agency.query_types = _in_catalogue_order(agency.query_types, QueryType)
    agency.predicates = _in_catalogue_order(agency.predicates, QueryAttribute)
    if QueryType.PREDICATE in agency.query_types and not agency.predicates:
        raise ValidationError({"predicates": _("Choose the conditions the agency may search by.")})
    agency.full_clean()


@transaction.atomic
def agency_create(*, actor, **data) -> Agency:
    """A new agency with its legal basis and scope (`SCOPE_FIELDS`). An agency receives only
    the fields in its scope, searches only in the ways and by the conditions listed; the legal
    basis is required because every query is logged with it (Law №3144: disclosure needs one)."""
    _require(actor)
    agency = Agency()
    _apply(agency, data)
    with acting_as(actor):
        agency.save()
    return agency


@transaction.atomic
def agency_update(*, actor, agency: Agency, **data) -> Agency:
    """Change an agency's legal basis, scope or limits (`SCOPE_FIELDS`); effective for its next
    query. Queries already logged keep the legal basis they were made under."""
    _require(actor)
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    _apply(agency, data)
    with acting_as(actor):
        agency.save()
    return agency


@transaction.atomic
def agency_key_issue(
    *, actor, agency: Agency, name: str, days: int | None = None
) -> tuple[AgencyClient, str]:
    """A key for one of the agency's systems; returns it with the key, which is shown once and
    not stored (only its hash and its first characters). It expires after `days`
    (API_TOKEN_DAYS, a year, by default)."""
    _require(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the system the key is for.")})
    if len(name) > 100:
        raise ValidationError({"name": _("At most 100 characters.")})
    if days is not None and not 1 <= days <= MAX_KEY_DAYS:
        raise ValidationError({"days": _("From 1 to %(most)s days.") % {"most": MAX_KEY_DAYS}})
    if not agency.active:
        raise ValidationError(_("The agency is inactive: activate it before issuing a key."))
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with acting_as(actor):
        client = AgencyClient.objects.create(
            agency=agency,
            name=name,
            key_hash=AgencyClient.hash_key(key),
            prefix=key[:KEY_SHOWN],
            issued_by=actor,
            expires_at=agency_key_expiry(days),
        )
    return client, key


@transaction.atomic
def agency_key_revoke(*, actor, client: AgencyClient) -> AgencyClient:
    """A revoked key stops working at once and cannot be restored (issue a new one)."""
    _require(actor)
    client = AgencyClient.objects.select_for_update().get(pk=client.pk)
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.revoked_by = actor
        with acting_as(actor):
            client.save(update_fields=["revoked_at", "revoked_by"])
    return client


# -- Authentication and limits of the search API ---------------------------------------------


@dataclass
class KeyRefused(Exception):
    """A key the search API refuses: `status` 401 (unknown, revoked, expired) or 403 (the
    agency is inactive), `message` for the caller, `client` when the key was issued."""

    status: int
    message: str
    client: AgencyClient | None = None


def agency_key_authenticate(key: str, *, address: str | None = None) -> AgencyClient:
    """The working key `key` is, with its agency; raises KeyRefused, after logging the refusal
    (an `AgencyQuery` row and an attempt in the audit trail)."""
    client = None
    if key.startswith(KEY_PREFIX) and len(key) < 200:
        client = (
            AgencyClient.objects.select_related("agency")
            .filter(key_hash=AgencyClient.hash_key(key))
            .first()
        )
    refusal = None
    if client is None:
        refusal = KeyRefused(401, _("The key is not a key of any agency."))
    elif client.revoked_at is not None:
        refusal = KeyRefused(401, _("The key was revoked."), client)
    elif client.is_expired:
        refusal = KeyRefused(
            401,
            _("The key expired on %(day)s.")
            % {"day": timezone.localtime(client.expires_at).date().isoformat()},
            client,
        )
    elif not client.agency.active:
        refusal = KeyRefused(403, _("The agency's access is suspended."), client)
    if refusal is not None:
        # Refused keys are logged one by one, up to a limit a minute from one address: past it
        # they are refused all the same, unlogged, so that nobody fills the log.
        try:
            throttling.throttle(
                "dci_key_refused", address or "-", limit=(REFUSALS_LOGGED, RATE_WINDOW)
            )
        except throttling.Throttled:
            raise refusal from None
        query_refused(
            client=refusal.client,
            key=key,
            status=QueryStatus.UNAUTHORIZED if refusal.status == 401 else QueryStatus.FORBIDDEN,
            reason=refusal.message,
            address=address,
            http_status=refusal.status,
        )
        raise refusal
    AgencyClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
    return client


def agency_throttle(client: AgencyClient, *, address: str | None = None) -> None:
    """Count one request against the agency's limit (all its keys together); over it, the
    refusal is logged and `throttle.Throttled` raised."""
    agency = client.agency
    try:
        throttling.throttle("dci_agency", str(agency.pk), limit=(agency.rate_limit, RATE_WINDOW))
    except throttling.Throttled:
        query_refused(
            client=client,
            status=QueryStatus.THROTTLED,
            reason=_("More than %(limit)s requests a minute.") % {"limit": agency.rate_limit},
            address=address,
            http_status=429,
        )
        raise


# -- The query log --------------------------------------------------------------------------


def _storable(value):
    """Criteria as the database's JSON stores them: no NUL character (PostgreSQL refuses it in
    text), no infinite number, bounded text."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")[:500]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {_storable(str(k)): _storable(v) for k, v in list(value.items())[:50]}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value[:200]]
    return value


def _text(value: str, most: int) -> str:
    return (value or "").replace("\x00", "\ufffd")[:most]


def query_refused(
    *,
    client: AgencyClient | None,
    status: str,
    reason: str,
    key: str = "",
    address: str | None = None,
    http_status: int = 403,
    transaction_id: str = "",
    reference_id: str = "",
    query_type: str = "",
    criteria: dict | None = None,
) -> AgencyQuery:
    """A request refused before or instead of a search: logged with the agency (when the key
    is one) and as a denied attempt in the audit trail."""
    agency = client.agency if client is not None else None
    query = AgencyQuery.objects.create(
        agency=agency,
        client=client,
        key_prefix=client.prefix if client is not None else _text(key, KEY_SHOWN),
        legal_basis=agency.legal_basis if agency is not None else "",
        transaction_id=_text(transaction_id, 99),
        reference_id=_text(reference_id, 99),
        query_type=_text(query_type, 20),
        criteria=_storable(criteria or {}),
        status=status,
        reason=_text(str(reason), 500),
        address=address or None,
    )
    who = agency.sender_id if agency is not None else f"key {query.key_prefix}…"
    attempt_log(
        actor=None,
        instance=agency,
        status=http_status,
        reason=f"agency search: {who}: {status}: {reason}",
    )
    return query


@transaction.atomic
def query_answered(
    *,
    client: AgencyClient,
    transaction_id: str,
    reference_id: str,
    query_type: str,
    criteria: dict,
    total_count: int,
    person_ids: list[int],
    fields: list[str],
    address: str | None = None,
) -> AgencyQuery:
    """A search answered: the query with its legal basis, one disclosure per person answered
    (with the fields given), and a search row in the audit trail naming the agency."""
    agency = client.agency
    query = AgencyQuery.objects.create(
        agency=agency,
        client=client,
        key_prefix=client.prefix,
        legal_basis=agency.legal_basis,
        transaction_id=_text(transaction_id, 99),
        reference_id=_text(reference_id, 99),
        query_type=query_type,
        criteria=_storable(criteria),
        status=QueryStatus.ANSWERED,
        result_count=len(person_ids),
        total_count=total_count,
        address=address or None,
    )
    AgencyDisclosure.objects.bulk_create(
        [AgencyDisclosure(query=query, person_id=pk, fields=fields) for pk in person_ids],
        batch_size=1000,
    )
    search_log(
        actor=None,
        model=Person,
        terms={
            "agency": agency.sender_id,
            "key": client.prefix,
            "legal_basis": agency.legal_basis[:300],
            "query": query.pk,
            "query_type": query_type,
            "criteria": query.criteria,
        },
        shown=len(person_ids),
    )
    return query


def query_search_refused(
    *,
    client: AgencyClient,
    transaction_id: str,
    reference_id: str,
    query_type: str,
    criteria: dict,
    reason: str,
    address: str | None = None,
) -> AgencyQuery:
    """One search of a message refused (a condition the agency may not use, a malformed
    criterion): logged with the agency's legal basis and as a denied attempt."""
    return query_refused(
        client=client,
        status=QueryStatus.REFUSED,
        reason=reason,
        address=address,
        transaction_id=transaction_id,
        reference_id=reference_id,
        query_type=query_type,
        criteria=criteria,
    )
