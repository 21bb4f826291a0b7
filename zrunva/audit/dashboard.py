"""The data protection officer's tiles on the staff home page (zrunva.core.dashboard)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.audit.selectors import log_list, subject_access_requests_open
from zrunva.core.dashboard import Tile, tile

RECENT_DAYS = 7


def tiles(user) -> list[Tile]:
    found = []
    group = _("Data protection")
    if permissions.has_perm(user, permissions.SUBJECT_ACCESS):
        today = timezone.localdate()
        open_ = subject_access_requests_open(actor=user)
        url = reverse("audit:requests")
        found += [
            tile(group, _("Subject-access requests open"), open_, url, order=1),
            tile(
                group,
                _("Subject-access requests overdue"),
                open_.filter(due_on__lt=today),
                url,
                alert=True,
                order=2,
            ),
        ]
    if permissions.has_perm(user, permissions.AUDIT_VIEW):
        since = timezone.localdate() - timedelta(days=RECENT_DAYS)
        denied = log_list(actor=user, attempts=True, since=since)
        url = f"{reverse('audit:log')}?attempts=on&since={since.isoformat()}"
        found.append(
            tile(
                group,
                _("Denied attempts in the last %(days)d days") % {"days": RECENT_DAYS},
                denied,
                url,
                alert=True,
                order=3,
            )
        )
    return found
