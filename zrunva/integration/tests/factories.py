"""Builders for the integration app's tests: people and households with something in every
part of the system, to merge and to count."""

from datetime import date
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from zrunva.accounts.choices import Role
from zrunva.accounts.models import User
from zrunva.applications.models import Enrolment
from zrunva.applications.tests.factories import enrolled_application
from zrunva.assessment.tests.factories import assess
from zrunva.geo.models import Office
from zrunva.integration import merges
from zrunva.integration.models import Merge
from zrunva.payments import services as payments
from zrunva.payments.tests.factories import IBAN, paid_month, representative
from zrunva.registry import services as registry
from zrunva.registry.models import Membership, Person
from zrunva.registry.tests import factories


def officer(office: str | None = None, role: str = Role.SSA_OFFICER, **extra) -> User:
    """An SSA officer (or `role`), national or of the office with code `office`."""
    if office:
        extra["office"] = Office.objects.get(code=office)
    return User.objects.create_user(f"merge-{role}-{User.objects.count()}", role=role, **extra)


def pensioner_with_everything() -> Person:
    """A pensioner, head of a household in Kutaisi, with an income, a representative, an
    enrolment, a payment account, a paid month, and a household assessment."""
    application = enrolled_application()
    enrolment = Enrolment.objects.get(application=application)
    person = enrolment.person
    actor = factories.system_actor()
    registry.income_add(
        actor=actor,
        person=person,
        data={"kind": "rent", "monthly_amount": Decimal("120.00"), "since": date(2024, 1, 1)},
    )
    representative(person)
    payments.payment_account_set(
        actor=actor, person=person, method="bank", iban=IBAN, valid_from=enrolment.starts
    )
    first, second = officer(), officer()
    paid_month(first, second, enrolment.starts)
    assess(person.memberships.get().household, 40_000)
    return person


def without_household(**person) -> Person:
    """A person registered (with the fields given) whose only membership has ended."""
    household = factories.household(head=person)
    someone = household.memberships.get().person
    Membership.objects.filter(person=someone).update(end_date=date.today(), end_reason="moved")
    Person.objects.filter(pk=someone.pk).update(municipality=None)
    someone.refresh_from_db()
    return someone


def related_rows(*records) -> dict[str, list[tuple]]:
    """Every row of every relation onto these records (kept ones too), as (pk, value): the
    picture a merge changes and its undo must give back exactly."""
    target = type(records[0])
    pks = [r.pk for r in records]
    picture = {}
    for relation in merges.relations(target):
        if relation.model is Merge:
            continue  # the merge's own record
        rows = relation.rows(pks).values_list("pk", relation.attname).order_by("pk")
        picture[relation.label] = list(rows)
    fields = [f.attname for f in target._meta.concrete_fields if f.attname != "updated_at"]
    picture["records"] = list(target.objects.filter(pk__in=pks).order_by("pk").values_list(*fields))
    return picture


def audited(record, **data) -> bool:
    from auditlog.models import LogEntry

    return LogEntry.objects.filter(
        Q(content_type=ContentType.objects.get_for_model(record), object_pk=str(record.pk)),
        **{f"additional_data__{k}": v for k, v in data.items()},
    ).exists()
