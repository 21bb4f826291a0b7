"""Grievances' tiles on the staff home page (zrunva.core.dashboard)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core.dashboard import Tile, tile
from zrunva.grievances.selectors import grievance_queue


def tiles(user) -> list[Tile]:
    if not permissions.has_perm(user, permissions.GRIEVANCES_HANDLE):
        return []
    group, url = _("Grievances"), reverse("grievances:queue")
    found = [
        tile(
            group,
            _("Assigned to me"),
            grievance_queue(actor=user, mine=True),
            f"{url}?mine=on",
            order=1,
        ),
        tile(
            group,
            _("Answer overdue"),
            grievance_queue(actor=user, overdue=True),
            f"{url}?overdue=on",
            alert=True,
            order=2,
        ),
        tile(group, _("Open in my area"), grievance_queue(actor=user), url, order=4),
    ]
    if permissions.has_perm(user, permissions.GRIEVANCES_SUPERVISE):
        found.append(
            tile(
                group,
                _("Escalated to supervisors"),
                grievance_queue(actor=user, escalated=True),
                f"{url}?escalated=on",
                alert=True,
                order=3,
            )
        )
    return found
