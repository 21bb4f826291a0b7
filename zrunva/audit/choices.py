from auditlog.models import LogEntry
from django.utils.translation import gettext_lazy as _

# django-auditlog ships no Georgian catalogue; our own labels translate.
ACTION_LABELS = {
    LogEntry.Action.CREATE: _("create"),
    LogEntry.Action.UPDATE: _("update"),
    LogEntry.Action.DELETE: _("delete"),
    LogEntry.Action.ACCESS: _("access"),
}


def action_label(action: int) -> str:
    return str(ACTION_LABELS.get(action, action))
