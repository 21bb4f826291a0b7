from django.db.models import Q, QuerySet

from zrunva.accounts import permissions
from zrunva.audit.subject_access import Section, Subject
from zrunva.notifications.models import Message


def message_list(*, actor, status: str = "") -> QuerySet[Message]:
    """The outbox, newest first, for those who manage it; `status` narrows it."""
    permissions.require(actor, permissions.NOTIFICATIONS_MANAGE)
    qs = Message.objects.order_by("-created_at", "-id")
    return qs.filter(status=status) if status else qs


def subject_access_messages(subject: Subject) -> Section:
    """Subject access: the messages sent (or waiting) to the phones and e-mails the person gave,
    or about their records' numbers; those come from the sections before (applications,
    grievances), so this provider runs last."""
    section = Section()
    if not (subject.contacts or subject.references):
        return section
    messages = Message.objects.filter(
        Q(to__in=sorted(subject.contacts)) | Q(reference__in=sorted(subject.references))
    ).order_by("created_at", "id")
    for message in messages:
        section.add(message)
    return section
