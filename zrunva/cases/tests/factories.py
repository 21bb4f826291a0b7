"""Builders of social work case tests."""

from zrunva.cases import services
from zrunva.cases.choices import Category, Risk, Source, Specialisation
from zrunva.registry.tests import factories as registry


def person(municipality: str = "kutaisi", **head):
    household = registry.household(municipality, head=head or None)
    return household.memberships.get().person


def case(actor, who=None, *, category=Category.ELDERLY, risk=Risk.MEDIUM, **more):
    return services.case_open(
        actor=actor,
        person=who or person(),
        category=category,
        specialisation=more.pop("specialisation", Specialisation.ELDERLY),
        source=more.pop("source", Source.HOTLINE),
        risk=risk,
        intake=more.pop("intake", "A neighbour called: an older man alone, not seen for days."),
        **more,
    )
