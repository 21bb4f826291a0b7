"""The registry's data quality: records with likely problems, per municipality, and their counts
over time (issue 17, item 6).

Each check is a `QualityCheck`: a code, a label, the kind of record, and a function giving the
records it finds as a queryset annotated with `place` (the municipality the record counts in).
Counts are one SQL aggregate per check (`GROUP BY place`), never a loop over records. The
registry's own checks are below; other apps add theirs with `register` from their `ready()`.
The linkage review queue registers `DUPLICATES` (people in a pair awaiting review), e.g.:

    quality.register(quality.QualityCheck(
        code=quality.DUPLICATES, label=_("Possible duplicates awaiting review"), kind="person",
        records=lambda on: Person.objects.filter(Exists(Pair.objects.filter(
            status="open", left=OuterRef("pk")))).annotate(place=F("municipality_id")),
        order=50))

Until it does, the pages say that duplicates are not counted yet.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import BigIntegerField, Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.core.trail import bulk_run_log, search_log
from zrunva.geo.models import Municipality
from zrunva.integration.models import QualityCount
from zrunva.registry.columns import years_before
from zrunva.registry.models import Household, Membership, Person

# Older than this, alive, is taken for a wrong birth date (the oldest Georgians on record were
# under 120; the registry itself accepts births from 1900).
MAX_AGE = 120
DUPLICATES = "possible_duplicates"


@dataclass(frozen=True)
class QualityCheck:
    code: str
    label: str
    kind: str  # "person" or "household": which page a record links to
    records: Callable[[date], QuerySet]  # (day) -> records with the problem, with `place`
    order: int = 50


_checks: dict[str, QualityCheck] = {}


def register(check: QualityCheck) -> None:
    """Add (or replace) a check: its counts are stored daily and listed on the pages."""
    _checks[check.code] = check


def checks() -> list[QualityCheck]:
    return sorted(_checks.values(), key=lambda c: (c.order, c.code))


def check_named(code: str) -> QualityCheck:
    try:
        return _checks[code]
    except KeyError:
        raise Http404 from None


def _people() -> QuerySet[Person]:
    return Person.objects.filter(merged_into__isnull=True)


def _open_membership() -> Exists:
    return Exists(Membership.objects.filter(person_id=OuterRef("pk"), end_date__isnull=True))


def _missing_personal_number(on: date) -> QuerySet:
    """Georgian citizens without a personal number (others may have a document instead)."""
    return (
        _people()
        .filter(personal_number__isnull=True, citizenship="GE")
        .annotate(place=F("municipality_id"))
    )


def _impossible_ages(on: date) -> QuerySet:
    """Born in the future, died before birth or in the future, or alive past MAX_AGE."""
    return (
        _people()
        .filter(
            Q(birth_date__gt=on)
            | Q(date_of_death__lt=F("birth_date"))
            | Q(date_of_death__gt=on)
            | Q(date_of_death__isnull=True, birth_date__lt=years_before(on, MAX_AGE))
        )
        .annotate(place=F("municipality_id"))
    )


def _households_without_head(on: date) -> QuerySet:
    head = Membership.objects.filter(
        household_id=OuterRef("pk"), end_date__isnull=True, relationship="head"
    )
    return (
        Household.objects.filter(is_active=True, merged_into__isnull=True)
        .filter(~Exists(head))
        .annotate(place=F("municipality_id"))
    )


def _people_in_no_household(on: date) -> QuerySet:
    """Alive, not merged, with no current membership; counted where they last lived."""
    last = (
        Membership.objects.filter(person_id=OuterRef("pk"))
        .order_by("-start_date", "-id")
        .values("household__municipality_id")[:1]
    )
    return (
        _people()
        .filter(date_of_death__isnull=True)
        .filter(~_open_membership())
        .annotate(
            place=Coalesce(F("municipality_id"), Subquery(last), output_field=BigIntegerField())
        )
    )


register(
    QualityCheck(
        "missing_personal_number",
        _("Georgian citizens without a personal number"),
        "person",
        _missing_personal_number,
        10,
    )
)
register(QualityCheck("impossible_ages", _("Impossible ages"), "person", _impossible_ages, 20))
register(
    QualityCheck(
        "households_without_head",
        _("Households without a head"),
        "household",
        _households_without_head,
        30,
    )
)
register(
    QualityCheck(
        "people_in_no_household",
        _("People in no household"),
        "person",
        _people_in_no_household,
        40,
    )
)


# -- Reads ---------------------------------------------------------------------------------------


def quality_scope(actor) -> frozenset[int] | None:
    """The municipalities whose quality the actor reads (None: the whole country)."""
    permissions.require(actor, permissions.DATA_QUALITY_VIEW)
    return permissions.municipality_scope(actor)


def _scoped(qs: QuerySet, scope) -> QuerySet:
    return qs if scope is None else qs.filter(place__in=scope)


def quality_counts(*, actor, on: date | None = None) -> dict[str, dict[int, int]]:
    """{check code: {municipality id: records}} in the actor's area, one aggregate per check.
    Records with no municipality at all count under 0."""
    on = on or timezone.localdate()
    scope = quality_scope(actor)
    result = {}
    for check in checks():
        rows = (
            _scoped(check.records(on), scope)
            .order_by()
            .values("place")
            .annotate(n=Count("pk"))
            .values_list("place", "n")
        )
        result[check.code] = {place or 0: n for place, n in rows}
    search_log(
        actor=actor,
        model=QualityCount,
        terms={"purpose": "quality_overview"},
        shown=sum(sum(c.values()) for c in result.values()),
    )
    return result


def quality_municipality(*, actor, code: str) -> Municipality:
    """A municipality of the actor's area by code (else 404)."""
    scope = quality_scope(actor)
    qs = Municipality.objects.all() if scope is None else Municipality.objects.filter(pk__in=scope)
    try:
        return qs.get(code=code)
    except Municipality.DoesNotExist:
        raise Http404 from None


def quality_municipality_counts(*, actor, municipality: Municipality, on: date | None = None):
    """Each check's count in one municipality, in the order of `checks()`."""
    quality_scope(actor)
    on = on or timezone.localdate()
    return [check.records(on).filter(place=municipality.pk).count() for check in checks()]


def quality_records(*, actor, municipality: Municipality, code: str, on: date | None = None):
    """The records one check finds in a municipality, oldest first (the caller pages them and
    audits what it shows)."""
    quality_scope(actor)
    check = check_named(code)
    qs = check.records(on or timezone.localdate()).filter(place=municipality.pk)
    if check.kind == "household":
        return qs.select_related("municipality", "settlement").order_by("pk")
    return qs.order_by("pk")


def quality_history(*, actor, municipality: Municipality | None = None) -> dict[str, list]:
    """{check code: [(day, records), …]} from the daily counts, in the actor's area (or one
    municipality of it), summed per day."""
    scope = quality_scope(actor)
    qs = QualityCount.objects.all()
    if municipality is not None:
        qs = qs.filter(municipality=municipality)
    elif scope is not None:
        qs = qs.filter(municipality_id__in=scope)
    history: dict[str, list] = {}
    totals = (
        qs.order_by("code", "day")
        .values("code", "day")
        .annotate(total=Sum("count"))
        .values_list("code", "day", "total")
    )
    for check, day, total in totals:
        history.setdefault(check, []).append((day, total))
    return history


# -- The daily snapshot --------------------------------------------------------------------------


def quality_snapshot(*, on: date | None = None) -> int:
    """Store each check's count per municipality for the day `on` (today): one row per day,
    municipality and check, zeros included for municipalities that have records, so a chart
    shows a fall to none. Taken again the same day, it replaces that day's rows. Returns the
    number of rows stored."""
    on = on or timezone.localdate()
    municipalities = list(Municipality.objects.values_list("pk", flat=True))
    rows = []
    for check in checks():
        found = dict(
            check.records(on)
            .filter(place__isnull=False)
            .order_by()
            .values("place")
            .annotate(n=Count("pk"))
            .values_list("place", "n")
        )
        rows += [
            QualityCount(day=on, municipality_id=m, code=check.code, count=found.get(m, 0))
            for m in municipalities
        ]
    with transaction.atomic():
        QualityCount.objects.filter(day=on).delete()
        QualityCount.objects.bulk_create(rows, batch_size=1000)
        bulk_run_log(
            actor=None,
            model=QualityCount,
            job="quality_snapshot",
            counts={"day": on.isoformat(), "rows": len(rows)},
        )
    return len(rows)
