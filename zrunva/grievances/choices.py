from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """What a grievance is about. An appeal contests a decision on an application and reopens
    its review; the others are answered by the office without changing a decision."""

    DECISION_APPEAL = "decision_appeal", _("Appeal against a decision")
    SERVICE_QUALITY = "service_quality", _("Quality of service")
    PAYMENT = "payment", _("Payment")
    DATA_CORRECTION = "data_correction", _("Correction of my data")
    STAFF_CONDUCT = "staff_conduct", _("Conduct of staff")
    OTHER = "other", _("Something else")


class Status(models.TextChoices):
    """Open until someone is assigned, in review until answered, resolved when answered."""

    OPEN = "open", _("Open")
    IN_REVIEW = "in_review", _("In review")
    RESOLVED = "resolved", _("Resolved")


UNRESOLVED = frozenset({Status.OPEN, Status.IN_REVIEW})


class Channel(models.TextChoices):
    PORTAL = "portal", _("Citizen portal")
    WALK_IN = "walk_in", _("At an office")
    API = "api", _("Another system (API)")


class Language(models.TextChoices):
    KA = "ka", "ქართული"
    EN = "en", "English"


class EventKind(models.TextChoices):
    FILED = "filed", _("Filed")
    ASSIGNED = "assigned", _("Assigned")
    ESCALATED = "escalated", _("Escalated")
    REOPENED = "reopened", _("Application's review reopened")
    RESOLVED = "resolved", _("Resolved")
