"""Eligibility runs on the staff home page (zrunva.core.dashboard): those in progress, and the
country's figures from the latest national run (totals only, no person: also for analysts)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core import numbers
from zrunva.core.dashboard import Tile, tile
from zrunva.core.jobs import JobStatus
from zrunva.core.text import long_date
from zrunva.programmes.models import Programme, Run
from zrunva.programmes.runs import run_list


def tiles(user) -> list[Tile]:
    found = []
    if permissions.has_perm(user, permissions.REGISTRY_VIEW):
        going = run_list(actor=user).filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        found.append(
            tile(
                _("Eligibility runs"),
                _("Runs in progress"),
                going,
                reverse("eligibility:run_list"),
                order=1,
            )
        )
    national = permissions.municipality_scope(user) is None or permissions.has_perm(
        user, permissions.STATISTICS_NATIONAL
    )
    if national and (
        permissions.has_perm(user, permissions.REGISTRY_VIEW)
        or permissions.has_perm(user, permissions.STATISTICS_NATIONAL)
    ):
        found += _country(user)
    return found


def _country(user) -> list[Tile]:
    """The latest finished national run's totals: households evaluated, and per programme the
    beneficiaries eligible and the money a month (health programmes only for who sees health)."""
    run = (
        Run.objects.filter(municipality__isnull=True, status=JobStatus.DONE)
        .order_by("-finished_at", "-pk")
        .first()
    )
    if run is None or not run.summary:
        return []
    group = _("The country, run of %(date)s") % {"date": long_date(run.on)}
    found = [
        Tile(
            group=group,
            label=_("Households evaluated"),
            count=run.summary.get("households"),
            order=0,
        )
    ]
    shown = permissions.health_programmes_hidden(Programme.objects.all(), user, "pk")
    names = {p.code: p.name for p in shown}
    for n, row in enumerate(run.summary.get("programmes", []), start=1):
        if row["code"] not in names:
            continue
        found.append(
            Tile(
                group=group,
                label=names[row["code"]],
                count=row["eligible"],
                detail=_("eligible; %(amount)s a month") % {"amount": numbers.money(row["amount"])},
                order=10 + n,
            )
        )
    return found
