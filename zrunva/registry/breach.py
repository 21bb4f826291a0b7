"""What the breach-scope report (`zrunva.audit.breach`) asks the registry: which people and
households an audited record concerns, who lived in a household in the window, and where."""

from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Q

from zrunva.audit.breach import PeopleResolver
from zrunva.registry.models import Household, Membership, Person


def subjects(model, pks: list[str]) -> dict[str, tuple[set[int], set[int]]]:
    """For each record of `model`, the people or the households it names: itself for a
    person or a household, else its foreign keys to people (a payment account's holder, a
    case's person) or, when it names no person, to households (an application's). A model
    with neither names no one here."""
    if model is Person:
        return {pk: ({int(pk)}, set()) for pk in pks if pk.isdigit()}
    if model is Household:
        return {pk: (set(), {int(pk)}) for pk in pks if pk.isdigit()}
    links = [
        f
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model in (Person, Household)
    ]
    if not links:
        return {}
    keys = []
    for pk in pks:
        try:
            keys.append(model._meta.pk.to_python(pk))
        except ValidationError:
            continue  # not a key of this model: the row names no record of it
    found = {}
    rows = model._base_manager.filter(pk__in=keys).values("pk", *[f.attname for f in links])
    for row in rows.iterator(chunk_size=2000):
        people = {row[f.attname] for f in links if f.related_model is Person and row[f.attname]}
        homes = {row[f.attname] for f in links if f.related_model is Household and row[f.attname]}
        # A record that names its person concerns them, not their whole household: a social
        # work case read is not news to be told to everyone the victim lives with.
        found[str(row["pk"])] = (people, set()) if people else (set(), homes)
    return found


def people(
    person_ids: set[int], household_ids: set[int], since: date, until: date
) -> tuple[dict[int, dict], dict[int, set[int]], dict[int, str]]:
    """The people named, the members of each household in the window (a membership that
    began by its end and had not ended before its start: whoever the household's page showed
    then), and each household's municipality."""
    members: dict[int, set[int]] = defaultdict(set)
    in_window = (
        Membership.objects.filter(household_id__in=household_ids, start_date__lte=until)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=since))
        .values_list("household_id", "person_id")
    )
    for household, person in in_window.iterator(chunk_size=2000):
        members[household].add(person)
    everyone = set(person_ids).union(*members.values()) if members else set(person_ids)
    described = {}
    found = Person.objects.filter(pk__in=everyone).select_related("municipality")
    for person in found.iterator(chunk_size=2000):
        described[person.pk] = {
            "personal_number": person.personal_number,
            "name": str(person),
            "municipality": str(person.municipality) if person.municipality_id else "",
        }
    places = {
        h.pk: str(h.municipality)
        for h in Household.objects.filter(pk__in=household_ids).select_related("municipality")
    }
    return described, dict(members), places


RESOLVER = PeopleResolver(subjects=subjects, people=people)
