"""Reads from the registry, filtered to what the actor may see. The UI and the API both use these."""

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Case, F, Prefetch, Q, QuerySet, When
from django.db.models.functions import Collate
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.audit import subject_access
from zrunva.audit.subject_access import Section, Subject
from zrunva.core.romanisation import search_key
from zrunva.core.trail import access_log, scoped_get, search_log
from zrunva.geo.models import Settlement
from zrunva.registry.models import Household, IncomeSource, Membership, Person, Representative


def household_list(
    *,
    actor,
    municipality_id: int | None = None,
    settlement_id: int | None = None,
    active: bool | None = True,
) -> QuerySet[Household]:
    qs = _households(actor).filter(merged_into__isnull=True)
    if municipality_id:
        qs = qs.filter(municipality_id=municipality_id)
    if settlement_id:
        qs = qs.filter(settlement_id=settlement_id)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("-id")


def _households(actor) -> QuerySet[Household]:
    """The households in the actor's area, merged ones too (their pages point to the survivor)."""
    permissions.require(actor, permissions.REGISTRY_VIEW)
    return permissions.scoped(Household.objects.select_related("municipality", "settlement"), actor)


def settlement_options(*, actor, municipality_id: int | None = None) -> QuerySet[Settlement]:
    """The settlements a household form offers: those of the municipalities in the actor's area,
    or of one of them (none if it is outside the area). Place names are public, so the read is
    not audited."""
    qs = permissions.scoped(Settlement.objects.select_related("municipality"), actor)
    if municipality_id is not None:
        qs = qs.filter(municipality_id=municipality_id)
    return qs


def _byte_order(expression):
    """Compare keys byte by byte, as the keys' indexes do (Person.Meta.indexes). SQLite does
    already, and has no collation named C."""
    return Collate(expression, "C") if connection.vendor == "postgresql" else expression


class PersonSearchQuerySet(QuerySet):
    """People, with a name search that pages quickly over millions of people.

    `name_search(key)` keeps people whose "first last" or "last first" key starts with `key`,
    ordered by the key that matched, then id. An OR over two keys cannot be read in order from an
    index: PostgreSQL would fetch and sort every match to show one page (about 120,000 rows for
    `giorgi` among 3.3 million people). So when such a query is sliced, as pagination does, each
    key's first `stop` matches are read in order from that key's index, and the slice is taken
    from their union only: the first `stop` rows overall are among them, so the page holds the
    same rows in the same order. Anything but prefetching added after `name_search` turns this
    off (the branches would not see it); the query is then plain and still right.
    """

    name_prefix = ""
    _name_base = None  # this query without the name filter
    _name_sql = ""  # this query as `name_search` left it

    def _clone(self):
        clone = super()._clone()
        clone.name_prefix = self.name_prefix
        clone._name_base = self._name_base
        clone._name_sql = self._name_sql
        return clone

    def _plain(self) -> "PersonSearchQuerySet":
        clone = self._chain()
        clone.name_prefix, clone._name_base = "", None
        return clone

    def name_search(self, key: str) -> "PersonSearchQuerySet":
        matched = Case(
            When(name_key__startswith=key, then=F("name_key")), default=F("name_key_rev")
        )
        qs = self.filter(Q(name_key__startswith=key) | Q(name_key_rev__startswith=key)).order_by(
            _byte_order(matched), "id"
        )
        qs.name_prefix, qs._name_base, qs._name_sql = key, self._plain(), str(qs.query)
        return qs

    def __getitem__(self, k):
        if (
            isinstance(k, slice)
            and k.stop is not None
            and self._name_base is not None
            and self._result_cache is None
            and connection.vendor == "postgresql"  # SQLite can't LIMIT inside a UNION
            and str(self.query) == self._name_sql
        ):
            return self._first(k.stop)[k]
        return super().__getitem__(k)

    def _first(self, count: int) -> "PersonSearchQuerySet":
        key = self.name_prefix
        # Without the OR of both keys: PostgreSQL's estimate of a prefix match can be off a
        # hundredfold, and with the OR it expects a handful of rows, fetches every match through
        # a bitmap and sorts them, instead of reading the index in order or joining on the ids.
        base = self._name_base._plain()
        forward = (
            base.filter(name_key__startswith=key)
            .order_by(_byte_order(F("name_key")), "id")
            .values("pk")[:count]
        )
        backward = (
            base.filter(name_key_rev__startswith=key)
            .exclude(name_key__startswith=key)
            .order_by(_byte_order(F("name_key_rev")), "id")
            .values("pk")[:count]
        )
        page = base.filter(pk__in=forward.union(backward, all=True)).order_by(*self.query.order_by)
        page._prefetch_related_lookups = self._prefetch_related_lookups
        return page


def person_list(
    *,
    actor,
    q: str = "",
    municipality_id: int | None = None,
    sex: str = "",
) -> QuerySet[Person]:
    """People matching a personal number prefix or a name in either script.

    Names match from the start of "first last" or "last first" in normalised Latin, so `giorgi`,
    `გიორგი` and `beridze gi` all find გიორგი ბერიძე; apostrophes are ignored. Name matches come
    in the order of the key that matched (first-name matches by first name, surname matches by
    surname), others by "first last".
    """
    permissions.require(actor, permissions.REGISTRY_VIEW)
    qs = permissions.scoped(PersonSearchQuerySet(model=Person), actor).filter(
        merged_into__isnull=True
    )
    if municipality_id:
        qs = qs.filter(municipality_id=municipality_id)
    if sex:
        qs = qs.filter(sex=sex)
    q = (q or "").strip()
    if q.isdigit():
        qs = qs.filter(personal_number__startswith=q)
    elif q:
        key = search_key(q)
        if not key:
            return qs.none()
        return qs.name_search(key)
    return qs.order_by(_byte_order(F("name_key")), "id")


def current_members_prefetch() -> Prefetch:
    return Prefetch(
        "memberships",
        queryset=Membership.objects.filter(end_date__isnull=True)
        .select_related("person")
        .order_by("start_date", "id"),
        to_attr="current_members",
    )


def household_get(*, actor, pk: int, purpose: str = "view") -> Household:
    """The household if it is in the actor's area (else 404); the read is audited."""
    qs = _households(actor).prefetch_related(current_members_prefetch())
    household = scoped_get(qs, actor=actor, pk=pk)
    _not_merged(household, purpose)
    access_log(actor=actor, instance=household, purpose=purpose)
    return household


def person_get(*, actor, pk: int, purpose: str = "view") -> Person:
    """The person if they live in the actor's area (else 404); the read is audited."""
    qs = Person.objects.prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("household__municipality").order_by(
                "-start_date", "-id"
            ),
        ),
        # Those in force first, then the ended ones, the latest ended first.
        Prefetch(
            "incomes",
            queryset=IncomeSource.objects.order_by(F("until").desc(nulls_first=True), "kind"),
        ),
        Prefetch(
            "representatives",
            queryset=Representative.objects.select_related("representative").order_by(
                F("valid_until").desc(nulls_first=True), "-valid_from", "id"
            ),
        ),
    )
    permissions.require(actor, permissions.REGISTRY_VIEW)
    person = scoped_get(permissions.scoped(qs, actor), actor=actor, pk=pk)
    _not_merged(person, purpose)
    access_log(actor=actor, instance=person, purpose=purpose)
    return person


def _not_merged(record: Household | Person, purpose: str) -> None:
    """A merged record is read (its page points to the survivor) but never changed: the
    survivor is changed instead, and the merge's undo gives the record back."""
    if purpose == "edit" and record.merged_into_id is not None:
        raise PermissionDenied(
            _("This record was merged into №%(pk)s: change that one instead.")
            % {"pk": record.merged_into_id}
        )


def income_of(person: Person, pk: int) -> IncomeSource:
    """One of the person's income sources (the person already read through `person_get`, in
    the actor's scope), or 404: an id from another person's record finds nothing here."""
    try:
        return person.incomes.get(pk=pk)
    except IncomeSource.DoesNotExist:
        raise Http404 from None


def representation_of(person: Person, pk: int) -> Representative:
    """One of the representatives recorded for the person (read through `person_get`), or 404."""
    try:
        return person.representatives.select_related("representative").get(pk=pk)
    except Representative.DoesNotExist:
        raise Http404 from None


def person_by_number(*, actor, personal_number: str, purpose: str) -> Person | None:
    """A person in the actor's area by exact personal number, or None; the lookup is audited
    as a search, so an editor cannot probe numbers outside their area unseen."""
    permissions.require(actor, permissions.REGISTRY_VIEW)
    person = (
        permissions.scoped(Person.objects.all(), actor)
        .filter(personal_number=personal_number, merged_into__isnull=True)
        .first()
    )
    search_log(
        actor=actor,
        model=Person,
        terms={"personal_number": personal_number, "purpose": purpose},
        shown=int(person is not None),
    )
    return person


# Enough to choose from: more people with the applicant's name and birth date are not a match.
MATCHES_SHOWN = 10


def household_matches(
    *, actor, personal_number: str, first_name: str, last_name: str, birth_date, purpose: str
) -> list[Membership]:
    """The current memberships (person and household) of the people in the actor's area who may
    be someone declared elsewhere (an application's applicant): the one with the personal
    number first, then those with the same name, in either script and either order (the name
    keys), and the same birth date. The lookup is audited as a search, as `person_by_number`."""
    permissions.require(actor, permissions.REGISTRY_VIEW)
    people = permissions.scoped(Person.objects.filter(merged_into__isnull=True), actor)
    key = search_key(f"{first_name} {last_name}")
    by_number = people.filter(personal_number=personal_number) if personal_number else None
    by_name = (
        people.filter(Q(name_key=key) | Q(name_key_rev=key), birth_date=birth_date)
        if key and birth_date
        else None
    )
    ranked: list[int] = []
    for qs in (by_number, by_name):
        if qs is not None:
            ids = qs.order_by("id").values_list("id", flat=True)[:MATCHES_SHOWN]
            ranked += [pk for pk in ids if pk not in ranked]
    current = {
        m.person_id: m
        for m in Membership.objects.filter(person_id__in=ranked, end_date__isnull=True)
        .select_related("person", "household__municipality", "household__settlement")
        .filter(household__is_active=True)
    }
    matches = [current[pk] for pk in ranked if pk in current][:MATCHES_SHOWN]
    search_log(
        actor=actor,
        model=Person,
        terms={
            "personal_number": personal_number,
            "name": key,
            "birth_date": birth_date.isoformat() if birth_date else None,
            "purpose": purpose,
        },
        shown=len(matches),
    )
    return matches


def household_members(household: Household) -> list[Membership]:
    return list(
        household.memberships.select_related("person").order_by("end_date", "start_date", "id")
    )


def _visible_changes(entry: LogEntry, actor) -> dict:
    return permissions.health_masked(actor, entry.changes or {})


def _history(actor, filters: Q) -> list[LogEntry]:
    entries = (
        LogEntry.objects.filter(filters)
        .exclude(action=LogEntry.Action.ACCESS)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-id")
    )
    rows = []
    for entry in entries:
        entry.visible_changes = _visible_changes(entry, actor)
        if entry.action == LogEntry.Action.UPDATE and not entry.visible_changes:
            continue
        rows.append(entry)
    return rows


def _object_filter(model, pk) -> Q:
    return Q(content_type=ContentType.objects.get_for_model(model), object_pk=str(pk))


def household_history(*, actor, household: Household) -> list[LogEntry]:
    """Every change to the household and to its memberships, newest first."""
    return _history(
        actor,
        _object_filter(Household, household.pk)
        | Q(
            content_type=ContentType.objects.get_for_model(Membership),
            additional_data__household_id=household.pk,
        ),
    )


def person_history(*, actor, person: Person) -> list[LogEntry]:
    """Every change to the person, their memberships, incomes and representatives."""
    related = [
        ContentType.objects.get_for_model(m) for m in (Membership, IncomeSource, Representative)
    ]
    return _history(
        actor,
        _object_filter(Person, person.pk)
        | Q(content_type__in=related, additional_data__person_id=person.pk),
    )


def subject_access_report(*, actor, person: Person | None, personal_number: str = "") -> dict:
    """Everything held about one person (or, for someone not registered, under their personal
    number) and who accessed or changed it, gathered from every app that registered a section
    (zrunva.audit.subject_access)."""
    return subject_access.report(actor=actor, person=person, personal_number=personal_number)


def subject_access_person(subject: Subject) -> Section:
    """Subject access: the person's own record (health fields too: the report is the DPO's)."""
    section = Section()
    if subject.person is not None:
        # merged_into: an internal pointer; the merge itself is in the record's change log.
        section.add(subject.person, exclude=("name_key", "name_key_rev", "merged_into"))
    return section


def subject_access_households(subject: Subject) -> Section:
    """Subject access: the households the person belongs or belonged to, with the membership.
    The audit rows of memberships since deleted are found by the person's id."""
    section = Section()
    if subject.person is None:
        return section
    memberships = subject.person.memberships.select_related(
        "household__municipality", "household__settlement"
    ).order_by("start_date", "id")
    for m in memberships:
        subject.household_ids.add(m.household_id)
        section.add(m, exclude=("person",))
        section.add(m.household, exclude=("merged_into",))
    section.log = Q(
        content_type=ContentType.objects.get_for_model(Membership),
        additional_data__person_id=subject.person.pk,
    )
    return section


def subject_access_incomes(subject: Subject) -> Section:
    """Subject access: the person's income sources (deleted ones through their audit rows)."""
    section = Section()
    if subject.person is None:
        return section
    for income in subject.person.incomes.order_by("kind", "id"):
        section.add(income, exclude=("person",))
    section.log = Q(
        content_type=ContentType.objects.get_for_model(IncomeSource),
        additional_data__person_id=subject.person.pk,
    )
    return section


def subject_access_representatives(subject: Subject) -> Section:
    """Subject access: who represents the person and whom they represent."""
    section = Section()
    if subject.person is None:
        return section
    for r in subject.person.representatives.select_related("representative"):
        section.add(
            r,
            exclude=("person",),
            representative_name=str(r.representative),
            labels={"representative_name": _("Representative")},
        )
    for r in subject.person.represents.select_related("person"):
        section.add(
            r,
            exclude=("representative",),
            person_name=str(r.person),
            labels={"person_name": _("Person represented")},
        )
    section.log = Q(
        content_type=ContentType.objects.get_for_model(Representative),
        additional_data__person_id=subject.person.pk,
    )
    return section
