"""Writes of service standards: assessments of services against a published standard version,
their documents, and their improvement plans. (Catalogue entries themselves are reviewed
records, written through `core.records` and `core.revisions`.)"""

from datetime import date

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.applications.documents import document_check
from zrunva.core.trail import acting_as
from zrunva.services.choices import ActionStatus, AssessmentStatus
from zrunva.services.models import (
    Assessment,
    AssessmentDocument,
    Criterion,
    ImprovementAction,
    Score,
    Service,
    StandardVersion,
    score_check,
    visit_date_check,
)

# Documents an assessment may carry: photos and scans of what was seen.
DOCUMENTS_PER_ASSESSMENT = 10


def _require_assesses(actor, service: Service) -> None:
    if not permissions.assesses_service(actor, service):
        raise PermissionDenied(_("You may not assess this service."))


def _require_draft_of(actor, assessment: Assessment) -> Assessment:
    """The assessment, locked, if it is a draft its actor may still change: its assessor's (or
    an administrator's), with the service still theirs to assess."""
    _require_assesses(actor, assessment.service)
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status != AssessmentStatus.DRAFT:
        raise ValidationError(_("This assessment is submitted: it can no longer be changed."))
    if locked.assessor_id != actor.pk and actor.role != Role.ADMIN:
        raise PermissionDenied(_("Only the assessor who started this assessment may change it."))
    return locked


def _visit_check(visit_date: date, version: StandardVersion) -> None:
    try:
        visit_date_check(visit_date)
    except ValidationError as error:
        raise ValidationError({"visit_date": error.messages}) from error
    if visit_date < version.valid_from:
        raise ValidationError(
            {
                "visit_date": _("This version of the standard is valid from %(date)s.")
                % {"date": version.valid_from.isoformat()}
            }
        )


@transaction.atomic
def assessment_start(
    *, actor, service: Service, version: StandardVersion, visit_date: date
) -> Assessment:
    """Start a draft assessment of a service against a published standard version, with an
    empty score for each of its criteria. Only those who may assess the service
    (`permissions.assesses_service`: in their area, never their own organisation's)."""
    _require_assesses(actor, service)
    if not version.published:
        raise ValidationError({"version": _("Choose a published version of a standard.")})
    _visit_check(visit_date, version)
    with acting_as(actor):
        assessment = Assessment.objects.create(
            service=service, version=version, visit_date=visit_date, assessor=actor
        )
        Score.objects.bulk_create(
            Score(assessment=assessment, criterion=c)
            for c in Criterion.objects.filter(area__version=version)
        )
    return assessment


def score_field(criterion_id: int) -> str:
    """The form field (and error key) of a criterion's score."""
    return f"score_{criterion_id}"


def evidence_field(criterion_id: int) -> str:
    return f"evidence_{criterion_id}"


@transaction.atomic
def assessment_score(
    *,
    actor,
    assessment: Assessment,
    visit_date: date,
    scores: dict[int, tuple[int | None, str]],
) -> Assessment:
    """Record a draft's visit date and its scores with their evidence ({criterion id: (score or
    None, evidence)}). Each score is from 0 to its criterion's highest (`score_check`); any
    wrong one is refused at its field and nothing is stored."""
    assessment = _require_draft_of(actor, assessment)
    _visit_check(visit_date, assessment.version)
    rows = {s.criterion_id: s for s in assessment.scores.select_related("criterion")}
    errors = {}
    for criterion_id, (score, _evidence) in scores.items():
        row = rows.get(criterion_id)
        if row is None:
            errors[NON_FIELD_ERRORS] = _("A criterion not in this standard's version was given.")
            continue
        try:
            score_check(score, row.criterion.max_score)
        except ValidationError as error:
            errors[score_field(criterion_id)] = error.messages
    if errors:
        raise ValidationError(errors)
    with acting_as(actor):
        if assessment.visit_date != visit_date:
            assessment.visit_date = visit_date
            assessment.save(update_fields=["visit_date"])
        for criterion_id, (score, evidence) in scores.items():
            row = rows[criterion_id]
            if (row.score, row.evidence) != (score, evidence.strip()):
                row.score, row.evidence = score, evidence.strip()
                row.save(update_fields=["score", "evidence"])
    return assessment


@transaction.atomic
def assessment_submit(*, actor, assessment: Assessment) -> Assessment:
    """Submit a draft whose every criterion is scored; from then on it is frozen and counts in
    the service's public summary."""
    assessment = _require_draft_of(actor, assessment)
    missing = assessment.scores.filter(score__isnull=True).count()
    if missing:
        raise ValidationError(
            _("Score every criterion before submitting: %(count)d without a score.")
            % {"count": missing}
        )
    with acting_as(actor):
        assessment.status = AssessmentStatus.SUBMITTED
        assessment.submitted_at = timezone.now()
        assessment.save(update_fields=["status", "submitted_at"])
    return assessment


@transaction.atomic
def assessment_document_add(*, actor, assessment: Assessment, upload) -> AssessmentDocument:
    """Attach a document to a draft: a PDF, JPEG or PNG checked by its content, as applicants'
    documents are (`applications.documents.document_check`)."""
    assessment = _require_draft_of(actor, assessment)
    if assessment.documents.count() >= DOCUMENTS_PER_ASSESSMENT:
        raise ValidationError(
            {
                "file": _("An assessment may carry at most %(count)d documents.")
                % {"count": DOCUMENTS_PER_ASSESSMENT}
            }
        )
    try:
        checked = document_check(upload)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    document = AssessmentDocument(
        assessment=assessment,
        name=(getattr(upload, "name", "") or "document")[-200:],
        kind=checked.kind,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    with acting_as(actor):
        document.file.save(document.name, upload, save=False)
        document.save()
    return document


@transaction.atomic
def improvement_action_add(
    *, actor, assessment: Assessment, text: str, responsible: str, due_date: date
) -> ImprovementAction:
    """Add an action to an assessment's improvement plan (a draft's or a submitted one's): due
    on or after the visit that found the need for it."""
    _require_assesses(actor, assessment.service)
    errors = {}
    if not text.strip():
        errors["text"] = _("Say what is to be done.")
    if not responsible.strip():
        errors["responsible"] = _("Say who is responsible.")
    if due_date < assessment.visit_date:
        errors["due_date"] = _("The due date cannot be before the visit (%(date)s).") % {
            "date": assessment.visit_date.isoformat()
        }
    if errors:
        raise ValidationError(errors)
    with acting_as(actor):
        return ImprovementAction.objects.create(
            assessment=assessment,
            text=text.strip(),
            responsible=responsible.strip(),
            due_date=due_date,
            created_by=actor,
        )


@transaction.atomic
def improvement_action_done(
    *, actor, action: ImprovementAction, done_on: date, note: str
) -> ImprovementAction:
    """Mark an open action done, on a day from the visit to today, saying what was done. When
    every action of the plan is done, the plan is closed."""
    _require_assesses(actor, action.assessment.service)
    action = ImprovementAction.objects.select_for_update().get(pk=action.pk)
    if action.status != ActionStatus.OPEN:
        raise ValidationError(_("This action is already done."))
    errors = {}
    if done_on < action.assessment.visit_date:
        errors["done_on"] = _("It cannot be done before the visit (%(date)s).") % {
            "date": action.assessment.visit_date.isoformat()
        }
    elif done_on > timezone.localdate():
        errors["done_on"] = _("The date cannot be in the future.")
    if not note.strip():
        errors["note"] = _("Say what was done.")
    if errors:
        raise ValidationError(errors)
    with acting_as(actor):
        action.status = ActionStatus.DONE
        action.done_on, action.done_note = done_on, note.strip()
        action.save(update_fields=["status", "done_on", "done_note"])
    return action
