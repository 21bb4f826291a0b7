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
