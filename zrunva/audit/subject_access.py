"""The subject-access report: everything held about one person and who accessed or changed it.

The Law of Georgia on Personal Data Protection (№3144 of 14 June 2023) gives a data subject the
right to learn what data about them are processed, for what purpose, who received them and
from where they came, and asks that the answer be given within 10 working days.

This app knows no domain: every app that holds data about a person registers a provider (through
`zrunva.core.extensions`, the slot `subject_access`) from its `apps.py` `ready()` (`register("applications", _("Applications"), provider)`), so a new app
(payments, cases) adds its section without editing the registry or this module. A provider gets
the `Subject` (the person and what earlier providers found about them: their households,
contacts, reference numbers) and returns a `Section`: the rows it holds, as text, and the records
(model, primary key) whose audit rows (changes, reads, denied attempts) belong in the processing
log. Providers run in `order`: the ones that find contacts and numbers before those that search
by them (the outbox).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from zrunva.accounts import permissions
from zrunva.core import extensions
from zrunva.core.casework import staff_name

SLOT = "subject_access"


@dataclass
class Subject:
    """The person asked about and what providers learn about them on the way. `person` is the
    registry's record, or None for someone the registry does not hold (a portal applicant whose
    application was never registered): the other apps still hold data under their number."""

    person: models.Model | None
    personal_number: str
    household_ids: set[int] = field(default_factory=set)
    # Phones and e-mail addresses the person gave (on applications, grievances).
    contacts: set[str] = field(default_factory=set)
    # Numbers of their records that messages and other records refer to (ZR-…, GR-…).
    references: set[str] = field(default_factory=set)


@dataclass
class Section:
    """What one provider holds: `items` are {"record": "app.model", "id": str, "fields": {...}};
    `records` are (model, pk) pairs whose audit rows belong in the processing log; `log` adds
    audit rows found otherwise (rows about deleted records, keyed by person or household id)."""

    items: list[dict] = field(default_factory=list)
    records: list[tuple[type[models.Model], object]] = field(default_factory=list)
    log: Q | None = None

    def add(
        self,
        instance: models.Model,
        *,
        title: str = "",
        exclude: Iterable[str] = (),
        labels: dict | None = None,
        **extra,
    ) -> dict:
        """`extra`: values the record does not hold itself (a related record's number), each
        named in `labels` for the reader, as the record's own fields are by their model."""
        item = {
            "record": instance._meta.label_lower,
            "id": str(instance.pk),
            "kind": str(instance._meta.verbose_name),
            "title": str(title or instance),
            "fields": {**as_fields(instance, exclude=exclude), **extra},
            "labels": {key: str(label) for key, label in (labels or {}).items()},
        }
        self.items.append(item)
        self.records.append((type(instance), instance.pk))
        return item


@dataclass(frozen=True)
class Provider:
    key: str
    title: str
    provider: Callable[[Subject], Section]
    order: int


def register(key: str, title, provider: Callable[[Subject], Section], *, order: int = 50) -> None:
    """Add a section to every subject-access report (the `subject_access` extension slot).
    Called from an app's `ready()`; the same key registered again replaces the earlier one."""
    extensions.register(
        SLOT, key, Provider(key=key, title=title, provider=provider, order=order), order=order
    )


def providers() -> list[Provider]:
    return extensions.values(SLOT)


def as_fields(instance: models.Model, *, exclude: Iterable[str] = ()) -> dict:
    """A record's stored values: text for scalars (ids for foreign keys), JSON as it is stored."""
    skip = set(exclude)
    out = {}
    for f in instance._meta.concrete_fields:
        if f.name in skip:
            continue
        value = getattr(instance, f.attname)
        if isinstance(f, models.FileField):
            continue  # the stored file's path; the report lists its name, kind and size
        if value is None or isinstance(value, dict | list):
            out[f.name] = value
        else:
            out[f.name] = str(value)
    return out


def _log_filter(sections: Iterable[Section], subject: Subject) -> Q:
    by_model: dict[type[models.Model], set[str]] = {}
    extra = Q()
    for section in sections:
        for model, pk in section.records:
            by_model.setdefault(model, set()).add(str(pk))
        if section.log is not None:
            extra |= section.log
    types = ContentType.objects.get_for_models(*by_model) if by_model else {}
    query = Q(pk__in=[])
    for model, pks in by_model.items():
        query |= Q(content_type=types[model], object_pk__in=sorted(pks))
    # Lookups by their personal number (searches record their terms).
    query |= Q(
        action=LogEntry.Action.ACCESS,
        additional_data__terms__personal_number=subject.personal_number,
    )
    return query | extra


def _log_row(entry: LogEntry) -> dict:
    data = entry.additional_data or {}
    return {
        "timestamp": entry.timestamp.isoformat(),
        "action": entry.get_action_display(),
        "attempt": bool(isinstance(data, dict) and data.get("attempt")),
        "record": f"{entry.content_type.app_label}.{entry.content_type.model}#{entry.object_pk}",
        "actor": entry.actor.username if entry.actor else None,
        # Whom the person reading the report knows: the name; the username stays for programs.
        "actor_name": staff_name(entry.actor) if entry.actor else None,
        "actor_role": entry.actor.get_role_display() if entry.actor else None,
        "address": entry.remote_addr,
        "changes": entry.changes,
        "details": entry.additional_data,
    }


def report(*, actor, person: models.Model | None, personal_number: str = "") -> dict:
    """Every registered section for `person` (or, for someone the registry does not hold, for
    `personal_number`), then every audit row on the records held about them (changes, reads and
    denied attempts), oldest first. For the data protection officer (SUBJECT_ACCESS), who also
    sees health data."""
    permissions.require(actor, permissions.SUBJECT_ACCESS)
    number = person.personal_number if person is not None else personal_number
    subject = Subject(person=person, personal_number=number)
    sections = []
    for p in providers():
        sections.append((p, p.provider(subject)))
    entries = (
        LogEntry.objects.filter(_log_filter([s for _p, s in sections], subject))
        .select_related("actor", "content_type")
        .order_by("timestamp", "id")
    )
    return {
        "person": {
            "id": str(person.pk) if person is not None else None,
            "personal_number": subject.personal_number,
        },
        "sections": [{"key": p.key, "title": str(p.title), "items": s.items} for p, s in sections],
        "processing_log": [_log_row(e) for e in entries],
    }
