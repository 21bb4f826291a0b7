"""Merging two registry records of one person (or one household) into one, and undoing it.

Issue 17: "a merge of two people or households that keeps every history, moves memberships,
applications, enrolments and payments to the survivor, and can be undone; every merge audited."

What points at a person or a household is found through Django's model metadata
(`relations`): every foreign key, one-to-one and generic relation onto `registry.Person` or
`registry.Household` from the project's own apps, hidden ones (`related_name="+"`) included.
Third-party models (auditlog's trail, the admin's log) are left alone: the trail stays under
the record it was written about. Every relation found is moved to the survivor unless it is
listed in `KEPT` with its reason (other apps add theirs with `keep_relation`), so a new app's
relation is moved without editing this module, and `tests/test_merges.py` fails until someone
has looked at it.

A merge refuses, naming the records, what would give the survivor two of something the
registry allows once: any unique rule of a moved relation (two open enrolments in one
programme, two payments for one programme and month, two current households, two open payment
accounts, …), and two different personal numbers (two people). It records every row it moved
and every field it set (`MergeChange`), so `merge_undo` puts back exactly what was there.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core.trail import access_log, acting_as, attempt_log, scoped_get
from zrunva.integration.models import Merge, MergeChange, MergeChangeKind, MergeKind
from zrunva.registry.models import Household, Membership, Person, Representative

# Chunks of ids per statement (SQLite binds at most 32,766 parameters).
BATCH = 5_000
REASON_MAX = 1000


@dataclass(frozen=True)
class Relation:
    """A column of `model` that points at `target` (a person or a household): a foreign key or
    one-to-one named `field`, or a generic relation's object id (`content_type_field` set)."""

    model: type[models.Model]
    field: str
    target: type[models.Model]
    content_type_field: str = ""

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"

    @property
    def attname(self) -> str:
        return self.model._meta.get_field(self.field).attname

    @property
    def title(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    def rows(self, pks) -> QuerySet:
        """The rows that point at these records."""
        qs = self.model._base_manager.filter(**{f"{self.attname}__in": list(pks)})
        if self.content_type_field:
            content_type = ContentType.objects.get_for_model(self.target)
            qs = qs.filter(**{self.content_type_field: content_type})
        return qs


# Relations a merge leaves on the merged record, and why. Every other relation found is moved.
KEPT: dict[str, str] = {
    "registry.Person.merged_into": "the mark a merge sets",
    "registry.Household.merged_into": "the mark a merge sets",
    "integration.Merge.survivor_person": "a merge names both records",
    "integration.Merge.merged_person": "a merge names both records",
    "integration.Merge.survivor_household": "a merge names both records",
    "integration.Merge.merged_household": "a merge names both records",
    # A run's decisions are what it decided about that record, month by month, as ranges: two
    # records' ranges would overlap on the survivor. The next run decides for the survivor and
    # closes the merged record's as no longer registered (programmes.runs); an application's
    # decision is still found from the application, which moves.
    "programmes.Decision.person": "a run's decisions about the merged record are its history",
    "programmes.Decision.household": "a run's decisions about the merged record are its history",
    "programmes.DecisionChange.person": "a run's list of changes is that run's history",
    "programmes.DecisionChange.household": "a run's list of changes is that run's history",
}


def keep_relation(label: str, reason: str) -> None:
    """Leave a relation on the merged record (`"app.Model.field"`), for another app's rows that
    must keep naming the records as they were (a linkage review's pair, say). Call from the
    app's `ready()`."""
    KEPT[label] = reason


def _ours(model) -> bool:
    return model.__module__.startswith("zrunva.") and not model._meta.proxy


def relations(target: type[models.Model]) -> list[Relation]:
    """Every relation onto `target` from the project's models, by label."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if not _ours(model):
            continue
        for f in model._meta.local_concrete_fields:
            if f.is_relation and f.remote_field.model is target:
                found.append(Relation(model, f.name, target))
        for f in model._meta.private_fields:
            if isinstance(f, GenericForeignKey):
                found.append(Relation(model, f.fk_field, target, f.ct_field))
    return sorted(found, key=lambda r: r.label)


def moved_relations(target: type[models.Model]) -> list[Relation]:
    return [r for r in relations(target) if r.label not in KEPT]


# -- Plans: what a merge would do, and what stops it ---------------------------------------------


@dataclass
class FieldChange:
    model: type[models.Model]
    pk: int
    name: str  # the attname
    old: object
    new: object


@dataclass
class Plan:
    """What merging `merged` into `survivor` would do: rows to move per relation, fields to set,
    and the conflicts that refuse it (messages naming the records)."""

    kind: str
    survivor: Person | Household
    merged: Person | Household
    moves: list[tuple[Relation, int]] = field(default_factory=list)
    fields: list[FieldChange] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(n for _, n in self.moves)


def _kind_of(record) -> str:
    return MergeKind.PERSON if isinstance(record, Person) else MergeKind.HOUSEHOLD


def _name(record) -> str:
    if isinstance(record, Person):
        return _("%(name)s (person №%(pk)s)") % {"name": record, "pk": record.pk}
    return _("household №%(pk)s") % {"pk": record.pk}


def _municipality(record) -> int | None:
    return record.municipality_id


def _deny(actor, message: str, records=()) -> None:
    """A refused merge or undo: audited as an attempt naming each record, then refused."""
    for record in records or (None,):
        attempt_log(actor=actor, instance=record, reason=message)
    raise PermissionDenied(message)


def _require_merge(actor, *records) -> None:
    """RECORDS_MERGE, with every record in the actor's area (a person's area is their current
    household's municipality; one in no household is reached by national staff only)."""
    if not permissions.has_perm(actor, permissions.RECORDS_MERGE):
        _deny(actor, _("Your role does not allow this action."), records)
    outside = [r for r in records if not _in_scope(actor, r)]
    if outside:
        _deny(actor, _("This municipality is outside your area of work."), outside)


def _in_scope(actor, record) -> bool:
    municipality_id = _municipality(record)
    if municipality_id is None:
        return permissions.municipality_scope(actor) is None
    return permissions.in_scope(actor, municipality_id)


def _open_membership(person: Person) -> Membership | None:
    return (
        Membership.objects.filter(person=person, end_date__isnull=True)
        .select_related("household")
        .first()
    )


def _row_name(row) -> str:
    return f"{row._meta.verbose_name} №{row.pk}"


def _unique_rules(model) -> list[tuple[str, list[str], Q | None]]:
    """Each rule of `model` that allows a combination of values once: (name, fields,
    condition), from unique constraints, unique_together and unique fields."""
    rules = []
    for c in model._meta.constraints:
        if isinstance(c, models.UniqueConstraint) and c.fields:
            rules.append((c.name, list(c.fields), c.condition))
    for together in model._meta.unique_together:
        rules.append(("_".join(together), list(together), None))
    for f in model._meta.local_concrete_fields:
        if f.unique and not f.primary_key:
            rules.append((f.name, [f.name], None))
    return rules


def _unique_conflicts(relation: Relation, survivor, merged) -> list[str]:
    """Pairs of rows, one of each record, that the relation's unique rules allow once: after
    the move the survivor would hold both."""
    messages = []
    for rule, names, condition in _unique_rules(relation.model):
        if relation.field not in names and relation.attname not in names:
            continue
        others = [n for n in names if n not in (relation.field, relation.attname)]
        qs = relation.rows([survivor.pk, merged.pk])
        if condition is not None:
            qs = qs.filter(condition)
        if others:
            groups = (
                qs.values(*others)
                .annotate(records=Count(relation.attname, distinct=True))
                .filter(records__gt=1)
                .order_by(*others)
            )
        else:
            held = qs.values(relation.attname).distinct().count()
            groups = [{"records": held}] if held > 1 else []
        for group in groups:
            del group["records"]
            rows = list(qs.filter(**group).order_by("pk"))
            theirs = {r.pk: getattr(r, relation.attname) for r in rows}
            mine = [r for r in rows if theirs[r.pk] == survivor.pk]
            other = [r for r in rows if theirs[r.pk] == merged.pk]
            messages.append(_conflict_message(rule, relation, survivor, merged, mine, other))
    return messages


def _conflict_message(rule, relation, survivor, merged, mine, other) -> str:
    a, b = mine[0], other[0]
    names = {"survivor": _name(survivor), "merged": _name(merged)}
    if rule in ("enrolment_one_open_per_person", "enrolment_one_open_per_household"):
        return _(
            "Both have an open enrolment in %(programme)s: enrolment №%(a)s of %(survivor)s "
            "and enrolment №%(b)s of %(merged)s. An officer must end one of them first."
        ) % {**names, "programme": a.programme, "a": a.pk, "b": b.pk}
    if rule in ("payment_once_per_person_month", "payment_once_per_household_month"):
        return _(
            "Both have a payment for %(programme)s for %(month)s: payment №%(a)s of "
            "%(survivor)s and payment №%(b)s of %(merged)s. A month of a programme is paid "
            "once: an officer must settle one of them first."
        ) % {**names, "programme": a.programme, "month": f"{a.month:%m.%Y}", "a": a.pk, "b": b.pk}
    if rule == "membership_one_current_household":
        if a.household_id == b.household_id:
            return _(
                "Both are current members of household №%(household)s: end the membership of "
                "one of them first."
            ) % {"household": a.household_id}
        return _(
            "Both are current members of a household: %(survivor)s of household №%(a)s and "
            "%(merged)s of household №%(b)s. An officer must end one of these memberships "
            "first (move the person or end the membership)."
        ) % {**names, "a": a.household_id, "b": b.household_id}
    if rule == "membership_one_head":
        return _(
            "Both households have a head: %(a)s of %(survivor)s and %(b)s of %(merged)s. A "
            "household has one head: move one of them into the other household as another "
            "member, or change the head, first."
        ) % {**names, "a": a.person, "b": b.person}
    if rule == "payment_account_one_open":
        return _(
            "Both have a payment account in use: account №%(a)s of %(survivor)s and account "
            "№%(b)s of %(merged)s. Close one of them first."
        ) % {**names, "a": a.pk, "b": b.pk}
    return _(
        "Both have a record the registry allows once (%(kind)s, rule %(rule)s): %(a)s of "
        "%(survivor)s and %(b)s of %(merged)s. Close or end one of them first."
    ) % {
        **names,
        "kind": relation.model._meta.verbose_name,
        "rule": rule,
        "a": _row_name(a),
        "b": _row_name(b),
    }


def _state_conflicts(survivor, merged) -> list[str]:
    if type(survivor) is not type(merged):
        return [_("A person and a household cannot be merged.")]
    if survivor.pk == merged.pk:
        return [_("A record cannot be merged into itself.")]
    found = []
    if merged.merged_into_id is not None:
        found.append(
            _("%(merged)s was already merged into №%(into)s.")
            % {"merged": _name(merged), "into": merged.merged_into_id}
        )
    if survivor.merged_into_id is not None:
        found.append(
            _("%(survivor)s was merged into №%(into)s: merge into that record instead.")
            % {"survivor": _name(survivor), "into": survivor.merged_into_id}
        )
    return found


def _person_fields(survivor: Person, merged: Person, conflicts: list[str]) -> list[FieldChange]:
    """The merged record's mark, and its identifiers given to a survivor without any: the
    merged record's are cleared first, as each may be held by one person only."""
    on_merged = [FieldChange(Person, merged.pk, "merged_into_id", None, survivor.pk)]
    on_survivor = []
    if merged.personal_number and survivor.personal_number:
        if merged.personal_number != survivor.personal_number:
            conflicts.append(
                _(
                    "These are two people: %(survivor)s has personal number %(a)s and "
                    "%(merged)s has %(b)s."
                )
                % {
                    "survivor": _name(survivor),
                    "merged": _name(merged),
                    "a": survivor.personal_number,
                    "b": merged.personal_number,
                }
            )
    elif merged.personal_number:
        number = merged.personal_number
        on_merged.append(FieldChange(Person, merged.pk, "personal_number", number, None))
        on_survivor.append(FieldChange(Person, survivor.pk, "personal_number", None, number))
    if merged.alt_id_number and not survivor.alt_id_number:
        for name in ("alt_id_kind", "alt_id_number"):
            value = getattr(merged, name)
            on_merged.append(FieldChange(Person, merged.pk, name, value, ""))
            on_survivor.append(FieldChange(Person, survivor.pk, name, "", value))
    return on_merged + on_survivor


def _household_fields(survivor: Household, merged: Household) -> list[FieldChange]:
    changes = [FieldChange(Household, merged.pk, "merged_into_id", None, survivor.pk)]
    if merged.is_active:
        changes.append(FieldChange(Household, merged.pk, "is_active", True, False))
    return changes


def _plan(survivor, merged) -> Plan:
    """The plan on the records as given (locked by the caller when it is to be carried out)."""
    plan = Plan(kind=_kind_of(merged), survivor=survivor, merged=merged)
    plan.conflicts = _state_conflicts(survivor, merged)
    if type(survivor) is not type(merged) or survivor.pk == merged.pk:
        return plan
    target = type(merged)
    for relation in moved_relations(target):
        count = relation.rows([merged.pk]).count()
        if count:
            plan.moves.append((relation, count))
            plan.conflicts += _unique_conflicts(relation, survivor, merged)
    if target is Person:
        plan.conflicts += _representation_conflicts(survivor, merged)
        plan.fields = _person_fields(survivor, merged, plan.conflicts)
    else:
        plan.fields = _household_fields(survivor, merged)
    return plan


def _representation_conflicts(survivor: Person, merged: Person) -> list[str]:
    """One of the two recorded as the other's representative would represent themself."""
    links = Representative.objects.filter(
        Q(person=survivor, representative=merged) | Q(person=merged, representative=survivor)
    ).order_by("pk")
    return [
        _(
            "%(representative)s is recorded as a representative of %(person)s (№%(pk)s): one "
            "person cannot represent themself. If they are one person, end and correct that "
            "record first."
        )
        % {
            "representative": _name(link.representative),
            "person": _name(link.person),
            "pk": link.pk,
        }
        for link in links.select_related("person", "representative")
    ]


def merge_plan(*, actor, survivor, merged) -> Plan:
    """What merging `merged` into `survivor` would move and set, and what refuses it, for the
    preview (both records in the actor's area, the actor allowed to merge)."""
    _require_merge(actor, survivor, merged)
    return _plan(survivor, merged)


# -- Carrying it out -----------------------------------------------------------------------------


def _locked(model, *pks) -> dict[int, models.Model]:
    """The records, locked in id order (two merges of one pair wait for each other, and never
    deadlock), read again under the lock."""
    rows = model.objects.select_for_update().filter(pk__in=pks).order_by("pk")
    return {row.pk: row for row in rows}


def _chunks(pks: list[int]):
    for i in range(0, len(pks), BATCH):
        yield pks[i : i + BATCH]


def _place(person_ids) -> None:
    """Each person's copy of their current household's municipality (Person.municipality, kept
    by the registry's services: none without a current household), for the people whose
    memberships a merge or undo moved. A merge leaves the merged person's as it was, so its
    page stays readable by the staff of its area."""
    current = Membership.objects.filter(person_id=OuterRef("pk"), end_date__isnull=True).values(
        "household__municipality_id"
    )[:1]
    for chunk in _chunks(sorted(set(person_ids))):
        Person.objects.filter(pk__in=chunk).update(municipality_id=Subquery(current))


def _touch_households(ids) -> None:
    """A merge changes who is in a household: decisions made from the registry before now are
    no longer current for it (`Household.updated_at`, read by application decisions)."""
    Household.objects.filter(pk__in=set(ids)).update(updated_at=timezone.now())


def _apply_fields(changes: list[FieldChange], *, undo: bool = False) -> None:
    """Set the fields, one record at a time with `save` so the trail records each change."""
    for change in changes:
        instance = change.model.objects.get(pk=change.pk)
        setattr(instance, change.name, change.old if undo else change.new)
        field_name = change.model._meta.get_field(change.name.removesuffix("_id")).name
        instance.save(update_fields=[field_name, "updated_at"])


def _check_reason(reason: str, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field_name: _("Say why.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({field_name: _("At most %(n)s characters.") % {"n": REASON_MAX}})
    return reason


def _merge(*, actor, survivor, merged, reason: str) -> Merge:
    reason = _check_reason(reason)
    model = type(merged)
    if type(survivor) is not model:
        raise ValidationError(_("A person and a household cannot be merged."))
    _require_merge(actor, survivor, merged)
    with transaction.atomic(), acting_as(actor):
        locked = _locked(model, survivor.pk, merged.pk)
        survivor, merged = locked.get(survivor.pk, survivor), locked.get(merged.pk, merged)
        _require_merge(actor, survivor, merged)  # again, on the rows as they are now
        plan = _plan(survivor, merged)
        if plan.conflicts:
            raise ValidationError(plan.conflicts)
        merge = Merge.objects.create(
            kind=plan.kind,
            actor=actor,
            reason=reason,
            **{f"survivor_{plan.kind}": survivor, f"merged_{plan.kind}": merged},
        )
        changes, counts, people = [], {}, set()
        households = {survivor.pk, merged.pk} if model is Household else set()
        try:
            with transaction.atomic():
                for relation, _count in plan.moves:
                    rows = relation.rows([merged.pk]).select_for_update().order_by("pk")
                    pks = list(rows.values_list("pk", flat=True))
                    for chunk in _chunks(pks):
                        relation.model._base_manager.filter(pk__in=chunk).update(
                            **{relation.attname: survivor.pk}
                        )
                    counts[relation.label] = len(pks)
                    changes += [
                        (
                            MergeChangeKind.MOVED,
                            relation.model._meta.label,
                            relation.attname,
                            pk,
                            merged.pk,
                            survivor.pk,
                        )
                        for pk in pks
                    ]
                    if relation.model is Membership:
                        moved = Membership.objects.filter(pk__in=pks)
                        people.update(moved.values_list("person_id", flat=True))
                        households.update(moved.values_list("household_id", flat=True))
                _apply_fields(plan.fields)
        except IntegrityError as exc:
            raise ValidationError(
                _("The merge would break a rule of the registry: %(error)s") % {"error": exc}
            ) from exc
        changes += [
            (MergeChangeKind.FIELD, c.model._meta.label, c.name, c.pk, c.old, c.new)
            for c in plan.fields
        ]
        MergeChange.objects.bulk_create(
            [
                MergeChange(
                    merge=merge,
                    kind=kind,
                    model=label,
                    field=attname,
                    object_pk=pk,
                    old_value=old,
                    new_value=new,
                    position=i,
                )
                for i, (kind, label, attname, pk, old, new) in enumerate(changes)
            ],
            batch_size=1000,
        )
        merge.counts = counts
        merge.save(update_fields=["counts"])
        if model is Person:
            people.add(survivor.pk)
            people.discard(merged.pk)
        _place(people)
        _touch_households(households)
        if model is Person:
            _pairs_mark(survivor.pk, merged.pk, merged_now=True)
    return merge


def _pairs_mark(a: int, b: int, *, merged_now: bool) -> None:
    """A pair record linkage found between the two people is merged with them (and, undone,
    back to "the same person", as an officer decided before merging)."""
    from zrunva.integration.choices import PairStatus
    from zrunva.integration.models import MatchPair

    pair = MatchPair.objects.filter(left_id=min(a, b), right_id=max(a, b))
    if merged_now:
        pair.update(status=PairStatus.MERGED)
    else:
        pair.filter(status=PairStatus.MERGED).update(status=PairStatus.MATCH)


def person_merge(*, actor, survivor: Person, merged: Person, reason: str) -> Merge:
    """Merge `merged` into `survivor`, two records of one person: their memberships, incomes,
    representations, enrolments, payments, cases and every other row that points at the
    merged record move to the survivor, which also takes a personal number or document it
    lacks; the merged record stays, marked, with its history. Refused (naming the records)
    when the two have different personal numbers, or when the survivor would hold two of what
    the registry allows once (an open enrolment in one programme, a payment for one programme
    and month, a current household, …): an officer ends one first. SSA officers, both records
    in their area; one transaction with both records locked."""
    return _merge(actor=actor, survivor=survivor, merged=merged, reason=reason)


def household_merge(*, actor, survivor: Household, merged: Household, reason: str) -> Merge:
    """Merge `merged` into `survivor`, two records of one household: its memberships (with
    their history), assessments, applications, enrolments, payments and cases move to the
    survivor; the merged household stays, inactive and marked. Refused (naming them) when both
    have a head, an open enrolment in one programme or a payment for one programme and month.
    SSA officers, both households in their area."""
    return _merge(actor=actor, survivor=survivor, merged=merged, reason=reason)


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


def merge_undo(*, actor, merge: Merge, reason: str) -> Merge:
    """Put back what `merge` changed: every row it moved points at the merged record again and
    every field it set has its old value. Refused, saying why, when that can no longer be
    done exactly: the merge was undone already, the survivor has since been merged into
    another record, a moved row now points elsewhere, a field has changed since, or a row put
    back would break a rule of the registry (a second current household, say)."""
    reason = _check_reason(reason, "undo_reason")
    model = Person if merge.kind == MergeKind.PERSON else Household
    _require_merge(actor, merge.survivor, merge.merged)
    with transaction.atomic(), acting_as(actor):
        merge = Merge.objects.select_for_update().get(pk=merge.pk)
        locked = _locked(model, merge.survivor_id, merge.merged_id)
        survivor, merged = locked[merge.survivor_id], locked[merge.merged_id]
        _require_merge(actor, survivor, merged)
        if merge.undone:
            raise ValidationError(_("This merge was undone already."))
        if survivor.merged_into_id is not None:
            later = Merge.objects.filter(
                **{f"merged_{merge.kind}": survivor, "undone_at__isnull": True}
            ).first()
            raise ValidationError(
                _(
                    "%(survivor)s has since been merged into №%(into)s (merge №%(merge)s): "
                    "undo that merge first."
                )
                % {
                    "survivor": _name(survivor),
                    "into": survivor.merged_into_id,
                    "merge": later.pk if later else "?",
                }
            )
        changes = list(merge.changes.order_by("-position"))
        moved = defaultdict(list)
        for change in changes:
            if change.kind == MergeChangeKind.MOVED:
                moved[(change.model, change.field)].append(change.object_pk)
        problems = []
        for (label, attname), pks in sorted(moved.items()):
            rows = _model(label)._base_manager.filter(pk__in=pks)
            elsewhere = rows.exclude(**{attname: merge.survivor_id}).order_by("pk")
            gone = len(pks) - rows.count()
            for row in elsewhere[:5]:
                problems.append(
                    _("%(row)s no longer belongs to %(survivor)s (now №%(now)s).")
                    % {
                        "row": _row_name(row),
                        "survivor": _name(survivor),
                        "now": getattr(row, attname),
                    }
                )
            if gone:
                problems.append(
                    _("%(n)s of the %(kind)s moved no longer exist.")
                    % {"n": gone, "kind": _model(label)._meta.verbose_name_plural}
                )
        fields = [
            FieldChange(_model(c.model), c.object_pk, c.field, c.old_value, c.new_value)
            for c in changes
            if c.kind == MergeChangeKind.FIELD
        ]
        for change in fields:
            now = getattr(change.model.objects.get(pk=change.pk), change.name)
            if now != change.new:
                problems.append(
                    _(
                        "%(field)s of №%(pk)s has changed since the merge (it is now "
                        "“%(now)s”, the merge set “%(new)s”)."
                    )
                    % {
                        "field": change.model._meta.get_field(
                            change.name.removesuffix("_id")
                        ).verbose_name,
                        "pk": change.pk,
                        "now": "" if now is None else now,
                        "new": "" if change.new is None else change.new,
                    }
                )
        if problems:
            raise ValidationError([_("This merge cannot be undone exactly:"), *problems])
        people = {merge.survivor_id, merge.merged_id} if model is Person else set()
        households = {merge.survivor_id, merge.merged_id} if model is Household else set()
        try:
            with transaction.atomic():
                _apply_fields(fields, undo=True)
                for (label, attname), pks in moved.items():
                    for chunk in _chunks(sorted(pks)):
                        _model(label)._base_manager.filter(pk__in=chunk).update(
                            **{attname: merge.merged_id}
                        )
                    if label == Membership._meta.label:
                        rows = Membership.objects.filter(pk__in=pks)
                        people.update(rows.values_list("person_id", flat=True))
                        households.update(rows.values_list("household_id", flat=True))
        except IntegrityError as exc:
            raise ValidationError(
                _(
                    "Putting the rows back would break a rule of the registry: %(error)s. "
                    "Correct the records first."
                )
                % {"error": exc}
            ) from exc
        _place(people)
        _touch_households(households | _current_households(people))
        merge.undone_at = timezone.now()
        merge.undone_by = actor
        merge.undo_reason = reason
        merge.save(update_fields=["undone_at", "undone_by", "undo_reason"])
        if merge.kind == MergeKind.PERSON:
            _pairs_mark(merge.survivor_person_id, merge.merged_person_id, merged_now=False)
    return merge


def _current_households(person_ids) -> set[int]:
    return set(
        Membership.objects.filter(person_id__in=person_ids, end_date__isnull=True).values_list(
            "household_id", flat=True
        )
    )


# -- Reads ---------------------------------------------------------------------------------------


def _merge_scope(actor) -> Q:
    """Merges whose two records were both in the actor's area when they were made: the merged
    person keeps its municipality, the survivor's is where it lives now."""
    permissions.require(actor, permissions.RECORDS_MERGE)
    scope = permissions.municipality_scope(actor)
    if scope is None:
        return Q()
    people = Q(
        kind=MergeKind.PERSON,
        survivor_person__municipality_id__in=scope,
        merged_person__municipality_id__in=scope,
    )
    households = Q(
        kind=MergeKind.HOUSEHOLD,
        survivor_household__municipality_id__in=scope,
        merged_household__municipality_id__in=scope,
    )
    return people | households


def merge_list(*, actor, kind: str = "", record_pk: int | None = None) -> QuerySet[Merge]:
    """The merges in the actor's area, newest first; of one kind, or involving one record."""
    qs = Merge.objects.filter(_merge_scope(actor)).select_related(
        "actor",
        "undone_by",
        "survivor_person",
        "merged_person",
        "survivor_household",
        "merged_household",
    )
    if kind:
        qs = qs.filter(kind=kind)
    if record_pk is not None:
        qs = qs.filter(
            Q(**{f"survivor_{kind}_id": record_pk}) | Q(**{f"merged_{kind}_id": record_pk})
        )
    return qs.order_by("-created_at", "-id")


def merge_get(*, actor, pk: int) -> Merge:
    """One merge in the actor's area (else 404, an attempt audited), with its change log; the
    read is audited."""
    merge = scoped_get(merge_list(actor=actor), actor=actor, pk=pk)
    access_log(actor=actor, instance=merge)
    return merge


def merge_changes(merge: Merge) -> QuerySet[MergeChange]:
    return merge.changes.order_by("position")
