"""Applications' tiles on the staff home page (zrunva.core.dashboard)."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from zrunva.accounts import permissions
from zrunva.applications.choices import Status
from zrunva.applications.selectors import application_queue
from zrunva.core.dashboard import Tile, tile


def tiles(user) -> list[Tile]:
    """The user's own queue, their area's overdue and unassigned applications, and the open
    applications by step with how many are overdue (one grouped query over the open ones)."""
    if not permissions.has_perm(user, permissions.APPLICATIONS_PROCESS):
        return []
    group, url = _("Applications"), reverse("applications:queue")
    found = [
        tile(
            group,
            _("Assigned to me"),
            application_queue(actor=user, assigned="me"),
            f"{url}?assigned=me",
            order=1,
        ),
        tile(
            group,
            _("Assigned to me, overdue"),
            application_queue(actor=user, assigned="me", overdue=True),
            f"{url}?assigned=me&overdue=on",
            alert=True,
            order=2,
        ),
        tile(
            group,
            _("Overdue in my area"),
            application_queue(actor=user, overdue=True),
            f"{url}?overdue=on",
            alert=True,
            order=3,
        ),
        tile(
            group,
            _("Not assigned to anyone"),
            application_queue(actor=user, assigned="none"),
            f"{url}?assigned=none",
            order=4,
        ),
    ]
    today = timezone.localdate()
    steps = (
        application_queue(actor=user)
        .order_by()
        .values("status")
        .annotate(n=Count("id"), late=Count("id", filter=Q(due_date__lt=today)))
    )
    order = {value: n for n, value in enumerate(Status.values)}
    for row in sorted(steps, key=lambda r: order.get(r["status"], 99)):
        found.append(
            Tile(
                group=_("Open applications by step"),
                label=Status(row["status"]).label,
                count=row["n"],
                url=f"{url}?status={row['status']}",
                detail=ngettext("%(n)d overdue", "%(n)d overdue", row["late"]) % {"n": row["late"]}
                if row["late"]
                else "",
                alert=bool(row["late"]),
                order=10 + order.get(row["status"], 99),
            )
        )
    return found
