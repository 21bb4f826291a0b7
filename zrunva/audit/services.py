"""Subject-access requests: recording one and marking it answered. Writing the trail itself
(reads, searches, bulk runs, denied attempts) is `zrunva.core.trail`, which every app uses."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.audit.models import SubjectAccessRequest, answer_due
from zrunva.core.trail import acting_as
from zrunva.core.validators import personal_number_validator


@transaction.atomic
def subject_access_request_record(
    *,
    actor,
    received_on: date,
    requester_name: str,
    personal_number: str,
    person_id: int | None = None,
    requester_contact: str = "",
    note: str = "",
) -> SubjectAccessRequest:
    """Record a person's request to learn what is held about them; its answer is due 10 days
    after receipt (Law of Georgia on Personal Data Protection №3144). The DPO's alone."""
    permissions.require(actor, permissions.SUBJECT_ACCESS)
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("A request cannot be received in the future.")})
    # The model's field carries no validator (adding one needs a migration): checked here, so
    # that no entry point stores a malformed number.
    try:
        personal_number_validator(personal_number.strip())
    except ValidationError as error:
        raise ValidationError({"personal_number": error.messages}) from error
    request = SubjectAccessRequest(
        received_on=received_on,
        requester_name=requester_name.strip(),
        requester_contact=requester_contact.strip(),
        personal_number=personal_number.strip(),
        person_id=person_id,
        due_on=answer_due(received_on),
        recorded_by=actor,
        note=note.strip(),
    )
    request.full_clean()
    with acting_as(actor):
        request.save()
    return request


@transaction.atomic
def subject_access_request_answer(
    *, actor, request: SubjectAccessRequest, note: str = ""
) -> SubjectAccessRequest:
    """Mark a request answered today by the actor (the DPO, who has just produced the report
    for the person); an answered request stays answered."""
    permissions.require(actor, permissions.SUBJECT_ACCESS)
    request = SubjectAccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.answered_on is not None:
        raise ValidationError(_("This request has already been answered."))
    request.answered_on = timezone.localdate()
    request.answered_by = actor
    if note.strip():
        request.note = f"{request.note}\n{note.strip()}".strip()
    with acting_as(actor):
        request.save(update_fields=["answered_on", "answered_by", "note"])
    return request
