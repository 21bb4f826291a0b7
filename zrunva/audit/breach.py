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


def scope_of(*, dpo, actor: Actor, since: datetime, until: datetime, record: bool = True) -> Scope:
    """What `actor` reached between `since` and `until`. For the data protection officer
    (AUDIT_VIEW) alone; the report itself is an access to the trail and is audited as one,
    naming the DPO, the actor asked about and the window."""
    permissions.require(dpo, permissions.AUDIT_VIEW)
    if since >= until:
        raise ScopeError(_("The window is empty: --since must be before --until."))
    scope = Scope(actor=actor, since=since, until=until)
    people_of: dict[int, set[int]] = defaultdict(set)  # person id -> households reached
    via_household: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    direct: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
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
        if kind not in REACHING or not entry.object_pk:
            scope.unnamed.append(_unnamed(entry, kind, data))
            continue
        # Rows of changes carry the person and household they concern (their models'
        # get_additional_data), so records since deleted are still found.
        # A row naming both (a membership) concerns the person, not everyone in the household.
        named = False
        if isinstance(data.get("person_id"), int):
            direct[data["person_id"]].append((kind, entry.timestamp))
            named = True
        elif isinstance(data.get("household_id"), int):
            via_household[data["household_id"]].append((kind, entry.timestamp))
            named = True
        model = entry.content_type.model_class()
        if model is not None and not named:
            pending[model].append((entry, kind))
        elif model is None and not named:
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
            if not persons and not households:
                scope.unnamed.append(_unnamed(entry, kind, entry.additional_data or {}))
            for pk in persons:
                direct[pk].append((kind, entry.timestamp))
            for pk in households:
                via_household[pk].append((kind, entry.timestamp))

    agencies = resolver("agencies")
    if queries and agencies is not None:
        disclosed = agencies.disclosed([q for _e, q in queries])
        for entry, query in queries:
            for pk in disclosed.get(query, ()):
                direct[pk].append((DISCLOSURE, entry.timestamp))

    if people is None or not (direct or via_household):
        return _recorded(scope, dpo=dpo, record=record)
    described, members, places = people.people(
        set(direct), set(via_household), timezone.localdate(since), timezone.localdate(until)
    )
    for household, events in via_household.items():
        for pk in members.get(household, ()):
            direct[pk].extend(events)
            people_of[pk].add(household)
    for pk, events in direct.items():
        info = described.get(pk, {})
        place = info.get("municipality") or next(
            (places[h] for h in people_of.get(pk, ()) if h in places), ""
        )
        reached = Reached(
            person_id=pk,
            personal_number=info.get("personal_number", ""),
            name=info.get("name", ""),
            municipality=place,
        )
        for kind, when in events:
            reached.saw(kind, when)
        scope.people[pk] = reached
        scope.by_municipality[place or _("(unknown)")] += 1
    # Households whose members could not be listed (no membership in the window) still count.
    for household in via_household:
        if not members.get(household):
            scope.unnamed.append(
                {
                    "when": via_household[household][0][1],
                    "kind": via_household[household][0][0],
                    "record": _("household №%(pk)s (no members in the window)") % {"pk": household},
                    "detail": places.get(household, ""),
                }
            )
    return _recorded(scope, dpo=dpo, record=record)


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
