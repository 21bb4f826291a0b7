from datetime import date

from zrunva.accounts.choices import Role
from zrunva.accounts.models import User
from zrunva.geo.models import Municipality
from zrunva.registry import services
from zrunva.registry.models import Household, Person

_counter = iter(range(10_000_000, 99_999_999))


def next_personal_number() -> str:
    return f"010{next(_counter):08d}"


def person_data(**overrides) -> dict:
    data = {
        "personal_number": next_personal_number(),
        "first_name": "გიორგი",
        "last_name": "ბერიძე",
        "birth_date": date(1980, 5, 17),
        "sex": "M",
    }
    data.update(overrides)
    return data


def system_actor() -> User:
    user, _ = User.objects.get_or_create(
        username="factory-admin", defaults={"role": Role.ADMIN, "is_superuser": True}
    )
    return user


def household(municipality: str = "kutaisi", *, head: dict | None = None, **fields) -> Household:
    data = {"municipality": Municipality.objects.get(code=municipality), "address": "რუსთაველის 1"}
    data.update(fields)
    return services.household_register(
        actor=system_actor(), household=data, head=person_data(**(head or {}))
    )


def member(household: Household, relationship: str = "child", **person) -> Person:
    membership = services.member_add(
        actor=system_actor(),
        household=household,
        relationship=relationship,
        person_data=person_data(**person),
    )
    return membership.person


def household_form(**head) -> dict:
    """The staff form registering a household in Kutaisi with its head (`head-` fields)."""
    data = {
        "hh-municipality": Municipality.objects.get(code="kutaisi").pk,
        "hh-address": "ჭავჭავაძის 3",
        "hh-dwelling_type": "apartment",
        "hh-dwelling_tenure": "owned",
        "hh-dwelling_condition": "fair",
        "hh-rooms": 2,
        "hh-floor_area_m2": "54.5",
        "hh-monthly_utility_spending": "80",
        "hh-extra_dwellings": 0,
        "hh-agricultural_land_ha": "0",
        "hh-cattle": 0,
        "hh-small_livestock": 0,
        "hh-cars": 0,
        "head-personal_number": "01024081234",
        "head-first_name": "თამარ",
        "head-last_name": "ჯაფარიძე",
        "head-birth_date": "1969-11-02",
        "head-sex": "F",
        "head-citizenship": "GE",
        "head-disability_degree": "none",
        "head-pension_kind": "none",
        "head-pension_amount": "0",
        "head-employment_status": "employed",
    }
    data.update({f"head-{k}": v for k, v in head.items()})
    return data
