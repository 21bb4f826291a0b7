from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    CHILD_PROTECTION = "child", _("Child protection")
    DISABILITY = "disability", _("Disability")
    ELDERLY = "elderly", _("Older person")
    DOMESTIC_VIOLENCE = "violence", _("Domestic violence")
    TRAFFICKING = "trafficking", _("Trafficking")
    STREET = "street", _("Children living on the street")
    OTHER = "other", _("Other")


# Violence and trafficking: seen only by the assigned worker, the supervisors of the case's
# office and colleagues named on it (a case of another category may be marked so too).
SENSITIVE_CATEGORIES = frozenset({Category.DOMESTIC_VIOLENCE, Category.TRAFFICKING})


class Specialisation(models.TextChoices):
    """The specialisations the State Care Agency piloted (Tbilisi, Kutaisi, Batumi, Zugdidi,
    Telavi, Rustavi)."""

    CHILDREN = "children", _("Children and families")
    DISABILITY = "disability", _("Persons with disabilities")
    ELDERLY = "elderly", _("Older persons")
    VIOLENCE = "violence", _("Violence and trafficking")
    GENERAL = "general", _("General")


class Source(models.TextChoices):
    HOTLINE = "hotline", _("Hotline")
    POLICE = "police", _("Police")
    SCHOOL = "school", _("School")
    SELF = "self", _("The person or their family")
    REFERRAL = "referral", _("Referral from another service")
    OUTREACH = "outreach", _("Outreach visit")


class Risk(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Stage(models.TextChoices):
    INTAKE = "intake", _("Intake")
    ASSESSMENT = "assessment", _("Assessment")
    CARE_PLAN = "plan", _("Care plan")
    IMPLEMENTATION = "implementation", _("Implementation")
    REVIEW = "review", _("Review")
    CLOSED = "closed", _("Closed")


OPEN_STAGES = tuple(s for s in Stage if s != Stage.CLOSED)


class Outcome(models.TextChoices):
    GOALS_MET = "met", _("The care plan's goals were met")
    PARTLY_MET = "partly", _("The goals were partly met")
    REFERRED_ON = "referred", _("Referred on to another service")
    MOVED = "moved", _("The person moved away")
    DECLINED = "declined", _("The person declined further help")
    DIED = "died", _("The person died")
    OTHER = "other", _("Other")


class EventKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    STAGE = "stage", _("Moved to a stage")
    ASSIGNED = "assigned", _("Assigned")
    FIRST_CONTACT = "contact", _("First contact made")
    PLAN = "plan", _("Care plan written")
    COLLEAGUE = "colleague", _("Colleague named")
    BREAK_GLASS = "glass", _("Emergency access")
    TRANSFER = "transfer", _("Transfer asked")
    TRANSFER_ACCEPTED = "accepted", _("Transfer accepted")
    TRANSFER_RETURNED = "returned", _("Transfer returned")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


class EntryKind(models.TextChoices):
    HOME_VISIT = "home", _("Home visit")
    OFFICE_VISIT = "office", _("Office visit")
    PHONE = "phone", _("Phone call")
    NOTE = "note", _("Note")
    DOCUMENT = "document", _("Document")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("To do")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class TransferStatus(models.TextChoices):
    ASKED = "asked", _("Waiting for the other office")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")


class ReferralStatus(models.TextChoices):
    """A job-seeker referral to Worknet (the state employment service): referred here, sent in
    an export file, then the outcome Worknet's file gives back. The codes are those of the
    exchange file (docs/worknet-exchange.md)."""

    REFERRED = "referred", _("Referred, not yet sent")
    SENT = "sent", _("Sent to Worknet")
    REGISTERED = "registered", _("Registered as a job seeker")
    TRAINING = "training", _("In training")
    PLACED = "placed", _("Placed in a job")
    NOT_REACHED = "not_reached", _("Not reached")


# A referral ends once the person is placed or Worknet could not reach them: a new one may then
# be made. Until then the person has one open referral.
CLOSED_REFERRAL = (ReferralStatus.PLACED, ReferralStatus.NOT_REACHED)
OPEN_REFERRAL = tuple(s for s in ReferralStatus if s not in CLOSED_REFERRAL)
# The outcomes Worknet's file may give (`sent`: no news yet, the row changes nothing).
OUTCOMES = (
    ReferralStatus.REGISTERED,
    ReferralStatus.TRAINING,
    ReferralStatus.PLACED,
    ReferralStatus.NOT_REACHED,
)
