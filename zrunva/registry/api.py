import contextlib
from datetime import date
from decimal import Decimal
from typing import Annotated

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from zrunva.accounts import permissions
from zrunva.core.api import (
    SIGNED_IN,
    FlagIn,
    Id,
    IdIn,
    LifeDay,
    MoneyOut,
    PageNumber,
    count_of,
    decimal_of,
    responses,
)
from zrunva.core.pagination import paginate
from zrunva.core.trail import search_log
from zrunva.geo.models import Municipality, Settlement
from zrunva.registry import selectors, services
from zrunva.registry.choices import (
    AltIdKind,
    DisabilityDegree,
    DwellingCondition,
    DwellingTenure,
    DwellingType,
    EmploymentStatus,
    IncomeKind,
    PensionKind,
    Relationship,
    Sex,
)
from zrunva.registry.models import Household, IncomeSource, Person, Representative

router = Router(tags=["registry"])

# The columns' own bounds (registry.models), published so a client knows them before sending.
_household = Household._meta.get_field
PensionAmount = decimal_of(
    Person._meta.get_field("pension_amount"), "GEL a month, a decimal string."
)
FloorArea = decimal_of(_household("floor_area_m2"), "m², a decimal string.")
UtilitySpending = decimal_of(
    _household("monthly_utility_spending"), "GEL a month, a decimal string."
)
LandArea = decimal_of(_household("agricultural_land_ha"), "Hectares, a decimal string.")
Rooms = count_of(_household("rooms"))
ExtraDwellings = count_of(_household("extra_dwellings"))
Cattle = count_of(_household("cattle"))
SmallLivestock = count_of(_household("small_livestock"))
Cars = count_of(_household("cars"))
Citizenship = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
IncomeAmount = decimal_of(
    IncomeSource._meta.get_field("monthly_amount"), "GEL a month, a decimal string."
)


class PersonFields(Schema):
    personal_number: str | None = None
    alt_id_kind: AltIdKind | None = None
    alt_id_number: str | None = None
    first_name: str
    last_name: str
    birth_date: LifeDay
    sex: Sex
    citizenship: Citizenship = "GE"
    disability_degree: DisabilityDegree | None = None
    chronic_illness: FlagIn | None = None
    is_idp: FlagIn = False
    pension_kind: PensionKind = PensionKind.NONE
    pension_amount: PensionAmount = Decimal("0")
    employment_status: EmploymentStatus = EmploymentStatus.INACTIVE
    date_of_death: LifeDay | None = None


class PersonPatch(Schema):
    personal_number: str | None = None
    alt_id_kind: AltIdKind | None = None
    alt_id_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    birth_date: LifeDay | None = None
    sex: Sex | None = None
    citizenship: Citizenship | None = None
    disability_degree: DisabilityDegree | None = None
    chronic_illness: FlagIn | None = None
    is_idp: FlagIn | None = None
    pension_kind: PensionKind | None = None
    pension_amount: PensionAmount | None = None
    employment_status: EmploymentStatus | None = None
    date_of_death: LifeDay | None = None


class MembershipOut(Schema):
    household_id: int
    relationship: str
    start_date: date
    end_date: date | None


class PersonOut(Schema):
    id: int
    personal_number: str | None
    alt_id_kind: str
    alt_id_number: str
    first_name: str
    last_name: str
    first_name_latin: str
    last_name_latin: str
    birth_date: date
    sex: str
    citizenship: str
    disability_degree: str | None = Field(None, description="null when your role may not see it")
    chronic_illness: bool | None = Field(None, description="null when your role may not see it")
    is_idp: bool
    pension_kind: str
    pension_amount: MoneyOut
    employment_status: str
    date_of_death: date | None
    merged_into_id: int | None = Field(
        None, description="the person this record was merged into (its records are there now)"
    )


class PersonDetailOut(PersonOut):
    memberships: list[MembershipOut]


class PersonPage(Schema):
    items: list[PersonOut]
    page: int
    has_next: bool


class HouseholdFields(Schema):
    municipality: IdIn
    settlement: IdIn | None = None
    address: str
    dwelling_type: DwellingType = DwellingType.HOUSE
    dwelling_tenure: DwellingTenure = DwellingTenure.OWNED
    dwelling_condition: DwellingCondition = DwellingCondition.FAIR
    rooms: Rooms = 1
    floor_area_m2: FloorArea = Decimal("0")
    has_gas: FlagIn = False
    has_piped_water: FlagIn = False
    has_sewerage: FlagIn = False
    monthly_utility_spending: UtilitySpending = Decimal("0")
    extra_dwellings: ExtraDwellings = 0
    agricultural_land_ha: LandArea = Decimal("0")
    cattle: Cattle = 0
    small_livestock: SmallLivestock = 0
    cars: Cars = 0


class HouseholdIn(HouseholdFields):
    head: PersonFields


class HouseholdPatch(Schema):
    municipality: IdIn | None = None
    settlement: IdIn | None = None
    address: str | None = None
    dwelling_type: DwellingType | None = None
    dwelling_tenure: DwellingTenure | None = None
    dwelling_condition: DwellingCondition | None = None
    rooms: Rooms | None = None
    floor_area_m2: FloorArea | None = None
    has_gas: FlagIn | None = None
    has_piped_water: FlagIn | None = None
    has_sewerage: FlagIn | None = None
    monthly_utility_spending: UtilitySpending | None = None
    extra_dwellings: ExtraDwellings | None = None
    agricultural_land_ha: LandArea | None = None
    cattle: Cattle | None = None
    small_livestock: SmallLivestock | None = None
    cars: Cars | None = None


class MemberOut(Schema):
    person_id: int
    first_name: str
    last_name: str
    relationship: str
    start_date: date


class HouseholdOut(Schema):
    id: int
    municipality: int
    settlement: int | None
    address: str
    dwelling_type: str
    dwelling_tenure: str
    dwelling_condition: str
    rooms: int
    floor_area_m2: Decimal
    has_gas: bool
    has_piped_water: bool
    has_sewerage: bool
    monthly_utility_spending: MoneyOut
    extra_dwellings: int
    agricultural_land_ha: Decimal
    cattle: int
    small_livestock: int
    cars: int
    is_active: bool
    merged_into_id: int | None = Field(
        None, description="the household this one was merged into (its members are there now)"
    )


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut]


class HouseholdPage(Schema):
    items: list[HouseholdOut]
    page: int
    has_next: bool


class HouseholdMemberIn(Schema):
    relationship: Relationship
    person_id: IdIn | None = Field(None, description="an existing person not in any household")
    person: PersonFields | None = Field(None, description="or a new person")
    start_date: LifeDay | None = None


class IncomePatch(Schema):
    kind: IncomeKind | None = None
    monthly_amount: IncomeAmount | None = None
    since: LifeDay | None = Field(None, description="null clears it (received since unknown)")


class IncomeOut(Schema):
    id: int
    person_id: int
    kind: str
    monthly_amount: MoneyOut
    since: date | None
    until: date | None = Field(
        description="The first day the income is no longer received; null while in force."
    )


class IncomeEndIn(Schema):
    on: LifeDay = Field(description="The first day the income is no longer received.")


class RepresentativeEndIn(Schema):
    on: LifeDay = Field(description="The mandate's last day.")


class RepresentativeOut(Schema):
    id: int
    person_id: int
    representative: int = Field(description="The id of the person who may act.")
    kind: str
    basis: str
    valid_from: date
    valid_until: date | None = Field(description="The mandate's last day; null for no end.")


def _income_out(income: IncomeSource) -> dict:
    return {name: getattr(income, name) for name in IncomeOut.model_fields}


def _representative_out(link: Representative) -> dict:
    data = {name: getattr(link, name) for name in RepresentativeOut.model_fields}
    data["representative"] = link.representative_id
    return data


def _person_out(person: Person, user) -> dict:
    data = {name: getattr(person, name) for name in PersonOut.model_fields}
    return permissions.health_masked(user, data, blank=True)


def _household_out(household: Household) -> dict:
    data = {name: getattr(household, name, None) for name in HouseholdOut.model_fields}
    data["municipality"] = household.municipality_id
    data["settlement"] = household.settlement_id
    return data


def _person_data(fields: dict) -> dict:
    # Omitted health fields stay at their defaults; None means "not given" here.
    data = {k: v for k, v in fields.items() if v is not None or k in {"date_of_death"}}
    for name in ("alt_id_kind", "alt_id_number"):
        data.setdefault(name, "")
    return data


@contextlib.contextmanager
def _nested_errors(prefix: str, schema: type[Schema]):
    """Errors about a nested person's fields name their place in the body (`head.birth_date`)."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {
                f"{prefix}.{field}" if field in schema.model_fields else field: errors
                for field, errors in exc.error_dict.items()
            }
        ) from exc


def _resolve_places(data: dict) -> dict:
    """Replace municipality and settlement ids with records, or name the unknown one."""
    if "municipality" in data:
        municipality = Municipality.objects.filter(pk=data["municipality"]).first()
        if municipality is None:
            raise ValidationError({"municipality": _("Unknown municipality.")})
        data["municipality"] = municipality
    if data.get("settlement") is not None:
        settlement = Settlement.objects.filter(pk=data["settlement"]).first()
        if settlement is None:
            raise ValidationError({"settlement": _("Unknown settlement.")})
        data["settlement"] = settlement
    return data


@router.get(
    "/people", response=responses({200: PersonPage}, *SIGNED_IN, 422), summary="Search people"
)
def person_list(
    request,
    q: Annotated[str, Field(max_length=200)] = "",
    municipality: Id | None = None,
    sex: Sex | None = None,
    page: PageNumber = 1,
):
    qs = selectors.person_list(actor=request.user, q=q, municipality_id=municipality, sex=sex or "")
    result = paginate(qs, number=page, size=settings.REGISTRY_PAGE_SIZE)
    search_log(
        actor=request.user,
        model=Person,
        terms={"q": q, "municipality": municipality, "sex": sex, "page": result.number},
        shown=len(result.items),
    )
    return {
        "items": [_person_out(p, request.user) for p in result.items],
        "page": result.number,
        "has_next": result.has_next,
    }


@router.get(
    "/people/{person_id}",
    response=responses({200: PersonDetailOut}, *SIGNED_IN, 404, 422),
    summary="Retrieve a person",
)
def person_detail(request, person_id: Id):
    person = selectors.person_get(actor=request.user, pk=person_id, purpose="api")
    data = _person_out(person, request.user)
    data["memberships"] = [
        {
            "household_id": m.household_id,
            "relationship": m.relationship,
            "start_date": m.start_date,
            "end_date": m.end_date,
        }
        for m in person.memberships.all()
    ]
    return data


@router.patch(
    "/people/{person_id}",
    response=responses({200: PersonOut}, 400, *SIGNED_IN, 404, 422),
    summary="Update a person",
)
def person_update(request, person_id: Id, payload: PersonPatch):
    person = selectors.person_get(actor=request.user, pk=person_id, purpose="api")
    # null clears only what may be empty; a required field sent as null is left unchanged.
    data = {
        k: v
        for k, v in payload.dict(exclude_unset=True).items()
        if v is not None or k in {"personal_number", "date_of_death"}
    }
    person = services.person_update(actor=request.user, person=person, data=data)
    return _person_out(person, request.user)


@router.patch(
    "/people/{person_id}/incomes/{income_id}",
    response=responses({200: IncomeOut}, 400, *SIGNED_IN, 404, 422),
    summary="Change an income source",
)
def income_update(request, person_id: Id, income_id: Id, payload: IncomePatch):
    person = selectors.person_get(actor=request.user, pk=person_id, purpose="api")
    income = selectors.income_of(person, income_id)
    # null clears only the start, which may be unknown; kind and amount sent as null stay.
    data = {
        k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None or k == "since"
    }
    income = services.income_update(actor=request.user, income=income, data=data)
    return _income_out(income)


@router.post(
    "/people/{person_id}/incomes/{income_id}/end",
    response=responses({200: IncomeOut}, 400, *SIGNED_IN, 404, 422),
    summary="End an income source",
)
def income_end(request, person_id: Id, income_id: Id, payload: IncomeEndIn):
    person = selectors.person_get(actor=request.user, pk=person_id, purpose="api")
    income = selectors.income_of(person, income_id)
    income = services.income_end(actor=request.user, income=income, on=payload.on)
    return _income_out(income)


@router.post(
    "/people/{person_id}/representatives/{representative_id}/end",
    response=responses({200: RepresentativeOut}, 400, *SIGNED_IN, 404, 422),
    summary="End a representation",
)
def representative_end(request, person_id: Id, representative_id: Id, payload: RepresentativeEndIn):
    person = selectors.person_get(actor=request.user, pk=person_id, purpose="api")
    link = selectors.representation_of(person, representative_id)
    link = services.representative_end(actor=request.user, representative=link, on=payload.on)
    return _representative_out(link)


@router.get(
    "/households",
    response=responses({200: HouseholdPage}, *SIGNED_IN, 422),
    summary="List households",
)
def household_list(
    request,
    municipality: Id | None = None,
    settlement: Id | None = None,
    active: bool | None = True,
    page: PageNumber = 1,
):
    qs = selectors.household_list(
        actor=request.user, municipality_id=municipality, settlement_id=settlement, active=active
    )
    result = paginate(qs, number=page, size=settings.REGISTRY_PAGE_SIZE)
    search_log(
        actor=request.user,
        model=Household,
        terms={
            "municipality": municipality,
            "settlement": settlement,
            "active": active,
            "page": result.number,
        },
        shown=len(result.items),
    )
    return {
        "items": [_household_out(h) for h in result.items],
        "page": result.number,
        "has_next": result.has_next,
    }


def _household_detail(household: Household) -> dict:
    data = _household_out(household)
    data["members"] = [
        {
            "person_id": m.person_id,
            "first_name": m.person.first_name,
            "last_name": m.person.last_name,
            "relationship": m.relationship,
            "start_date": m.start_date,
        }
        for m in _current_members(household)
    ]
    return data


def _current_members(household: Household):
    # household_get has prefetched them; a household fresh from a service has not.
    if hasattr(household, "current_members"):
        return household.current_members
    return household.memberships.filter(end_date__isnull=True).select_related("person")


@router.get(
    "/households/{household_id}",
    response=responses({200: HouseholdDetailOut}, *SIGNED_IN, 404, 422),
    summary="Retrieve a household",
)
def household_detail(request, household_id: Id):
    household = selectors.household_get(actor=request.user, pk=household_id, purpose="api")
    return _household_detail(household)


@router.post(
    "/households",
    response=responses({201: HouseholdDetailOut}, 400, *SIGNED_IN, 422),
    summary="Register a household with its head",
)
def household_create(request, payload: HouseholdIn):
    data = payload.dict()
    head = _person_data(data.pop("head"))
    with _nested_errors("head", PersonFields):
        household = services.household_register(
            actor=request.user, household=_resolve_places(data), head=head
        )
    return 201, _household_detail(household)


@router.patch(
    "/households/{household_id}",
    response=responses({200: HouseholdDetailOut}, 400, *SIGNED_IN, 404, 422),
    summary="Update a household",
)
def household_update(request, household_id: Id, payload: HouseholdPatch):
    household = selectors.household_get(actor=request.user, pk=household_id, purpose="api")
    data = _resolve_places(payload.dict(exclude_unset=True))
    household = services.household_update(actor=request.user, household=household, data=data)
    return _household_detail(household)


@router.post(
    "/households/{household_id}/members",
    response=responses({201: MembershipOut}, 400, *SIGNED_IN, 404, 422),
    summary="Add a member",
)
def member_add(request, household_id: Id, payload: HouseholdMemberIn):
    household = selectors.household_get(actor=request.user, pk=household_id, purpose="api")
    if (payload.person_id is None) == (payload.person is None):
        raise ValidationError({"person": _("Give exactly one of person_id and person.")})
    person = None
    if payload.person_id is not None:
        person = selectors.person_get(actor=request.user, pk=payload.person_id)
    with _nested_errors("person", PersonFields):
        membership = services.member_add(
            actor=request.user,
            household=household,
            relationship=payload.relationship,
            person=person,
            person_data=_person_data(payload.person.dict()) if payload.person else None,
            start_date=payload.start_date,
        )
    return 201, membership
