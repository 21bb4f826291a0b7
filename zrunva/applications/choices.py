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


class Channel(models.TextChoices):
    PORTAL = "portal", _("Citizen portal")
    WALK_IN = "walk_in", _("At an office")


class EventKind(models.TextChoices):
    STATUS = "status", _("Status change")
    ASSIGNMENT = "assignment", _("Assignment")
    DOCUMENT = "document", _("Document added")


class DocumentKind(models.TextChoices):
    PDF = "pdf", "PDF"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"
