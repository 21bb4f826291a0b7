"""Builders for the audit's tests: subject-access requests as the DPO records them."""

from datetime import timedelta

from django.utils import timezone

from zrunva.audit.models import SubjectAccessRequest
from zrunva.audit.services import subject_access_request_record


def subject_access_request(
    dpo, *, days_ago=0, number="01001066666", **extra
) -> SubjectAccessRequest:
    """A subject-access request recorded by `dpo`, received `days_ago` days ago from a requester
    asking about the personal number `number`."""
    return subject_access_request_record(
        actor=dpo,
        received_on=timezone.localdate() - timedelta(days=days_ago),
        requester_name="თამარ ბერიძე",
        personal_number=number,
        **extra,
    )
