"""The scope of a personal-data breach: what one actor (a staff account, an address, another
agency's key) read, changed, exported or was refused in a window, from the audit trail, and
the people it concerns, for the notification the data protection officer makes (Law of
Georgia on Personal Data Protection №3144: the Personal Data Protection Service within 72
hours; the people concerned when required). `manage.py breach_scope` prints it.

This app knows no domain. Which people an audited record concerns is asked of the apps that
hold them, through the `breach_scope` extension slot (`zrunva.core.extensions`):
- key `people` (the registry): a `PeopleResolver`;
- key `agencies` (integration): an `AgencyResolver`;
- key `record:<app_label.model>` (any app): a function `pks -> {pk: (person ids, household
  ids)}` for a record that names people through other records (a payroll's bank file names
  the payees of its lines); the registry's resolver covers the rest by their foreign keys.

What the trail cannot say is said in the report: a list export or a search records its filter
and how many rows it gave, not who was in them.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from auditlog.models import LogEntry
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.accounts import permissions
from zrunva.core import extensions
from zrunva.core.trail import SEARCH_REPR, search_log

SLOT = "breach_scope"

# What an audit row says the actor did.
READ = "read"
CHANGE = "change"
EXPORT = "export"
SEARCH = "search"
BULK = "bulk"
DISCLOSURE = "disclosure"
DENIED = "denied"
KINDS = (READ, CHANGE, EXPORT, DISCLOSURE, SEARCH, BULK, DENIED)
KIND_LABELS = {
    READ: gettext_lazy("read"),
    CHANGE: gettext_lazy("changed"),
    EXPORT: gettext_lazy("exported or downloaded"),
    DISCLOSURE: gettext_lazy("disclosed to an agency"),
    SEARCH: gettext_lazy("searched"),
    BULK: gettext_lazy("bulk run"),
    DENIED: gettext_lazy("refused"),
}
# The kinds that reach a person's data (a refused attempt reached nothing; a search or a bulk
# run records no one by name).
REACHING = (READ, CHANGE, EXPORT, DISCLOSURE)
# Purposes of a single record's read that hand over a file of it.
_FILE_PURPOSES = frozenset({"download", "export", "view document"})


@dataclass(frozen=True)
class PeopleResolver:
    """The registry's answers. `subjects(model, pks)`: for each primary key of `model` (as
    text), the person ids and household ids the record concerns. `people(person_ids,
    household_ids, since, until)`: ({person id: {"personal_number", "name", "municipality"}},
    {household id: person ids of its members in the window}, {household id: municipality})."""

    subjects: Callable[[type, list[str]], dict[str, tuple[set[int], set[int]]]]
    people: Callable[..., tuple[dict[int, dict], dict[int, set[int]], dict[int, str]]]


@dataclass(frozen=True)
class AgencyResolver:
    """Integration's answers. `known(key)`: whether an agency has this sender id, or a key
    starts with this prefix. `disclosed(query_ids)`: {query id: person ids answered}."""

    known: Callable[[str], bool]
    disclosed: Callable[[list[int]], dict[int, set[int]]]


class ScopeError(ValueError):
    """Arguments that name nothing or no window: the command's error."""


@dataclass
class Actor:
    """Whose actions: exactly one of a user, an address or an agency (sender id or key)."""

    user: object | None = None
    address: str = ""
    agency: str = ""

    def describe(self) -> str:
        if self.user is not None:
            return _("user %(name)s") % {"name": self.user.get_username()}
        if self.address:
            return _("address %(address)s") % {"address": self.address}
        return _("agency %(agency)s") % {"agency": self.agency}

    def terms(self) -> dict:
        if self.user is not None:
            return {"user": self.user.get_username()}
        return {"address": self.address} if self.address else {"agency": self.agency}


@dataclass
class Reached:
    """One person the actor's actions reached: how, how often, first and last time."""

    person_id: int
    personal_number: str = ""
    name: str = ""
    municipality: str = ""
    kinds: set[str] = field(default_factory=set)
    times: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def saw(self, kind: str, when: datetime) -> None:
        self.kinds.add(kind)
        self.times += 1
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)


@dataclass
class Scope:
    actor: Actor
    since: datetime
    until: datetime
    entries: int = 0
    counts: Counter = field(default_factory=Counter)  # (kind, record kind) -> rows
    people: dict[int, Reached] = field(default_factory=dict)
    # Whose records the actor asked for and was refused: reached nothing, but show intent.
    refused: dict[int, Reached] = field(default_factory=dict)
    by_municipality: Counter = field(default_factory=Counter)  # municipality -> people
    # Rows that name no one: searches and exports with their filter, bulk runs, refusals, and
    # records this report could not link to a person.
    unnamed: list[dict] = field(default_factory=list)


def resolver(key: str):
    """What an app registered under `key` in the `breach_scope` slot, or None."""
    return extensions.value(SLOT, key)


def actor_entries(actor: Actor, since: datetime, until: datetime) -> QuerySet[LogEntry]:
    """The audit rows of the actor in [since, until), oldest first."""
    qs = LogEntry.objects.filter(timestamp__gte=since, timestamp__lt=until)
    if actor.user is not None:
        qs = qs.filter(actor=actor.user)
    elif actor.address:
        qs = qs.filter(remote_addr=actor.address)
    else:
        # An answered search names the agency and its key in its terms; a refused one is an
        # attempt whose reason begins with the agency's sender id (zrunva.integration).
        key = actor.agency
        qs = qs.filter(
            Q(additional_data__terms__agency=key)
            | Q(additional_data__terms__key=key)
            | Q(
                additional_data__attempt=True,
                additional_data__reason__startswith=f"agency search: {key}:",
            )
            | Q(
                additional_data__attempt=True,
                additional_data__reason__startswith=f"agency search: key {key}",
            )
        )
    return qs.select_related("content_type").order_by("timestamp", "id")


def kind_of(entry: LogEntry) -> str:
    data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    if data.get("attempt"):
        return DENIED
    if entry.action == LogEntry.Action.ACCESS:
        if entry.object_repr == SEARCH_REPR or not entry.object_pk:
            terms = data.get("terms") or {}
            if "agency" in terms and "query" in terms:
                return DISCLOSURE
            if "export" in terms or "file" in terms:
                return EXPORT
            return SEARCH
        return EXPORT if data.get("purpose") in _FILE_PURPOSES else READ
    if data.get("purpose") == "bulk":
        return BULK
    return CHANGE


def _record_kind(entry: LogEntry) -> str:
    model = entry.content_type.model_class()
    return str(model._meta.verbose_name) if model else entry.content_type.model


@dataclass
class _Hits:
    """Events found for people and households, before they are named: (kind, when) each."""

    people: dict[int, list[tuple[str, datetime]]] = field(default_factory=lambda: defaultdict(list))
    households: dict[int, list[tuple[str, datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, persons, households, kind: str, when: datetime) -> None:
        for pk in persons:
            self.people[pk].append((kind, when))
        for pk in households:
            self.households[pk].append((kind, when))


def scope_of(*, dpo, actor: Actor, since: datetime, until: datetime, record: bool = True) -> Scope:
    """What `actor` reached between `since` and `until`, and whose records it was refused. For
    the data protection officer (AUDIT_VIEW) alone; the report itself is an access to the
    trail and is audited as one, naming the DPO, the actor asked about and the window."""
    permissions.require(dpo, permissions.AUDIT_VIEW)
    if since >= until:
        raise ScopeError(_("The window is empty: --since must be before --until."))
    scope = Scope(actor=actor, since=since, until=until)
    reached, refused = _Hits(), _Hits()
    pending: dict[type, list[tuple[LogEntry, str]]] = defaultdict(list)  # model -> rows
    queries: list[tuple[LogEntry, int]] = []

    for entry in actor_entries(actor, since, until).iterator(chunk_size=2000):
        kind = kind_of(entry)
        scope.entries += 1
        scope.counts[(kind, _record_kind(entry))] += 1
        data = entry.additional_data if isinstance(entry.additional_data, dict) else {}
        if kind == DISCLOSURE:
            queries.append((entry, int(data["terms"]["query"])))
            continue
        if kind not in REACHING:
            # Refusals keep their details here and name whose record was asked for below.
            scope.unnamed.append(_unnamed(entry, kind, data))
            if kind != DENIED or not entry.object_pk:
                continue
        elif not entry.object_pk:
            scope.unnamed.append(_unnamed(entry, kind, data))
            continue
        hits = refused if kind == DENIED else reached
        # Rows of changes carry the person or household they concern (their models'
        # get_additional_data), so records since deleted are still found. A row naming both
        # (a membership) concerns the person, not everyone in the household.
        if isinstance(data.get("person_id"), int):
            hits.add([data["person_id"]], [], kind, entry.timestamp)
        elif isinstance(data.get("household_id"), int):
            hits.add([], [data["household_id"]], kind, entry.timestamp)
        elif (model := entry.content_type.model_class()) is not None:
            pending[model].append((entry, kind))
        elif kind != DENIED:
            scope.unnamed.append(_unnamed(entry, kind, data))

    people = resolver("people")
    for model, rows in pending.items():
        custom = resolver(f"record:{model._meta.label_lower}")
        pks = sorted({e.object_pk for e, _k in rows})
        if custom is not None:
            found = custom(pks)
        elif people is not None:
            found = people.subjects(model, pks)
        else:
            found = {}
        for entry, kind in rows:
            persons, households = found.get(entry.object_pk, (set(), set()))
            if not persons and not households and kind != DENIED:
                scope.unnamed.append(_unnamed(entry, kind, entry.additional_data or {}))
            hits = refused if kind == DENIED else reached
            hits.add(persons, households, kind, entry.timestamp)

    agencies = resolver("agencies")
    if queries and agencies is not None:
        disclosed = agencies.disclosed([q for _e, q in queries])
        for entry, query in queries:
            reached.add(disclosed.get(query, ()), (), DISCLOSURE, entry.timestamp)

    if people is not None:
        window = (timezone.localdate(since), timezone.localdate(until))
        scope.people = _named(people, reached, window, scope=scope)
        scope.refused = _named(people, refused, window)
        for person in scope.people.values():
            scope.by_municipality[person.municipality or _("(unknown)")] += 1
    return _recorded(scope, dpo=dpo, record=record)


def _named(people: PeopleResolver, hits: _Hits, window, *, scope: Scope | None = None):
    """The people of `hits`, named: those found directly, and the members of each household
    in the window. A household with no members then is listed among the unnamed rows."""
    if not (hits.people or hits.households):
        return {}
    described, members, places = people.people(set(hits.people), set(hits.households), *window)
    events = {pk: list(found) for pk, found in hits.people.items()}
    homes: dict[int, set[int]] = defaultdict(set)  # person id -> households reached
    for household, found in hits.households.items():
        for pk in members.get(household, ()):
            events.setdefault(pk, []).extend(found)
            homes[pk].add(household)
        if scope is not None and not members.get(household):
            kind, when = found[0]
            scope.unnamed.append(
                {
                    "when": when,
                    "kind": kind,
                    "record": _("household №%(pk)s (no members in the window)") % {"pk": household},
                    "detail": places.get(household, ""),
                }
            )
    named = {}
    for pk, found in events.items():
        info = described.get(pk, {})
        place = info.get("municipality") or next(
            (places[h] for h in homes.get(pk, ()) if h in places), ""
        )
        person = Reached(
            person_id=pk,
            personal_number=info.get("personal_number", ""),
            name=info.get("name", ""),
            municipality=place,
        )
        for kind, when in found:
            person.saw(kind, when)
        named[pk] = person
    return named


def _unnamed(entry: LogEntry, kind: str, data: dict) -> dict:
    detail = {k: v for k, v in data.items() if k not in ("person_id", "household_id")}
    record = _record_kind(entry)
    if entry.object_pk:
        record = f"{record} №{entry.object_pk}"
    return {"when": entry.timestamp, "kind": kind, "record": record, "detail": detail}


def _recorded(scope: Scope, *, dpo, record: bool) -> Scope:
    if record:
        search_log(
            actor=dpo,
            model=LogEntry,
            terms={
                "purpose": "breach_scope",
                **scope.actor.terms(),
                "since": scope.since.isoformat(),
                "until": scope.until.isoformat(),
            },
            shown=len(scope.people),
        )
    return scope
