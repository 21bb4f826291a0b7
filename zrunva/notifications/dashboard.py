"""The outbox on the staff home page (zrunva.core.dashboard)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core.dashboard import Tile, tile
from zrunva.notifications.models import MessageStatus
from zrunva.notifications.selectors import message_list


def tiles(user) -> list[Tile]:
    if not permissions.has_perm(user, permissions.NOTIFICATIONS_MANAGE):
        return []
    failed = message_list(actor=user, status=MessageStatus.FAILED)
    url = f"{reverse('notifications:outbox')}?status={MessageStatus.FAILED.value}"
    return [tile(_("Messages"), _("Messages that failed"), failed, url, alert=True)]
