from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    """Where an application is. The open ones move forward through the stages their
    programme's workflow uses; rejected, withdrawn, enrolled and closed as a duplicate are
    final."""

    SUBMITTED = "submitted", _("Submitted")
    REGISTERED = "registered", _("Registered")
    HOME_VISIT_SCHEDULED = "home_visit_scheduled", _("Home visit scheduled")
    ASSESSED = "assessed", _("Assessed")
    DECIDED = "decided", _("Decided: granted")
    ENROLLED = "enrolled", _("Enrolled")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DUPLICATE = "duplicate", _("Closed as a duplicate")


# The stages in order; a workflow leaves out those its programme does not need.
STAGES = (
    Status.SUBMITTED,
    Status.REGISTERED,
    Status.HOME_VISIT_SCHEDULED,
    Status.ASSESSED,
    Status.DECIDED,
    Status.ENROLLED,
)
FINAL = frozenset({Status.ENROLLED, Status.REJECTED, Status.WITHDRAWN, Status.DUPLICATE})

# What the portal's status check says. "Closed as a duplicate" would tell whoever holds the
# number and a personal number that the registry held an earlier application or enrolment for
# that person; the real person is told through their own contact details instead.
CLOSED = "closed"
CLOSED_LABEL = _("Closed by the office")


def public_status(status: str) -> str:
    return CLOSED if status == Status.DUPLICATE else status


def public_status_label(status: str) -> str:
    return str(CLOSED_LABEL) if status == Status.DUPLICATE else str(Status(status).label)


class Channel(models.TextChoices):
    PORTAL = "portal", _("Citizen portal")
    WALK_IN = "walk_in", _("At an office")


class EventKind(models.TextChoices):
    STATUS = "status", _("Status change")
    ASSIGNMENT = "assignment", _("Assignment")
    DOCUMENT = "document", _("Document added")
    ENROLMENT_END = "enrol_end", _("Enrolment ended")


class EnrolmentEndReason(models.TextChoices):
    """Why an enrolment ended. A death and an overdue re-assessment are found in the registry by
    the daily job (`manage.py end_enrolments`); the others are an officer's decision."""

    DEATH = "death", _("Death recorded in the registry")
    LOST_ELIGIBILITY = "lost_eligibility", _("No longer eligible (a run's loss, confirmed)")
    WITHDRAWN = "withdrawn", _("Withdrawn at the beneficiary's request")
    REASSESSMENT_OVERDUE = "reassessment_overdue", _("Re-assessment overdue")
    OTHER = "other", _("Other")


# The reasons the daily job ends enrolments for (no officer); officers give the others.
JOB_END_REASONS = frozenset({EnrolmentEndReason.DEATH, EnrolmentEndReason.REASSESSMENT_OVERDUE})


class BatchStatus(models.TextChoices):
    """A bulk enrolment from a run's gains: asked for by one officer, confirmed by another."""

    REQUESTED = "requested", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed: enrolled")
    CANCELLED = "cancelled", _("Cancelled")


class DocumentKind(models.TextChoices):
    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"
