"""Writes to the registry. Every function checks the actor's role and area, validates, and runs in
one transaction, so bad input leaves nothing half-saved. auditlog records each change with its
actor and address; `acting_as` attributes it.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core.romanisation import romanise, search_key
from zrunva.core.trail import acting_as
from zrunva.registry.choices import MembershipEndReason, Relationship
from zrunva.registry.models import Household, IncomeSource, Membership, Person, Representative

HOUSEHOLD_FIELDS = frozenset(
    f.name
    for f in Household._meta.concrete_fields
    if f.editable and f.name not in {"id", "is_active", "created_at", "updated_at"}
)
PERSON_FIELDS = frozenset(
    f.name
    for f in Person._meta.concrete_fields
    if f.editable and f.name not in {"id", "created_at", "updated_at"}
)
HEALTH_FIELDS = permissions.HEALTH_FIELDS


def _assign(instance, data: dict, allowed: frozenset[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    for name, value in data.items():
        setattr(instance, name, value)


def _check_health_fields(actor, data: dict) -> None:
    if HEALTH_FIELDS & set(data) and not permissions.sees_health(actor):
        raise ValidationError(
            {
                name: _("Your role may not record health or disability details.")
                for name in HEALTH_FIELDS & set(data)
            }
        )


def _require_edit(actor, municipality_id: int) -> None:
    permissions.require(actor, permissions.REGISTRY_EDIT)
    permissions.require_in_scope(actor, municipality_id)


NAME_FIELDS = frozenset(
    {"first_name", "last_name", "first_name_latin", "last_name_latin", "name_key", "name_key_rev"}
)


def person_names_derive(person: Person) -> None:
    """Tidy the names and derive their Latin forms and search keys (imports call it too)."""
    person.first_name = " ".join(person.first_name.split())
    person.last_name = " ".join(person.last_name.split())
    person.first_name_latin = romanise(person.first_name)
    person.last_name_latin = romanise(person.last_name)
    person.name_key = search_key(f"{person.first_name} {person.last_name}")
    person.name_key_rev = search_key(f"{person.last_name} {person.first_name}")
    if person.personal_number == "":
        person.personal_number = None


def _locked(instance):
    """A fresh copy of the row, locked until the transaction ends (PostgreSQL), so two officers
    changing the same record one after the other each start from what the other saved; the
    caller's copy may hold a form's unsaved values."""
    return type(instance).objects.select_for_update().get(pk=instance.pk)


def _save(instance, fields: set[str] | None = None) -> None:
    """Validate fields and constraints, then save (only `fields`, if given, so values a
    concurrent service wrote to other columns are not overwritten); a race on a unique key
    still gets a message."""
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save(update_fields=sorted(fields | {"updated_at"}) if fields else None)
    except IntegrityError as exc:
        raise ValidationError(_("This record conflicts with one already stored.")) from exc
    _touch(instance)


def _touch(instance) -> None:
    """Mark the household whose data this record is part of as changed now (a member, their
    data or an income): a decision made from the registry before then is no longer current
    for it (`Household.updated_at`, read by application decisions)."""
    if isinstance(instance, Membership):
        ids = {instance.household_id}
    elif isinstance(instance, Person | IncomeSource):
        person_id = instance.pk if isinstance(instance, Person) else instance.person_id
        ids = set(
            Membership.objects.filter(person_id=person_id, end_date__isnull=True).values_list(
                "household_id", flat=True
            )
        )
    else:
        return
    Household.objects.filter(pk__in=ids).update(updated_at=timezone.now())


def _current_membership(person: Person) -> Membership | None:
    return person.memberships.filter(end_date__isnull=True).select_related("household").first()


def _add_membership(
    *, household, person, relationship, start_date, date_field: str = "start_date"
) -> Membership:
    if not household.is_active:
        raise ValidationError(_("This household is closed."))
    if start_date > timezone.localdate():
        raise ValidationError({date_field: _("The date cannot be in the future.")})
    current = _current_membership(person)
    if current is not None:
        raise ValidationError(
            {
                "person": _("%(person)s already belongs to %(household)s; move them instead.")
                % {"person": person, "household": current.household}
            }
        )
    if (
        relationship == Relationship.HEAD
        and household.memberships.filter(
            end_date__isnull=True, relationship=Relationship.HEAD
        ).exists()
    ):
        raise ValidationError({"relationship": _("The household already has a head.")})
    membership = Membership(
        household=household, person=person, relationship=relationship, start_date=start_date
    )
    _save(membership)
    _place(person, household.municipality_id)
    return membership


def _place(person: Person, municipality_id: int | None) -> None:
    """Keep the person's copy of their current household's municipality (Person.municipality).

    A derived value, not a change of the person: written without a history row."""
    Person.objects.filter(pk=person.pk).update(municipality_id=municipality_id)
    person.municipality_id = municipality_id


def _new_person(*, actor, data: dict) -> Person:
    _check_health_fields(actor, data)
    person = Person()
    _assign(person, data, PERSON_FIELDS)
    person_names_derive(person)
    _save(person)
    return person


@transaction.atomic
def household_register(*, actor, household: dict, head: dict, start_date: date | None = None):
    """Register a household with its head, a new person. Returns the household."""
    with acting_as(actor):
        record = Household()
        _assign(record, household, HOUSEHOLD_FIELDS)
        _require_edit(actor, record.municipality_id)
        _save(record)
        person = _new_person(actor=actor, data=head)
        _add_membership(
            household=record,
            person=person,
            relationship=Relationship.HEAD,
            start_date=start_date or timezone.localdate(),
        )
    return record


@transaction.atomic
def household_update(*, actor, household: Household, data: dict) -> Household:
    """Change a household's address, dwelling or assets; moving it to another municipality needs
    the actor's scope over both."""
    with acting_as(actor):
        household = _locked(household)
        _require_edit(actor, household.municipality_id)
        _assign(household, data, HOUSEHOLD_FIELDS)
        permissions.require_in_scope(actor, household.municipality_id)
        _save(household, set(data))
        Person.objects.filter(
            memberships__household=household, memberships__end_date__isnull=True
        ).update(municipality_id=household.municipality_id)
    return household


@transaction.atomic
def member_add(
    *,
    actor,
    household: Household,
    relationship: str,
    person: Person | None = None,
    person_data: dict | None = None,
    start_date: date | None = None,
) -> Membership:
    """Add an existing person (not in any household) or a new one to a household."""
    with acting_as(actor):
        _require_edit(actor, household.municipality_id)
        if person is None:
            person = _new_person(actor=actor, data=person_data or {})
        return _add_membership(
            household=household,
            person=person,
            relationship=relationship,
            start_date=start_date or timezone.localdate(),
        )


@transaction.atomic
def person_update(*, actor, person: Person, data: dict) -> Person:
    with acting_as(actor):
        person = _locked(person)
        _require_person_edit(actor, person)
        _check_health_fields(actor, data)
        _assign(person, data, PERSON_FIELDS)
        person_names_derive(person)
        _save(person, set(data) | NAME_FIELDS)
    return person


def _end_membership(membership: Membership, *, on: date, reason: str) -> None:
    if on < membership.start_date:
        raise ValidationError(
            {"on": _("The date cannot precede the start of the current membership.")}
        )
    membership.end_date = on
    membership.end_reason = reason
    _save(membership)
    _place(membership.person, None)


@transaction.atomic
def member_move(
    *, actor, person: Person, to_household: Household, relationship: str, on: date | None = None
) -> Membership:
    """Move a person to another household from a date. Memberships are half-open periods
    [start_date, end_date): the old one ends on the day the new one starts, so the history has
    no gaps and no overlaps."""
    on = on or timezone.localdate()
    with acting_as(actor):
        person = _locked(person)
        current = _current_membership(person)
        if current is None:
            raise ValidationError({"person": _("This person is not in a household.")})
        if current.household_id == to_household.pk:
            raise ValidationError({"household": _("The person is already in this household.")})
        if current.relationship == Relationship.HEAD:
            raise ValidationError(
                {"person": _("Choose a new head for the household before moving its head.")}
            )
        _require_edit(actor, current.household.municipality_id)
        _require_edit(actor, to_household.municipality_id)
        _end_membership(current, on=on, reason=MembershipEndReason.MOVED)
        membership = _add_membership(
            household=to_household,
            person=person,
            relationship=relationship,
            start_date=on,
            date_field="on",
        )
    return membership


@transaction.atomic
def head_change(*, actor, household: Household, new_head: Person, old_head_relationship: str):
    """Make another member the head; the old head stays with the relationship given."""
    with acting_as(actor):
        _require_edit(actor, household.municipality_id)
        members = {m.person_id: m for m in household.memberships.filter(end_date__isnull=True)}
        if new_head.pk not in members:
            raise ValidationError(
                {"new_head": _("The new head must be a member of the household.")}
            )
        if members[new_head.pk].relationship == Relationship.HEAD:
            raise ValidationError({"new_head": _("This person is already the head.")})
        if old_head_relationship == Relationship.HEAD:
            raise ValidationError(
                {"old_head_relationship": _("Choose the former head's new relationship.")}
            )
        for m in members.values():
            if m.relationship == Relationship.HEAD:
                m.relationship = old_head_relationship
                _save(m)
        new = members[new_head.pk]
        new.relationship = Relationship.HEAD
        _save(new)


@transaction.atomic
def household_split(
    *,
    actor,
    source: Household,
    members: list[Person],
    head: Person,
    household: dict,
    on: date | None = None,
) -> Household:
    """Split members off into a new household (e.g. a married child setting up home)."""
    on = on or timezone.localdate()
    with acting_as(actor):
        _require_edit(actor, source.municipality_id)
        current = {m.person_id: m for m in source.memberships.filter(end_date__isnull=True)}
        if not members:
            raise ValidationError({"members": _("Choose at least one member to split off.")})
        if head not in members:
            raise ValidationError({"head": _("The new head must be one of the members split off.")})
        outsiders = [p for p in members if p.pk not in current]
        if outsiders:
            raise ValidationError(
                {
                    "members": _("%(person)s is not a member of this household.")
                    % {"person": outsiders[0]}
                }
            )
        if len(members) == len(current):
            raise ValidationError(
                {"members": _("At least one member must stay in the original household.")}
            )
        if any(current[p.pk].relationship == Relationship.HEAD for p in members):
            raise ValidationError(
                {"members": _("The head stays; choose a new head first to split them off.")}
            )
        new = Household()
        _assign(new, household, HOUSEHOLD_FIELDS)
        _require_edit(actor, new.municipality_id)
        _save(new)
        for person in members:
            _end_membership(current[person.pk], on=on, reason=MembershipEndReason.SPLIT)
            _add_membership(
                household=new,
                person=person,
                relationship=Relationship.HEAD if person == head else Relationship.OTHER_RELATIVE,
                start_date=on,
                date_field="on",
            )
    return new


def _require_person_edit(actor, person: Person) -> None:
    permissions.require(actor, permissions.REGISTRY_EDIT)
    current = _current_membership(person)
    if current is not None:
        permissions.require_in_scope(actor, current.household.municipality_id)
    elif permissions.municipality_scope(actor) is not None:
        raise ValidationError(_("Only national staff may edit a person outside any household."))


# What staff record about an income; its end is income_end's alone.
INCOME_FIELDS = frozenset({"kind", "monthly_amount", "since"})


def _date(value: date) -> str:
    return value.strftime("%d.%m.%Y")


@transaction.atomic
def income_add(*, actor, person: Person, data: dict) -> IncomeSource:
    with acting_as(actor):
        _require_person_edit(actor, person)
        income = IncomeSource(person=person)
        _assign(income, data, INCOME_FIELDS)
        _save(income)
    return income


@transaction.atomic
def income_update(*, actor, income: IncomeSource, data: dict) -> IncomeSource:
    """Correct an income's kind, amount or start, with the rules of `income_add` (the model's
    validators and `IncomeSource.clean`). The old values stay in the person's history."""
    with acting_as(actor):
        income = _locked(income)
        _require_person_edit(actor, income.person)
        _assign(income, data, INCOME_FIELDS)
        _save(income)
    return income


@transaction.atomic
def income_end(*, actor, income: IncomeSource, on: date) -> IncomeSource:
    """The income stops from `on`: the means test no longer counts it on that day or after
    (the period is half-open, `IncomeSource`). It stays on record rather than being removed,
    so a decision on an earlier day can still be explained. An income ends once, not before
    it began."""
    with acting_as(actor):
        income = _locked(income)
        _require_person_edit(actor, income.person)
        if income.until is not None:
            raise ValidationError(
                _("This income source already ended on %(date)s.") % {"date": _date(income.until)}
            )
        if income.since and on < income.since:
            raise ValidationError(
                {
                    "on": _("The income cannot end before it began (%(date)s).")
                    % {"date": _date(income.since)}
                }
            )
        income.until = on
        _save(income)
    return income


@transaction.atomic
def income_remove(*, actor, income: IncomeSource) -> None:
    with acting_as(actor):
        _require_person_edit(actor, income.person)
        income.delete()
        _touch(income)


@transaction.atomic
def representative_add(*, actor, person: Person, data: dict) -> Representative:
    """Record a guardian, supporter or authorised person who may act for `person`."""
    with acting_as(actor):
        _require_person_edit(actor, person)
        link = Representative(person=person)
        _assign(
            link, data, frozenset({"representative", "kind", "basis", "valid_from", "valid_until"})
        )
        if link.valid_until and link.valid_until < link.valid_from:
            raise ValidationError({"valid_until": _("The end date cannot precede the start date.")})
        _save(link)
    return link


@transaction.atomic
def representative_end(*, actor, representative: Representative, on: date) -> Representative:
    """The mandate ends: `on` is its last day (`valid_until` counts the day itself). Not
    before it began; not once it has ended; and only sooner than an end already recorded (a
    power of attorney's expiry), never later: extending a mandate needs a new legal basis,
    recorded as a new representative."""
    with acting_as(actor):
        link = _locked(representative)
        _require_person_edit(actor, link.person)
        if link.valid_until is not None and link.valid_until < timezone.localdate():
            raise ValidationError(
                _("This representation already ended on %(date)s.")
                % {"date": _date(link.valid_until)}
            )
        if on < link.valid_from:
            raise ValidationError(
                {
                    "on": _("The representation cannot end before it began (%(date)s).")
                    % {"date": _date(link.valid_from)}
                }
            )
        if link.valid_until is not None and on >= link.valid_until:
            raise ValidationError(
                {
                    "on": _("The representation already ends on %(date)s; choose an earlier day.")
                    % {"date": _date(link.valid_until)}
                }
            )
        link.valid_until = on
        _save(link)
    return link
