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
# Being carried out: a case in these stages is due a visit every CASE_VISIT_DAYS.
CARRIED_OUT = (Stage.IMPLEMENTATION, Stage.REVIEW)


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
    REFERRAL = "referral", _("Referred to a service")
    ASSESSED = "assessed", _("Assessed with a form")
    REFERRAL_ANSWERED = "answered", _("The provider answered")


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
    SENT = "sent", _("Sent, waiting for the provider")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    COMPLETED = "completed", _("Completed")


# The catalogue's target groups a case's category is for: a referral to a service for none of
# them is refused (the worker chooses another service).
CATEGORY_GROUPS = {
    Category.CHILD_PROTECTION: (
        "families",
        "children_intellectual",
        "children_sensory",
        "children_physical",
        "children_psychosocial",
        "violence_survivors",
    ),
    Category.DISABILITY: (
        "children_intellectual",
        "children_sensory",
        "children_physical",
        "children_psychosocial",
        "adults_intellectual",
        "adults_sensory",
        "adults_physical",
        "adults_psychosocial",
    ),
    Category.ELDERLY: ("elderly",),
    Category.DOMESTIC_VIOLENCE: ("violence_survivors", "families"),
    Category.TRAFFICKING: ("trafficking_survivors", "violence_survivors"),
    Category.STREET: ("street", "families"),
}


class SessionKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    GROUP = "group", _("Group")


class RecordKind(models.TextChoices):
    QUALIFICATION = "qualification", _("Qualification")
    TRAINING = "training", _("Training")
    CERTIFICATION = "certification", _("Certification")


class OutreachList(models.TextChoices):
    """The outreach lists (`zrunva.cases.outreach`): people likely in need but not served."""

    DISABILITY = "disability", _("Severe disability, no package and no case")
    LOW_SCORE = "low_score", _("Low rating score, no TSA")
    ALONE = "alone", _("Aged 80 or over, living alone, no case")


class VisitOutcome(models.TextChoices):
    NEEDS_HELP = "needs_help", _("Needs help: a case opened")
    REFERRED = "referred", _("Referred elsewhere")
    NOT_IN_NEED = "not_in_need", _("Not in need")
    NOT_FOUND = "not_found", _("Not found at the address")
    DECLINED = "declined", _("Declined the visit or help")


class JobSeekerStatus(models.TextChoices):
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
CLOSED_REFERRAL = (JobSeekerStatus.PLACED, JobSeekerStatus.NOT_REACHED)
OPEN_REFERRAL = tuple(s for s in JobSeekerStatus if s not in CLOSED_REFERRAL)
# The outcomes Worknet's file may give (`sent`: no news yet, the row changes nothing).
OUTCOMES = (
    JobSeekerStatus.REGISTERED,
    JobSeekerStatus.TRAINING,
    JobSeekerStatus.PLACED,
    JobSeekerStatus.NOT_REACHED,
)
