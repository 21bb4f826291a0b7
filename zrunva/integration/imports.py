"""Importing another registry's file: every row read, checked, found in the registry (or not) and
compared, with its outcome reported — new, changed (old → new per field), matched and unchanged,
or rejected (field and reason) — before anything is written; then, on commit, applied in one
transaction.

An import runs in two passes over bounded memory:

1. **Reading** (`_read`): the file streams in chunks of `CHUNK` rows. Each chunk's values are
   converted and checked by the registry's own field rules (the model fields' validators and
   `Person.clean`), its people found with one query per way of finding them (the source's
   record number linked before, personal number, identity document, exact name and birth
   date; rows with none of these, by record linkage — `_link_unmatched`), and each row's
   outcome written to `ImportRow` with `bulk_create`. A dry run stops here: the report is
   the product. A commit reads the file again and refuses each row whose outcome differs from
   what its dry run showed (`_as_checked`): it applies only what the officer read.
2. **Applying** (`_apply`, commits only), in one transaction: the rows' recorded changes are
   applied in batches (`bulk_update`, `bulk_create`) to people locked and checked unchanged
   since they were read; a person changed meanwhile makes their row rejected rather than
   overwritten. A source that is "all or nothing" applies nothing when any row is rejected.

Importing the same file again changes nothing: every row is then found, with nothing to
change. What a source may change is declared on it (`Source.updates`); a file's other columns
only identify people. An empty cell is no information (it never clears a stored value).
"""

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice

import polars as pl
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.accounts import permissions
from zrunva.core.jobs import JobContext, job_execute
from zrunva.core.romanisation import search_key
from zrunva.core.trail import bulk_run_log
from zrunva.geo.models import Municipality
from zrunva.integration.choices import ImportOutcome, MatchMethod
from zrunva.integration.models import Import, ImportRow, Source, SourceLink
from zrunva.integration.readers import Row, as_date, open_table, text_encoding
from zrunva.registry.choices import Relationship
from zrunva.registry.models import Household, Membership, Person
from zrunva.registry.services import person_names_derive

CHUNK = 5000
DEFAULT_DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"]
_TRUE = {"1", "true", "yes", "y", "დიახ", "კი"}
_FALSE = {"0", "false", "no", "n", "არა"}


@dataclass(frozen=True)
class Spec:
    label: object
    kind: str  # text, date, bool, decimal, choice, municipality
    role: str  # identity, update, household


# The registry fields a source's columns may fill, and what each is for. Identity fields find
# the person (and may also be declared updatable); household fields place a new person.
FIELDS: dict[str, Spec] = {
    "record_id": Spec(gettext_lazy("record number in the source"), "text", "identity"),
    "personal_number": Spec(gettext_lazy("personal number"), "text", "identity"),
    "alt_id_kind": Spec(gettext_lazy("other identity document"), "choice", "identity"),
    "alt_id_number": Spec(gettext_lazy("document number"), "text", "identity"),
    "first_name": Spec(gettext_lazy("first name"), "text", "identity"),
    "last_name": Spec(gettext_lazy("last name"), "text", "identity"),
    "birth_date": Spec(gettext_lazy("birth date"), "date", "identity"),
    "sex": Spec(gettext_lazy("sex"), "choice", "identity"),
    "date_of_death": Spec(gettext_lazy("date of death"), "date", "update"),
    "is_idp": Spec(gettext_lazy("internally displaced person"), "bool", "update"),
    "disability_degree": Spec(gettext_lazy("disability status"), "choice", "update"),
    "chronic_illness": Spec(gettext_lazy("chronic illness"), "bool", "update"),
    "pension_kind": Spec(gettext_lazy("pension"), "choice", "update"),
    "pension_amount": Spec(gettext_lazy("monthly pension, GEL"), "decimal", "update"),
    "employment_status": Spec(gettext_lazy("employment"), "choice", "update"),
    "citizenship": Spec(gettext_lazy("citizenship"), "choice", "update"),
    "household_ref": Spec(gettext_lazy("household in the file"), "text", "household"),
    "relationship": Spec(gettext_lazy("relationship to the head"), "choice", "household"),
    "municipality": Spec(gettext_lazy("municipality"), "municipality", "household"),
    "address": Spec(gettext_lazy("address"), "text", "household"),
}
PERSON_FIELDS = [name for name, spec in FIELDS.items() if spec.role != "household"][1:]
UPDATABLE = frozenset(
    {
        "first_name",
        "last_name",
        "birth_date",
        "sex",
        "date_of_death",
        "is_idp",
        "disability_degree",
        "chronic_illness",
        "pension_kind",
        "pension_amount",
        "employment_status",
        "citizenship",
    }
)
CREATE_NEEDS = ("first_name", "last_name", "birth_date", "sex") + tuple(
    name for name, spec in FIELDS.items() if spec.role == "household"
)
NAMES = {"first_name", "last_name"}


def source_problems(source: Source) -> dict[str, list[str]]:
    """What is wrong with a source's settings, by field: the one check the form, the API and
    the model run. A source must be able to find people, may change only fields a file can
    change, and, to register people, must say where they live."""
    problems: dict[str, list[str]] = {}

    def add(name, message):
        problems.setdefault(name, []).append(message)

    mapping = source.mapping if isinstance(source.mapping, dict) else {}
    if not isinstance(source.mapping, dict):
        add("mapping", _("The mapping is a list of registry fields and file columns."))
    for name, column in mapping.items():
        if name not in FIELDS:
            add("mapping", _("“%(name)s” is not a field an import fills.") % {"name": name})
        elif not isinstance(column, str) or not column.strip():
            add("mapping", _("Name the file's column for “%(name)s”.") % {"name": name})
    columns = [c.strip().casefold() for c in mapping.values() if isinstance(c, str)]
    doubled = sorted({c for c in columns if columns.count(c) > 1})
    if doubled:
        add(
            "mapping",
            _("One column is mapped to two fields: %(columns)s.") % {"columns": ", ".join(doubled)},
        )
    finds = (
        "record_id" in mapping
        or "personal_number" in mapping
        or {"alt_id_kind", "alt_id_number"} <= set(mapping)
        or {"first_name", "last_name", "birth_date"} <= set(mapping)
    )
    if not finds:
        add(
            "mapping",
            _(
                "Map a column that finds people: the source's record number, the personal "
                "number, an identity document, or the names with the birth date."
            ),
        )
    if not isinstance(source.updates, list) or not all(isinstance(u, str) for u in source.updates):
        add("updates", _("List the fields an import may change."))
    updates = (
        [u for u in source.updates if isinstance(u, str)]
        if isinstance(source.updates, list)
        else []
    )
    for name in updates:
        if name not in UPDATABLE:
            add("updates", _("An import may not change “%(name)s”.") % {"name": name})
        elif name not in mapping:
            add(
                "updates",
                _("“%(name)s” may change but no column is mapped to it.") % {"name": name},
            )
    if source.creates:
        missing = [name for name in CREATE_NEEDS if name not in mapping]
        if missing:
            add(
                "creates",
                _("To register people, map also: %(fields)s.")
                % {"fields": ", ".join(str(FIELDS[m].label) for m in missing)},
            )
    if not isinstance(source.values, dict):
        add("values", _('Map values as {"field": {"in the file": "in the registry"}}.'))
    values = source.values if isinstance(source.values, dict) else {}
    for name, table in values.items():
        if name not in mapping:
            add(
                "values",
                _("Values are mapped for “%(name)s”, which has no column.") % {"name": name},
            )
        elif not isinstance(table, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in table.items()
        ):
            add("values", _("Map each of “%(name)s”'s values to a text.") % {"name": name})
    if not isinstance(source.date_formats or [], list):
        add("date_formats", _("List the date formats."))
    for pattern in source.date_formats if isinstance(source.date_formats, list) else []:
        if not _date_format_ok(pattern):
            add("date_formats", _("“%(format)s” is not a date format.") % {"format": pattern})
    if not text_encoding(source.encoding):
        add("encoding", _("Unknown text encoding “%(name)s”.") % {"name": source.encoding})
    return problems


def _date_format_ok(pattern) -> bool:
    if not isinstance(pattern, str) or not all(p in pattern for p in ("%d", "%m")):
        return False
    day = date(2031, 12, 28)
    try:
        return datetime.strptime(day.strftime(pattern), pattern).date() == day
    except ValueError:
        return False


# -- Reading: one row's values ----------------------------------------------------------------


@dataclass
class Parsed:
    row: Row
    values: dict[str, object] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)
    person_id: int | None = None
    method: str = ""
    outcome: str = ""
    changes: dict = field(default_factory=dict)

    def reject(self, name: str, reason: str) -> None:
        self.errors.append({"field": name, "reason": str(reason)})

    @property
    def identity(self) -> str:
        v = self.values
        for name in ("personal_number", "record_id", "alt_id_number"):
            if v.get(name):
                return str(v[name])[:80]
        return ""


def _human(pattern: str) -> str:
    """A date format as people read it: %d.%m.%Y → DD.MM.YYYY."""
    for code, shown in (("%d", "DD"), ("%m", "MM"), ("%Y", "YYYY"), ("%y", "YY")):
        pattern = pattern.replace(code, shown)
    return pattern


def _json(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _from_json(name: str, value):
    if value is None:
        return None
    kind = FIELDS[name].kind if name in FIELDS else "text"
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    return value


class Reader:
    """Converts and checks rows of one source's file; remembers across chunks what a file may
    not repeat (a personal number or record number in two rows, a household's head)."""

    def __init__(self, source: Source):
        self.source = source
        self.mapping = {n: c.strip().casefold() for n, c in source.mapping.items()}
        self.values = source.values or {}
        self.formats = source.date_formats or DEFAULT_DATE_FORMATS
        self.municipalities = {}
        if "municipality" in self.mapping:
            for pk, code, ka, en in Municipality.objects.values_list(
                "pk", "code", "name_ka", "name_en"
            ):
                for key in (code, ka, en):
                    self.municipalities[key.strip().casefold()] = pk
        self.seen: dict[tuple[str, str], int] = {}
        # household_ref -> {"head_row", "household_id" (existing), "new" (made by this file)}
        self.households: dict[str, dict] = {}
        # Rows no number found, with names and a birth date: record linkage looks for them
        # after the file is read (`_link_unmatched`).
        self.unmatched: list[dict] = []

    def parse(self, row: Row) -> Parsed:
        parsed = Parsed(row)
        for column, reason in row.problems:
            name = next((n for n, c in self.mapping.items() if c == column), "")
            parsed.reject(name, reason)
        for name, column in self.mapping.items():
            raw = row.values.get(column)
            if isinstance(raw, str):
                raw = raw.strip()
            if raw is None or raw == "":
                continue
            if isinstance(raw, str) and name in self.values:
                raw = self.values[name].get(raw, raw)
            try:
                parsed.values[name] = self._convert(name, raw)
            except ValidationError as error:
                for message in error.messages:
                    parsed.reject(name, message)
        self._once(parsed)
        return parsed

    def _convert(self, name: str, raw):
        spec = FIELDS[name]
        if spec.kind == "date":
            try:
                raw = as_date(raw, self.formats)
            except ValueError:
                raise ValidationError(
                    _("“%(value)s” is not a date written as %(formats)s.")
                    % {"value": raw, "formats": " / ".join(_human(f) for f in self.formats)}
                ) from None
        elif spec.kind == "bool":
            text = str(raw).strip().casefold()
            if text in _TRUE:
                raw = True
            elif text in _FALSE:
                raw = False
            else:
                raise ValidationError(_("“%(value)s” is not yes or no.") % {"value": raw})
        elif spec.kind == "decimal":
            try:
                raw = Decimal(str(raw).replace(" ", "").replace(",", "."))
            except InvalidOperation:
                raise ValidationError(_("“%(value)s” is not a number.") % {"value": raw}) from None
        elif spec.kind == "municipality":
            pk = self.municipalities.get(str(raw).casefold())
            if pk is None:
                raise ValidationError(_("No municipality “%(value)s”.") % {"value": raw})
            if self.source.municipality_id and pk != self.source.municipality_id:
                raise ValidationError(_("This source's people live in its own municipality."))
            return pk
        if name == "personal_number":
            raw = str(raw)
            if raw.isdigit() and len(raw) == 10:
                raise ValidationError(
                    _(
                        "A personal number has exactly 11 digits; this one has 10 — a leading "
                        "zero may have been lost: format the column as text."
                    )
                )
        if name in ("household_ref", "record_id"):
            return str(raw)[:80]
        if name in NAMES:
            # Names only find the person unless the source writes them (then `_written` holds
            # them to the registry's rule): other registries may spell them in Latin.
            return " ".join(str(raw).split())[:60]
        if name == "relationship":
            return Membership._meta.get_field("relationship").clean(str(raw), None)
        if name == "address":
            return Household._meta.get_field("address").clean(str(raw), None)
        model_field = Person._meta.get_field(name)
        if spec.kind == "text" or spec.kind == "choice":
            raw = str(raw)
        return model_field.clean(raw, None)

    def _once(self, parsed: Parsed) -> None:
        """A personal number, document or record number appears in one row of a file only."""
        v = parsed.values
        keys = []
        if v.get("personal_number"):
            keys.append(("personal_number", v["personal_number"]))
        if v.get("record_id"):
            keys.append(("record_id", v["record_id"]))
        if v.get("alt_id_number") and v.get("alt_id_kind"):
            keys.append(("alt_id_number", f"{v['alt_id_kind']}:{v['alt_id_number']}"))
        for name, key in keys:
            first = self.seen.setdefault((name, key), parsed.row.number)
            if first != parsed.row.number:
                parsed.reject(
                    name,
                    _("The same %(field)s is already in row %(row)d.")
                    % {"field": FIELDS[name].label, "row": first},
                )


# -- Finding people ---------------------------------------------------------------------------


def _live(qs):
    """People not merged into another (the survivor is found instead)."""
    return qs.filter(merged_into__isnull=True)


def _find(source: Source, rows: list[Parsed]) -> None:
    """Find each row's person, strongest way first, with one query per way for the chunk."""
    todo = [p for p in rows if not p.errors]
    record_ids = [p.values["record_id"] for p in todo if p.values.get("record_id")]
    if record_ids:
        links = dict(
            SourceLink.objects.filter(source=source, record_id__in=record_ids).values_list(
                "record_id", "person_id"
            )
        )
        for p in todo:
            if p.values.get("record_id") in links:
                p.person_id, p.method = links[p.values["record_id"]], MatchMethod.LINK
    numbers = [p.values["personal_number"] for p in todo if p.values.get("personal_number")]
    if numbers:
        found = dict(
            _live(Person.objects.filter(personal_number__in=numbers)).values_list(
                "personal_number", "pk"
            )
        )
        for p in todo:
            pk = found.get(p.values.get("personal_number"))
            if pk is None:
                continue
            if p.person_id is not None and p.person_id != pk:
                p.reject(
                    "personal_number",
                    _(
                        "The source's record number is linked to another person than this "
                        "personal number's."
                    ),
                )
            elif p.person_id is None:
                p.person_id, p.method = pk, MatchMethod.PERSONAL_NUMBER
    documents = [
        p
        for p in todo
        if p.person_id is None and p.values.get("alt_id_number") and p.values.get("alt_id_kind")
    ]
    if documents:
        found = {
            (kind, number): pk
            for pk, kind, number in _live(
                Person.objects.filter(
                    alt_id_number__in=[p.values["alt_id_number"] for p in documents]
                )
            ).values_list("pk", "alt_id_kind", "alt_id_number")
        }
        for p in documents:
            pk = found.get((p.values["alt_id_kind"], p.values["alt_id_number"]))
            if pk is not None:
                p.person_id, p.method = pk, MatchMethod.DOCUMENT
    # Without a number, the exact name (romanised, marks dropped) and birth date, when only
    # one person has them; the review of uncertain matches is record linkage's.
    named = [
        p
        for p in todo
        if p.person_id is None
        and not p.values.get("personal_number")
        and p.values.get("first_name")
        and p.values.get("last_name")
        and p.values.get("birth_date")
    ]
    if named:
        keyed = {}
        for p in named:
            key = search_key(f"{p.values['first_name']} {p.values['last_name']}")
            keyed.setdefault((key, p.values["birth_date"]), []).append(p)
        found: dict[tuple, list[int]] = {}
        for pk, key, born in _live(
            Person.objects.filter(
                name_key__in={k for k, _d in keyed}, birth_date__in={d for _k, d in keyed}
            )
        ).values_list("pk", "name_key", "birth_date"):
            found.setdefault((key, born), []).append(pk)
        for key, parsed in keyed.items():
            pks = found.get(key, [])
            for p in parsed:
                if len(pks) == 1:
                    p.person_id, p.method = pks[0], MatchMethod.NAME_BIRTH
                elif len(pks) > 1:
                    p.reject(
                        "",
                        _(
                            "%(count)d people in the registry have this name and birth date: "
                            "add the personal number."
                        )
                        % {"count": len(pks)},
                    )


def _current(person_ids: Iterable[int]) -> dict[int, dict]:
    fields = ["pk", "municipality_id", *[n for n in PERSON_FIELDS if n != "record_id"]]
    people = {row["pk"]: row for row in Person.objects.filter(pk__in=person_ids).values(*fields)}
    for person_id, household_id in Membership.objects.filter(
        person_id__in=people, end_date__isnull=True
    ).values_list("person_id", "household_id"):
        people[person_id]["household_id"] = household_id
    return people


# -- Deciding each row's outcome --------------------------------------------------------------


def _decide(reader: Reader, rows: list[Parsed]) -> None:
    source = reader.source
    people = _current(p.person_id for p in rows if p.person_id is not None)
    for p in rows:
        if p.errors:
            p.outcome = ImportOutcome.REJECTED
            continue
        if p.person_id is not None and not _in_area(source, people[p.person_id]):
            _outside(p)
        elif p.person_id is not None:
            _compare(source, p, people[p.person_id])
            if source.creates and not p.errors:
                _join_found(reader, p, people[p.person_id])
        elif source.creates:
            _new(reader, p)
        else:
            p.reject(
                "",
                _("No one in the registry matches this row, and this source registers no one."),
            )
        if p.errors:
            p.outcome = ImportOutcome.REJECTED
            p.changes = {}
        if (
            p.person_id is None
            and all(p.values.get(n) for n in LINKED)
            and (p.outcome == ImportOutcome.NEW or len(p.errors) == 1 and not p.errors[0]["field"])
        ):
            reader.unmatched.append({"row": p.row.number, **p.values})


def _in_area(source: Source, current: dict) -> bool:
    return source.municipality_id is None or current["municipality_id"] == source.municipality_id


def _outside(p: Parsed) -> None:
    """A municipality's list found someone registered elsewhere: their office updates them, and
    the report names no one and shows nothing of them."""
    p.person_id, p.method = None, ""
    p.reject("", _("This person is registered in another municipality: their office updates them."))


# What record linkage needs of a row to look for its person.
LINKED = ("first_name", "last_name", "birth_date")


def _written(p: Parsed, names: Iterable[str]) -> None:
    """The registry's rules for the names a row writes (Georgian letters)."""
    for name in set(names) & NAMES:
        try:
            Person._meta.get_field(name).run_validators(p.values[name])
        except ValidationError as error:
            for message in error.messages:
                p.reject(name, message)


def _compare(source: Source, p: Parsed, current: dict) -> None:
    number = p.values.get("personal_number")
    if number and current["personal_number"] and number != current["personal_number"]:
        p.reject(
            "personal_number",
            _("The person linked to this record has another personal number in the registry."),
        )
        return
    changes = {}
    for name in source.updates:
        if name in p.values and p.values[name] != current[name]:
            changes[name] = [_json(current[name]), _json(p.values[name])]
    _written(p, changes)
    if p.errors:
        return
    if changes:
        candidate = Person(
            **{
                k: v
                for k, v in current.items()
                if k not in ("pk", "household_id", "municipality_id")
            }
        )
        for name, (_old, new) in changes.items():
            setattr(candidate, name, _from_json(name, new))
        try:
            candidate.clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    p.reject(name if name in FIELDS else "", message)
            return
    p.changes = changes
    p.outcome = ImportOutcome.CHANGED if changes else ImportOutcome.UNCHANGED


def _join_found(reader: Reader, p: Parsed, current: dict) -> None:
    """A person found in a file that registers households: they stay where they are; a file
    putting them in another household is refused for that row (one household at a time)."""
    ref, relationship = p.values.get("household_ref"), p.values.get("relationship")
    if not ref or not relationship:
        for name in ("household_ref", "relationship"):
            if not p.values.get(name):
                p.reject(name, _("Required to place the person in a household."))
        return
    group = reader.households.get(ref)
    household_id = current.get("household_id")
    if group is None:
        if relationship != Relationship.HEAD:
            p.reject(
                "household_ref",
                _("The household's head must come before its members in the file."),
            )
            return
        reader.households[ref] = {
            "head_row": p.row.number,
            "household_id": household_id,
            "refused": household_id is None,
        }
        if household_id is None:
            # Their household would have to be made for them: an officer registers it.
            p.reject(
                "household_ref",
                _("This person belongs to no household: register their household on their page."),
            )
        return
    if group["household_id"] is None and household_id is None:
        p.reject("household_ref", _("The household's head's row is refused."))
        return
    if group["household_id"] is None or group["household_id"] != household_id:
        p.reject(
            "household_ref",
            _(
                "This person already belongs to household #%(household)s; the file puts "
                "them in another (its head is in row %(row)d). End one membership first."
            )
            % {"household": household_id or "—", "row": group["head_row"]},
        )


def _new(reader: Reader, p: Parsed) -> None:
    v = p.values
    missing = [n for n in CREATE_NEEDS if v.get(n) in (None, "")]
    if missing:
        for name in missing:
            p.reject(name, _("Required to register a new person."))
        return
    if not v.get("personal_number") and not (v.get("alt_id_kind") and v.get("alt_id_number")):
        p.reject(
            "personal_number",
            _("Give a personal number, or another identity document and its number."),
        )
        return
    _written(p, NAMES)
    if p.errors:
        return
    candidate = Person(**{n: v[n] for n in PERSON_FIELDS if n in v})
    try:
        candidate.clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                p.reject(name if name in FIELDS else "", message)
        return
    ref = v["household_ref"]
    group = reader.households.get(ref)
    head = v["relationship"] == Relationship.HEAD
    if group is None:
        if not head:
            p.reject(
                "household_ref",
                _("The household's head must come before its members in the file."),
            )
            return
        group = reader.households[ref] = {"head_row": p.row.number, "household_id": None}
    elif head:
        p.reject(
            "relationship",
            _("The household already has a head (row %(row)d).") % {"row": group["head_row"]},
        )
        return
    elif group.get("refused"):
        p.reject("household_ref", _("The household's head's row is refused."))
        return
    p.changes = {n: [None, _json(v[n])] for n in PERSON_FIELDS if n in v}
    p.changes["_household"] = {
        "ref": ref,
        "head_row": group["head_row"],
        "household_id": group["household_id"],
        "relationship": v["relationship"],
        "municipality": v["municipality"],
        "address": v["address"],
    }
    p.outcome = ImportOutcome.NEW


# -- The job ----------------------------------------------------------------------------------


def _link_unmatched(job: Import, reader: Reader) -> int:
    """Rows no number or exact name found, looked for with the current linkage model among the
    registry's people who share a blocking key with them: a match at the automatic threshold
    finds the row's person (matched by record linkage, with its weight); a possible match is
    named in the row's rejection for an officer to check; a file that registers people does not
    register one who may already be there. Returns how many rows were found."""
    from zrunva.integration import matching
    from zrunva.integration.linkage import REGISTRY, registry_records
    from zrunva.integration.models import LinkageModel

    model = LinkageModel.objects.order_by("-pk").first()
    if model is None or not reader.unmatched:
        return 0
    codes = dict(Municipality.objects.values_list("pk", "code"))
    incoming = pl.DataFrame(
        [
            {
                "unique_id": f"row:{u['row']}",
                "source": "import",
                "personal_number": u.get("personal_number"),
                "first_name": u["first_name"],
                "last_name": u["last_name"],
                "birth_date": u["birth_date"],
                "sex": u.get("sex"),
                "municipality": codes.get(u.get("municipality")),
                "settlement": None,
            }
            for u in reader.unmatched
        ],
        schema=matching.RECORD_COLUMNS,
    )
    registry = registry_records(municipality_id=job.source.municipality_id)
    mine, theirs = matching.prepare(incoming), matching.prepare(registry)
    near = pl.concat(
        [
            theirs.join(
                mine.select(list(rule)).drop_nulls().unique(), on=list(rule), how="semi"
            ).select("unique_id")
            for rule in matching.BLOCKING_RULES
        ]
    ).unique()
    candidates = registry.join(near, on="unique_id", how="semi")
    if candidates.is_empty():
        return 0
    pairs = matching.predict(
        pl.concat([incoming, candidates]),
        model.model,
        min_probability=model.review,
        term_frequencies=matching.term_frequencies(registry, model.model),
    ).filter(pl.col("source_l") != pl.col("source_r"))
    best = (
        pairs.with_columns(
            row=pl.when(pl.col("source_l") == "import")
            .then(pl.col("unique_id_l"))
            .otherwise(pl.col("unique_id_r")),
            person=pl.when(pl.col("source_l") == REGISTRY)
            .then(pl.col("unique_id_l"))
            .otherwise(pl.col("unique_id_r"))
            .cast(pl.Int64),
        )
        .sort("match_probability", descending=True)
        .unique("row", keep="first")
    )
    if best.is_empty():
        return 0
    values = {f"row:{u['row']}": u for u in reader.unmatched}
    numbers = sorted(int(k.split(":")[1]) for k in best["row"])
    rows, people = {}, {}
    for start in range(0, len(numbers), CHUNK):  # SQLite takes at most 32,766 parameters
        part = numbers[start : start + CHUNK]
        rows.update({r.row: r for r in ImportRow.objects.filter(job=job, row__in=part)})
    persons = best["person"].unique().to_list()
    for start in range(0, len(persons), CHUNK):
        people.update(_current(persons[start : start + CHUNK]))
    found = 0
    heads_refused: set[int] = set()
    for hit in best.iter_rows(named=True):
        r = rows[int(hit["row"].split(":")[1])]
        probability, person_id = hit["match_probability"], hit["person"]
        sure = probability >= model.auto_match
        if sure and not job.source.creates:
            parsed = Parsed(Row(r.row, {}), values=dict(values[hit["row"]]))
            parsed.values.pop("row", None)
            parsed.person_id, parsed.method = person_id, MatchMethod.PROBABILISTIC
            _compare(job.source, parsed, people[person_id])
            r.person_id, r.method, r.weight = (
                person_id,
                MatchMethod.PROBABILISTIC,
                hit["match_weight"],
            )
            r.outcome = ImportOutcome.REJECTED if parsed.errors else parsed.outcome
            r.changes, r.errors = (
                (parsed.changes, parsed.errors) if not parsed.errors else ({}, parsed.errors)
            )
            found += 1
            continue
        if r.outcome == ImportOutcome.NEW and r.changes["_household"]["head_row"] == r.row:
            heads_refused.add(r.row)
        r.outcome, r.changes, r.weight = ImportOutcome.REJECTED, {}, hit["match_weight"]
        r.errors = [
            {
                "field": "",
                "reason": _(
                    "This may be person #%(person)s of the registry (match probability "
                    "%(probability).2f): check, and give the personal number."
                )
                % {"person": person_id, "probability": probability},
            }
        ]
    ImportRow.objects.bulk_update(
        list(rows.values()),
        ["person", "method", "weight", "outcome", "changes", "errors"],
        batch_size=1000,
    )
    if heads_refused:
        _refuse_members(job, heads_refused)
    return found


def _refuse_members(job: Import, heads: set[int]) -> None:
    """New members of a household whose head's row was refused are refused with it."""
    members = [
        r
        for r in ImportRow.objects.filter(job=job, outcome=ImportOutcome.NEW)
        if r.changes["_household"]["head_row"] in heads
    ]
    for r in members:
        r.outcome, r.changes = ImportOutcome.REJECTED, {}
        r.errors = [
            {"field": "household_ref", "reason": _("The household's head's row is refused.")}
        ]
    ImportRow.objects.bulk_update(members, ["outcome", "changes", "errors"], batch_size=1000)


def _read(job: Import, context: JobContext) -> Counter:
    """Pass 1: every row's outcome, written as the report (its own transactions: the report
    of a dry run that fails half-way is started over when it is resumed)."""
    source = job.source
    ImportRow.objects.filter(job=job).delete()
    table = open_table(
        job.file.path, job.kind, encoding=source.encoding, wanted=set(source.mapping.values())
    )
    reader = Reader(source)
    for chunk in _batches(table.rows(), CHUNK):
        parsed = [reader.parse(row) for row in chunk]
        _find(source, parsed)
        _decide(reader, parsed)
        ImportRow.objects.bulk_create(
            [
                ImportRow(
                    job=job,
                    row=p.row.number,
                    outcome=p.outcome,
                    identity=p.identity,
                    record_id=str(p.values.get("record_id") or ""),
                    person_id=p.person_id,
                    method=p.method,
                    weight=None,
                    changes=p.changes,
                    errors=p.errors,
                )
                for p in parsed
            ],
            batch_size=1000,
        )
        context.stage("reading", min(90, int(90 * table.read())))
    if reader.unmatched:
        context.stage("linking", 90)
        _link_unmatched(job, reader)
    return _outcome_counts(job)


def _apply(job: Import, counts: Counter) -> dict:
    """Pass 2, in the caller's transaction: the report's changes applied in batches to the
    people, locked and checked unchanged since they were read."""
    stale = 0
    changed_people: list[int] = []
    deaths = 0
    rows = ImportRow.objects.filter(
        job=job, outcome__in=[ImportOutcome.CHANGED, ImportOutcome.UNCHANGED, ImportOutcome.NEW]
    ).order_by("row")
    new_households: dict[int, int] = {}  # the head's row -> the household made for it
    links: list[SourceLink] = []
    for batch in _batches(rows.iterator(chunk_size=CHUNK), CHUNK):
        updates = [r for r in batch if r.outcome == ImportOutcome.CHANGED]
        locked = {
            p.pk: p
            for p in Person.objects.select_for_update().filter(
                pk__in=[r.person_id for r in updates]
            )
        }
        touched: set[str] = set()
        to_save, logged = [], []
        for r in updates:
            person = locked.get(r.person_id)
            if person is None or any(
                _json(getattr(person, name)) != old for name, (old, _new) in r.changes.items()
            ):
                r.outcome = ImportOutcome.REJECTED
                r.errors = [
                    {
                        "field": "",
                        "reason": _(
                            "Changed in the registry since the file was read: import again."
                        ),
                    }
                ]
                stale += 1
                continue
            for name, (_old, new) in r.changes.items():
                setattr(person, name, _from_json(name, new))
                touched.add(name)
            if "date_of_death" in r.changes and r.changes["date_of_death"][0] is None:
                deaths += 1
            if touched & NAMES:
                person_names_derive(person)
            to_save.append(person)
            logged.append((person, r.changes))
            changed_people.append(person.pk)
        if to_save:
            fields = sorted(
                touched
                | (
                    {"first_name_latin", "last_name_latin", "name_key", "name_key_rev"}
                    if touched & NAMES
                    else set()
                )
                | {"updated_at"}
            )
            now = timezone.now()
            for person in to_save:
                person.updated_at = now
            Person.objects.bulk_update(to_save, fields, batch_size=1000)
            _history(job, logged, LogEntry.Action.UPDATE)
        created = _create(job, [r for r in batch if r.outcome == ImportOutcome.NEW], new_households)
        changed_people.extend(created)
        stale_rows = [r for r in updates if r.outcome == ImportOutcome.REJECTED]
        if stale_rows:
            ImportRow.objects.bulk_update(stale_rows, ["outcome", "errors"], batch_size=1000)
        if "record_id" in job.source.mapping:
            links.extend(_links(job, batch))
        if len(links) >= CHUNK:
            SourceLink.objects.bulk_create(links, ignore_conflicts=True, batch_size=1000)
            links = []
    if links:
        SourceLink.objects.bulk_create(links, ignore_conflicts=True, batch_size=1000)
    # Decisions made from the registry before now are no longer current for these households.
    for start in range(0, len(changed_people), CHUNK):
        ids = changed_people[start : start + CHUNK]
        Household.objects.filter(
            memberships__person_id__in=ids, memberships__end_date__isnull=True
        ).update(updated_at=timezone.now())
    counts[ImportOutcome.REJECTED] += stale
    counts[ImportOutcome.CHANGED] -= stale
    return {"deaths": deaths, "stale": stale}


def _as_checked(job: Import) -> Counter | None:
    """A commit applies what its dry run showed: a row whose change differs now (an officer
    changed the person since, or the person found is another) is refused, not applied.
    Returns the new counts, or None when nothing was refused."""
    refused = []
    pending = job.rows.filter(outcome__in=[ImportOutcome.CHANGED, ImportOutcome.NEW]).order_by(
        "row"
    )
    for batch in _batches(pending.iterator(chunk_size=CHUNK), CHUNK):
        shown = {
            r.row: r
            for r in job.checked.rows.filter(row__in=[r.row for r in batch]).only(
                "row", "outcome", "person_id", "changes"
            )
        }
        for r in batch:
            before = shown.get(r.row)
            if before is None or (before.outcome, before.person_id, before.changes) != (
                r.outcome,
                r.person_id if r.outcome != ImportOutcome.NEW else None,
                r.changes,
            ):
                r.outcome, r.changes = ImportOutcome.REJECTED, {}
                r.errors = [
                    {
                        "field": "",
                        "reason": _(
                            "Not what the dry run showed (the registry changed since): read "
                            "the file again."
                        ),
                    }
                ]
                refused.append(r)
    if not refused:
        return None
    ImportRow.objects.bulk_update(refused, ["outcome", "changes", "errors"], batch_size=1000)
    return _outcome_counts(job)


def _history(job: Import, changed: list[tuple[Person, dict]], action: int) -> None:
    """Each person's change in their record's history, as a change made on their page is
    (auditlog's rows, written in bulk: `bulk_update` sends no signals), naming the import."""
    kind = ContentType.objects.get_for_model(Person)
    actor = job.started_by
    LogEntry.objects.bulk_create(
        [
            LogEntry(
                content_type=kind,
                object_pk=str(person.pk),
                object_id=person.pk,
                object_repr=str(person)[:200],
                action=action,
                changes={
                    name: ["None" if change[0] is None else str(change[0]), str(change[1])]
                    for name, change in changes.items()
                    if not name.startswith("_")
                },
                actor=actor,
                actor_email=getattr(actor, "email", None) or None,
                additional_data={"import": job.pk, "source": job.source.code},
            )
            for person, changes in changed
        ],
        batch_size=1000,
    )


def _outcome_counts(job: Import) -> Counter:
    """The report's rows by outcome, counted in the database."""
    return Counter(dict(job.rows.values_list("outcome").annotate(n=models.Count("pk")).order_by()))


def _batches(items: Iterator, size: int) -> Iterator[list]:
    while batch := list(islice(items, size)):
        yield batch


def _links(job: Import, batch: list[ImportRow]) -> list[SourceLink]:
    """The source's record numbers of the rows applied, linked to their people (a link
    already made stays as it is)."""
    return [
        SourceLink(source=job.source, record_id=r.record_id, person_id=r.person_id, linked_by=job)
        for r in batch
        if r.record_id
        and r.person_id
        and r.method != MatchMethod.LINK
        and r.outcome != ImportOutcome.REJECTED
    ]


def _create(job: Import, rows: list[ImportRow], households: dict[int, int]) -> list[int]:
    """The new people of a batch, each with their household (made for the head's row) and
    membership from today, written with `bulk_create`."""
    if not rows:
        return []
    today = timezone.localdate()
    heads = [
        r
        for r in rows
        if r.changes["_household"]["household_id"] is None
        and r.changes["_household"]["head_row"] == r.row
    ]
    made = Household.objects.bulk_create(
        [
            Household(
                municipality_id=r.changes["_household"]["municipality"],
                address=r.changes["_household"]["address"],
            )
            for r in heads
        ],
        batch_size=1000,
    )
    for r, household in zip(heads, made, strict=True):
        households[r.row] = household.pk
    people = []
    for r in rows:
        person = Person(
            **{
                name: _from_json(name, change[1])
                for name, change in r.changes.items()
                if name in PERSON_FIELDS
            }
        )
        person_names_derive(person)
        place = r.changes["_household"]
        household_id = place["household_id"] or households.get(place["head_row"])
        person.municipality_id = place["municipality"]
        people.append((r, person, household_id))
    Person.objects.bulk_create([p for _r, p, _h in people], batch_size=1000)
    Membership.objects.bulk_create(
        [
            Membership(
                household_id=household_id,
                person_id=person.pk,
                relationship=r.changes["_household"]["relationship"],
                start_date=today,
            )
            for r, person, household_id in people
        ],
        batch_size=1000,
    )
    _history(job, [(person, r.changes) for r, person, _h in people], LogEntry.Action.CREATE)
    for r, person, _h in people:
        r.person_id = person.pk
    ImportRow.objects.bulk_update([r for r, _p, _h in people], ["person"], batch_size=1000)
    return [person.pk for _r, person, _h in people]


def import_execute(*, job: Import, progress=None) -> Import:
    """Run an import job (the worker's task, or `manage.py import_file`): a dry run reports;
    a commit reports and applies, in one transaction, or applies nothing if the source is all
    or nothing and a row is rejected."""

    def work(context: JobContext) -> None:
        context.stage("reading", 0)
        counts = _read(job, context)
        summary = {"rows": sum(counts.values()), **{o.value: counts[o] for o in ImportOutcome}}
        if job.dry_run:
            with transaction.atomic():
                if context.finished_elsewhere():
                    return
                context.done(summary)
            return
        if job.source.all_or_nothing and counts[ImportOutcome.REJECTED]:
            raise ValidationError(
                _(
                    "%(count)d rows are rejected and this source applies a file only whole: "
                    "nothing was changed. Correct the rows of the report and send the file again."
                )
                % {"count": counts[ImportOutcome.REJECTED]}
            )
        if job.checked_id:
            counts = _as_checked(job) or counts
        context.stage("applying", 96)
        with transaction.atomic():
            if context.finished_elsewhere():
                return
            extra = _apply(job, counts)
            if job.source.all_or_nothing and extra["stale"]:
                raise ValidationError(
                    _(
                        "%(count)d people changed in the registry since the file was read: nothing was changed."
                    )
                    % {"count": extra["stale"]}
                )
            summary = {
                "rows": sum(counts.values()),
                **{o.value: counts[o] for o in ImportOutcome},
                "deaths": extra["deaths"],
            }
            bulk_run_log(
                actor=job.started_by,
                model=Person,
                job=f"import:{job.source.code}",
                counts={k: v for k, v in summary.items() if isinstance(v, int)},
            )
            context.done(summary)
            if extra["deaths"]:
                transaction.on_commit(_end_enrolments_of_the_dead)

    with translation.override(job.language):
        return job_execute(job, work, progress=progress)


def _end_enrolments_of_the_dead() -> None:
    """Deaths recorded: their enrolments end now (the daily job's work, done at once), and so
    their payments stop and what was paid after the death is proposed for recovery."""
    from zrunva.applications.services import enrolments_end_due

    enrolments_end_due()


# -- Starting ----------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    return settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024


def require_import(actor, source: Source) -> None:
    """Who may import a source's files: registry editors with the import permission, in the
    source's municipality if it has one; a source changing health fields needs their reader."""
    permissions.require(actor, permissions.IMPORTS_RUN)
    if source.municipality_id is not None:
        permissions.require_in_scope(actor, source.municipality_id)
    elif permissions.municipality_scope(actor) is not None:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("A national registry's files are imported by national staff."))
    writes = set(source.updates) | (set(source.mapping) if source.creates else set())
    if writes & permissions.HEALTH_FIELDS and not permissions.sees_health(actor):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("This source changes health details, which your role may not."))


def digest(handle) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    for block in iter(lambda: handle.read(1024 * 1024), b""):
        sha.update(block)
        size += len(block)
    handle.seek(0)
    return sha.hexdigest(), size
