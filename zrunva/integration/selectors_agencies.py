"""Other agencies' access, the reads: the agencies, their keys and their query log for the
staff pages (AGENCIES_MANAGE), and the registry as an agency sees it (`agency_people`,
`agency_records`): only the fields of its scope, every other field absent."""

from datetime import date

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.applications.models import Enrolment
from zrunva.assessment.selectors import latest_assessment
from zrunva.audit.subject_access import Section, Subject
from zrunva.core.trail import scoped_get
from zrunva.integration.models import Agency, AgencyClient, AgencyDisclosure, AgencyQuery
from zrunva.integration.models.agencies import ReleasableField
from zrunva.programmes.eligibility import health_programme_ids
from zrunva.registry.choices import DisabilityDegree
from zrunva.registry.models import Membership, Person

F = ReleasableField


def agency_list(*, actor) -> QuerySet[Agency]:
    """Every agency with its number of working keys."""
    permissions.require(actor, permissions.AGENCIES_MANAGE)
    return Agency.objects.annotate(
        working_keys=Count(
            "clients",
            filter=Q(clients__revoked_at__isnull=True, clients__expires_at__gt=timezone.now()),
        )
    ).order_by("name")


def agency_get(*, actor, pk: int) -> Agency:
    permissions.require(actor, permissions.AGENCIES_MANAGE)
    return scoped_get(Agency.objects.all(), actor=actor, pk=pk)


def client_list(*, actor, agency: Agency) -> QuerySet[AgencyClient]:
    permissions.require(actor, permissions.AGENCIES_MANAGE)
    return agency.clients.select_related("issued_by", "revoked_by").order_by("-created_at", "-id")


def client_get(*, actor, pk: int) -> AgencyClient:
    permissions.require(actor, permissions.AGENCIES_MANAGE)
    return scoped_get(AgencyClient.objects.select_related("agency"), actor=actor, pk=pk)


def query_list(
    *,
    actor,
    agency_id: int | None = None,
    status: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AgencyQuery]:
    """The query log, latest first, filtered; each row with its agency and key."""
    permissions.require(actor, permissions.AGENCIES_MANAGE)
    qs = AgencyQuery.objects.select_related("agency", "client")
    if agency_id is not None:
        qs = qs.filter(agency_id=agency_id)
    if status:
        qs = qs.filter(status=status)
    if since is not None:
        qs = qs.filter(created_at__date__gte=since)
    if until is not None:
        qs = qs.filter(created_at__date__lte=until)
    return qs.order_by("-created_at", "-id")


# -- The registry as an agency sees it -----------------------------------------------------------


def _current_membership():
    return Membership.objects.filter(person_id=OuterRef("pk"), end_date__isnull=True)


def in_force(on: date) -> Q:
    """Enrolments paid on the day `on` (started, not ended)."""
    return Q(starts__lte=on) & (Q(ends__isnull=True) | Q(ends__gte=on))


def enrolled_in(codes: list[str], *, on: date) -> Q:
    """People enrolled on `on` in one of the programmes `codes`: paid to them, or to their
    current household (a programme paying the household)."""
    current = Membership.objects.filter(end_date__isnull=True)
    enrolments = Enrolment.objects.filter(in_force(on), programme__code__in=codes)
    mine = enrolments.filter(person_id=OuterRef("pk"))
    households = enrolments.filter(
        person__isnull=True,
        household_id__in=current.filter(person_id=OuterRef(OuterRef("pk"))).values("household_id"),
    )
    return Exists(mine) | Exists(households)


def agency_people(*, agency: Agency, condition: Q, order: list[str]) -> QuerySet[Person]:
    """The people matching `condition` in the order `order` (then by id, so that pages never
    overlap), with what the agency's scope needs read in the same query. People who died are
    in it only for an agency that receives the date of death: to anyone else the record of a
    living person would be untrue, and the death is not theirs to learn."""
    qs = Person.objects.filter(condition)
    if not agency.receives(F.DATE_OF_DEATH):
        qs = qs.filter(date_of_death__isnull=True)
    if agency.receives(F.MUNICIPALITY):
        qs = qs.select_related("municipality__region")
    household_fields = {F.HOUSEHOLD_ID, F.HOUSEHOLD_SIZE, F.RATING_SCORE, F.ENROLLED_PROGRAMMES}
    if household_fields & set(agency.fields):
        qs = qs.annotate(
            current_household=Subquery(_current_membership().values("household_id")[:1])
        )
    if agency.receives(F.HOUSEHOLD_SIZE):
        members = (
            Membership.objects.filter(
                household_id=OuterRef("current_household"), end_date__isnull=True
            )
            .order_by()
            .values("household_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        qs = qs.annotate(
            household_size=Coalesce(Subquery(members[:1], output_field=IntegerField()), 0)
        )
    if agency.receives(F.RATING_SCORE):
        qs = qs.annotate(
            rating_score=Subquery(
                latest_assessment(OuterRef("current_household")).values("score")[:1]
            )
        )
    return qs.order_by(*order, "id")


def _enrolments(agency: Agency, people: list[Person], on: date) -> dict[int, list[dict]]:
    """Each person's programmes in force on `on` (their own and their household's), in one
    query; programmes whose rules read health data only for an agency that receives it."""
    ids = [p.pk for p in people]
    households = {p.current_household: p.pk for p in people if p.current_household}
    qs = Enrolment.objects.filter(in_force(on)).filter(
        Q(person_id__in=ids) | Q(person__isnull=True, household_id__in=list(households))
    )
    if not agency.receives(F.DISABILITY):
        qs = qs.exclude(programme_id__in=health_programme_ids())
    found: dict[int, list[dict]] = {pk: [] for pk in ids}
    by_household: dict[int, list[int]] = {}
    for person in people:
        if person.current_household:
            by_household.setdefault(person.current_household, []).append(person.pk)
    rows = qs.select_related("programme").order_by("programme__code", "starts", "id")
    for enrolment in rows:
        entry = {
            "programme_identifier": enrolment.programme.code,
            "programme_name": enrolment.programme.name_en,
            "enrolment_date": enrolment.starts.isoformat(),
        }
        owners = (
            [enrolment.person_id]
            if enrolment.person_id
            else by_household.get(enrolment.household_id, [])
        )
        for owner in owners:
            if owner in found:
                found[owner].append(entry)
    return found


def _identifier(person: Person) -> dict:
    if person.personal_number:
        return {"identifier_type": "UIN", "identifier_value": person.personal_number}
    return {"identifier_type": person.alt_id_kind.upper(), "identifier_value": person.alt_id_number}


def agency_records(*, agency: Agency, people: list[Person], on: date) -> list[dict]:
    """The records of `people` (from `agency_people`) as the DCI Person object, with only the
    fields of the agency's scope: a field outside it is absent, never null; a field within it
    that the registry does not hold is null."""
    fields = set(agency.fields)
    programmes = _enrolments(agency, people, on) if F.ENROLLED_PROGRAMMES in fields else {}
    records = []
    for person in people:
        record: dict = {}
        if F.PERSONAL_NUMBER in fields:
            record["identifier"] = _identifier(person)
        if F.NAMES in fields:
            record["name"] = {
                "given_name": person.first_name,
                "surname": person.last_name,
                "given_name_latin": person.first_name_latin,
                "surname_latin": person.last_name_latin,
            }
        if F.BIRTH_DATE in fields:
            record["birth_date"] = person.birth_date.isoformat()
        if F.SEX in fields:
            record["sex"] = {"F": "female", "M": "male"}.get(person.sex, person.sex)
        if F.MUNICIPALITY in fields:
            municipality = person.municipality
            record["address"] = (
                {
                    "sub_region_code": municipality.code,
                    "sub_region_name": municipality.name_en,
                    "region_code": municipality.region.iso_code,
                    "country_code": "GE",
                }
                if municipality is not None
                else None
            )
        if F.HOUSEHOLD_ID in fields:
            household = person.current_household
            record["household_identifier"] = str(household) if household else None
        if F.HOUSEHOLD_SIZE in fields:
            record["household_size"] = person.household_size if person.current_household else None
        if F.RATING_SCORE in fields:
            record["poverty_score"] = person.rating_score
        if F.ENROLLED_PROGRAMMES in fields:
            record["programmes"] = programmes.get(person.pk, [])
        if F.DATE_OF_DEATH in fields:
            record["is_deceased"] = person.date_of_death is not None
            record["death_date"] = (
                person.date_of_death.isoformat() if person.date_of_death else None
            )
        if F.DISABILITY in fields:
            record["is_disabled"] = person.disability_degree != DisabilityDegree.NONE
            record["disability_type"] = (
                person.disability_degree
                if person.disability_degree != DisabilityDegree.NONE
                else None
            )
        records.append(record)
    return records


def subject_access_disclosures(subject: Subject) -> Section:
    """Subject access: each time an agency's search answered the person's record: the agency,
    the legal basis it searched under, when, and which fields it received (Law №3144: who
    received the data)."""
    section = Section()
    if subject.person is None:
        return section
    disclosures = (
        AgencyDisclosure.objects.filter(person=subject.person)
        .select_related("query__agency")
        .order_by("query__created_at", "id")
    )
    for disclosure in disclosures:
        query = disclosure.query
        section.add(
            disclosure,
            title=f"{query.agency}: {timezone.localtime(query.created_at):%Y-%m-%d %H:%M}",
            labels={"agency": _("agency"), "legal_basis": _("legal basis"), "at": _("time")},
            agency=str(query.agency),
            legal_basis=query.legal_basis,
            at=query.created_at.isoformat(),
        )
    return section


def breach_agency_known(key: str) -> bool:
    """Whether `key` names an agency (its sender id), one of its keys, or a key nobody was
    issued that was tried (the key's first characters, as the query log records them): what
    `manage.py breach_scope --agency` accepts."""
    return (
        Agency.objects.filter(sender_id=key).exists()
        or AgencyClient.objects.filter(prefix=key).exists()
        or AgencyQuery.objects.filter(key_prefix=key).exists()
    )


def breach_disclosed(query_ids: list[int]) -> dict[int, set[int]]:
    """The people each answered query gave to its agency (the breach-scope report)."""
    found: dict[int, set[int]] = {}
    rows = AgencyDisclosure.objects.filter(query_id__in=query_ids).values_list(
        "query_id", "person_id"
    )
    for query, person in rows.iterator(chunk_size=2000):
        found.setdefault(query, set()).add(person)
    return found
