"""Outreach lists: per municipality, the people likely in need whom no one serves yet, for
social workers to plan visits. Each list is one rule, written once here (`RULES`), built in
one query (Exists/Subquery over the registry, assessments, enrolments and cases, never a loop
over people), read a page at a time, in the worker's area, every read audited.

(a) `disability`: a person with a severe disability, not enrolled in the disability package,
    without an open case. The catalogue records no one's use of a service, so "not served"
    means no package and no open social work case. Built from health data: only for roles that
    read it (HEALTH_VIEW).
(b) `low_score`: a household whose latest rating score is at or under the TSA threshold (the
    parameter the TSA programme's criteria compare the score with, in force today) and that is
    not enrolled in TSA; listed by its head.
(c) `alone`: a person aged 80 or over, the only current member of their household, without an
    open case.

A person visited from a list within `OUTREACH_VISIT_DAYS` days drops off that list (whatever
the outcome: the worker has been; a case opened keeps them off lists (a) and (c) anyway).
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.applications.models import Enrolment
from zrunva.assessment.selectors import latest_assessment
from zrunva.cases.choices import OPEN_STAGES, OutreachList
from zrunva.cases.models import OutreachVisit, SocialCase
from zrunva.core.pagination import Page, paginate
from zrunva.core.trail import search_log
from zrunva.programmes.models import Programme
from zrunva.programmes.selectors import parameters_on
from zrunva.registry.choices import DisabilityDegree
from zrunva.registry.models import Membership, Person

TSA = "tsa"
DISABILITY_PACKAGE = "disability_package"
ALONE_AGE = 80
# The TSA criterion compares the household's rating score with a parameter
# (`household.rating_score <= param.<code>`): that parameter is the threshold.
_TSA_LIMIT = re.compile(r"household\.rating_score\s*<=?\s*param\.(\w+)")


def tsa_threshold(on: date) -> Decimal | None:
    """The rating score at or under which a household may get TSA on `on`: the value then of
    the parameter the TSA programme's criteria compare the score with; None when the programme,
    the comparison or a value on that date is missing."""
    criteria = Programme.objects.filter(code=TSA).values_list("criteria", flat=True).first()
    found = _TSA_LIMIT.search(criteria or "")
    if found is None:
        return None
    return parameters_on(on=on).get(found.group(1))


def _current_membership(**more):
    return Membership.objects.filter(
        person=OuterRef("pk"), end_date__isnull=True, household__is_active=True, **more
    )


def _open_case():
    return SocialCase.objects.filter(person=OuterRef("pk"), stage__in=OPEN_STAGES)


def _enrolled(programme: str, today: date, **beneficiary):
    return Enrolment.objects.filter(programme__code=programme, **beneficiary).filter(
        Q(ends__isnull=True) | Q(ends__gte=today)
    )


def _visited(kind: str, today: date):
    since = today - timedelta(days=settings.OUTREACH_VISIT_DAYS)
    return OutreachVisit.objects.filter(person=OuterRef("pk"), list=kind, visited_on__gte=since)


def _people(municipality_id: int) -> QuerySet[Person]:
    """The living people of a municipality with a current household there."""
    home = _current_membership(household__municipality_id=municipality_id)
    return (
        Person.objects.filter(municipality_id=municipality_id, date_of_death__isnull=True)
        .annotate(
            home_id=Subquery(home.values("household_id")[:1]),
            score=Subquery(latest_assessment(OuterRef("home_id")).values("score")[:1]),
        )
        .filter(home_id__isnull=False)
    )


def disability_unserved(municipality_id: int, today: date) -> QuerySet[Person]:
    """(a) Severe disability, no disability package, no open case."""
    return (
        _people(municipality_id)
        .filter(disability_degree=DisabilityDegree.SEVERE)
        .exclude(Exists(_enrolled(DISABILITY_PACKAGE, today, person=OuterRef("pk"))))
        .exclude(Exists(_open_case()))
        .exclude(Exists(_visited(OutreachList.DISABILITY, today)))
        .order_by("last_name", "first_name", "id")
    )


def low_score_without_tsa(municipality_id: int, today: date) -> QuerySet[Person]:
    """(b) The heads of households whose latest rating score is at or under the TSA threshold
    and who are not enrolled in TSA."""
    threshold = tsa_threshold(today)
    if threshold is None:
        return Person.objects.none()
    return (
        _people(municipality_id)
        .filter(Exists(_current_membership(relationship="head")), score__lte=threshold)
        .exclude(Exists(_enrolled(TSA, today, household=OuterRef("home_id"), person__isnull=True)))
        .exclude(Exists(_visited(OutreachList.LOW_SCORE, today)))
        .order_by("score", "id")
    )


def alone_over_80(municipality_id: int, today: date) -> QuerySet[Person]:
    """(c) Aged 80 or over, no one else in the household, no open case."""
    others = Membership.objects.filter(
        household_id=OuterRef("home_id"), end_date__isnull=True
    ).exclude(person=OuterRef("pk"))
    return (
        _people(municipality_id)
        .filter(birth_date__lte=today - relativedelta(years=ALONE_AGE))
        .exclude(Exists(others))
        .exclude(Exists(_open_case()))
        .exclude(Exists(_visited(OutreachList.ALONE, today)))
        .order_by("birth_date", "id")
    )


RULES = {
    OutreachList.DISABILITY: disability_unserved,
    OutreachList.LOW_SCORE: low_score_without_tsa,
    OutreachList.ALONE: alone_over_80,
}


def age(birth_date: date, today: date) -> int:
    return relativedelta(today, birth_date).years


def reason(kind: str, person: Person, *, today: date, threshold: Decimal | None) -> str:
    """Why the person is on the list, in the worker's words."""
    if kind == OutreachList.DISABILITY:
        return _("Severe disability; not enrolled in the disability package; no open case.")
    if kind == OutreachList.LOW_SCORE:
        return _(
            "Household rating score %(score)s, at or under the TSA threshold %(threshold)s; "
            "not enrolled in TSA."
        ) % {"score": f"{person.score:,}", "threshold": f"{int(threshold or 0):,}"}
    return _("Aged %(age)s and living alone; no open case.") % {
        "age": age(person.birth_date, today)
    }


def _require(actor, kind: str, municipality_id: int) -> None:
    permissions.require(actor, permissions.CASES_WORK)
    permissions.require_in_scope(actor, municipality_id)
    if kind not in RULES:
        raise PermissionDenied(_("There is no such outreach list."))
    if kind == OutreachList.DISABILITY and not permissions.sees_health(actor):
        raise PermissionDenied(_("This list is built from health data your role does not read."))


def outreach_list(*, actor, kind: str, municipality_id: int, today=None) -> QuerySet[Person]:
    """The people on one list in a municipality of the actor's area (not audited: the caller
    shows or exports them and audits that)."""
    _require(actor, kind, municipality_id)
    return RULES[kind](municipality_id, today or timezone.localdate())


def lists_for(actor) -> list[str]:
    """The lists the actor may read."""
    return [k for k in RULES if k != OutreachList.DISABILITY or permissions.sees_health(actor)]


@dataclass(frozen=True)
class Row:
    person: Person
    reason: str
    age: int


def rows(people, *, kind: str, today: date):
    """Each person on a list with the reason they are on it."""
    threshold = tsa_threshold(today) if kind == OutreachList.LOW_SCORE else None
    for person in people:
        yield Row(
            person=person,
            reason=reason(kind, person, today=today, threshold=threshold),
            age=age(person.birth_date, today),
        )


def outreach_page(
    *, actor, kind: str, municipality_id: int, number=None, today=None
) -> tuple[Page, list[Row]]:
    """One page of a list, its read audited (list, municipality, page, people shown)."""
    today = today or timezone.localdate()
    qs = outreach_list(actor=actor, kind=kind, municipality_id=municipality_id, today=today)
    page = paginate(qs, number=number, size=settings.REGISTRY_PAGE_SIZE)
    search_log(
        actor=actor,
        model=Person,
        terms={"outreach": kind, "municipality": municipality_id, "page": page.number},
        shown=len(page.items),
    )
    return page, list(rows(page.items, kind=kind, today=today))
