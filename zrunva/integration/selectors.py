"""Reads of data integration, limited to what the actor may see."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.core.trail import scoped_get
from zrunva.integration.models import Import, ImportRow, Source


def source_list(*, actor) -> QuerySet[Source]:
    """The sources whose files the actor imports: national ones for national staff, a
    municipality's lists in the actor's area."""
    qs = Source.objects.select_related("municipality")
    if permissions.has_perm(actor, permissions.IMPORT_SOURCES_MANAGE):
        return qs
    if not permissions.has_perm(actor, permissions.IMPORTS_RUN):
        return qs.none()
    scope = permissions.municipality_scope(actor)
    if scope is None:
        return qs
    return qs.filter(municipality_id__in=scope)


def source_get(*, actor, pk: int) -> Source:
    return scoped_get(source_list(actor=actor), actor=actor, pk=pk)


def import_list(*, actor, source: Source | None = None) -> QuerySet[Import]:
    qs = Import.objects.filter(source__in=source_list(actor=actor)).select_related(
        "source", "started_by", "checked"
    )
    if source is not None:
        qs = qs.filter(source=source)
    return qs.order_by("-pk")


def import_get(*, actor, pk: int) -> Import:
    return scoped_get(import_list(actor=actor), actor=actor, pk=pk)


def shown_changes(changes: dict, actor) -> dict:
    """A row's changes as the actor may read them: health details (disability, chronic
    illness) only for those who see them; for others their values are hidden."""
    if permissions.sees_health(actor):
        return changes
    hidden = str(_("hidden"))
    shown = {}
    for name, change in changes.items():
        if name in permissions.HEALTH_FIELDS:
            change = [None if change[0] is None else hidden, hidden]
        shown[name] = change
    return shown


def import_rows(*, job: Import, outcome: str = "", search: str = "") -> QuerySet[ImportRow]:
    qs = job.rows.all()
    if outcome:
        qs = qs.filter(outcome=outcome)
    if search:
        qs = qs.filter(Q(identity=search) | Q(record_id=search))
    return qs.order_by("row")


def subject_access_integration(subject):
    """Subject access: the rows of other registries' files that named the person (the source,
    the row, what it changed), the source record numbers linked to them, and the pairs in
    which record linkage found them possibly the same as someone else, with the decision."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from zrunva.audit.subject_access import Section
    from zrunva.integration.models import MatchPair, SourceLink

    section = Section()
    person = subject.person
    if person is None:
        return section
    rows = (
        ImportRow.objects.filter(person=person)
        .select_related("job__source")
        .order_by("job_id", "row")
    )
    for row in rows:
        section.add(
            row,
            title=f"{row.job.source}: {timezone.localtime(row.job.created_at):%Y-%m-%d}, "
            f"{_('row')} {row.row}",
            labels={"source": _("source"), "file": _("file")},
            source=str(row.job.source),
            file=row.job.file_name,
        )
    for link in SourceLink.objects.filter(person=person).select_related("source"):
        section.add(link, title=f"{link.source}: {link.record_id}")
    for pair in MatchPair.objects.filter(Q(left=person) | Q(right=person)).order_by("pk"):
        section.add(pair, title=f"{_('Possible duplicate')} #{pair.pk}", exclude=["waterfall"])
    return section
