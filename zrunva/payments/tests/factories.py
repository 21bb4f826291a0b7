from datetime import date

from zrunva.registry import services as registry
from zrunva.registry.tests import factories

IBAN = "GE29NB0000000101904917"
OTHER_IBAN = "GE35TB0000000011111111"


def beneficiary(municipality: str = "kutaisi"):
    """A household's head, the beneficiary whose accounts the tests record."""
    return factories.household(municipality).memberships.get().person


def representative(person, *, kind="guardian", valid_from=date(2020, 1, 1), valid_until=None):
    """Someone in the registry recorded as `person`'s representative for those dates."""
    other = factories.household(person.municipality.code).memberships.get().person
    return registry.representative_add(
        actor=factories.system_actor(),
        person=person,
        data={
            "representative": other,
            "kind": kind,
            "basis": "Court decision 2-123/2020",
            "valid_from": valid_from,
            "valid_until": valid_until,
        },
    ).representative
