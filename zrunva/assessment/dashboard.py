"""Re-assessments on the staff home page (zrunva.core.dashboard)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.assessment.selectors import households_due
from zrunva.core.dashboard import Tile, tile


def tiles(user) -> list[Tile]:
    """Households due for a home visit in the user's area, for those who make them (capped:
    the list's first rows are found by index, never a count over the registry)."""
    if not permissions.has_perm(user, permissions.ASSESSMENT_RECORD):
        return []
    due = households_due(actor=user, on=timezone.localdate())
    return [
        tile(
            _("Home visits"),
            _("Households due for a (re-)assessment"),
            due,
            reverse("assessment:due"),
            order=1,
        )
    ]
