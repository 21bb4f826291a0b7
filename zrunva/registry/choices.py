from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class AltIdKind(models.TextChoices):
    """Identifiers for people with no Georgian personal number (foreigners, stateless persons)."""

    FOREIGN_PASSPORT = "foreign_passport", _("Foreign passport")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    STATELESS_ID = "stateless_id", _("Stateless person's identity card")
    TRAVEL_DOCUMENT = "travel_document", _("Neutral or refugee travel document")


class DisabilityDegree(models.TextChoices):
    """Degrees of disability status under Georgian medical-social expertise."""

    NONE = "none", _("None")
    MODERATE = "moderate", _("Moderate")
    SIGNIFICANT = "significant", _("Significant")
    SEVERE = "severe", _("Severe")


class PensionKind(models.TextChoices):
    NONE = "none", _("None")
    OLD_AGE = "old_age", _("State old-age pension")
    SURVIVOR = "survivor", _("Survivor's pension")
    SERVICE = "service", _("Service (long-service) pension")
    FOREIGN = "foreign", _("Foreign pension")


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    UNEMPLOYED = "unemployed", _("Unemployed, seeking work")
    STUDENT = "student", _("In education")
    RETIRED = "retired", _("Retired")
    INACTIVE = "inactive", _("Not working, not seeking work")
    CHILD = "child", _("Child (under working age)")


class IncomeKind(models.TextChoices):
    WAGES = "wages", _("Wages")
    SELF_EMPLOYMENT = "self_employment", _("Self-employment")
    AGRICULTURE = "agriculture", _("Agriculture")
    REMITTANCES = "remittances", _("Remittances")
    RENT = "rent", _("Rent")
    PUBLIC_WORKS = "public_works", _("Public works")
    OTHER = "other", _("Other")


class DwellingType(models.TextChoices):
    APARTMENT = "apartment", _("Apartment")
    HOUSE = "house", _("Private house")
    COLLECTIVE_CENTRE = "collective_centre", _("Collective centre")
    TEMPORARY = "temporary", _("Temporary shelter")
    OTHER = "other", _("Other")


class DwellingTenure(models.TextChoices):
    OWNED = "owned", _("Owned")
    RENTED = "rented", _("Rented")
    FREE_USE = "free_use", _("Free use")
    STATE_PROVIDED = "state_provided", _("Provided by the state")


class DwellingCondition(models.TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")
    UNSAFE = "unsafe", _("Unsafe")


class Relationship(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse or partner")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Sibling")
    GRANDCHILD = "grandchild", _("Grandchild")
    GRANDPARENT = "grandparent", _("Grandparent")
    OTHER_RELATIVE = "other_relative", _("Other relative")
    NON_RELATIVE = "non_relative", _("Not related")


class MembershipEndReason(models.TextChoices):
    MOVED = "moved", _("Moved to another household")
    SPLIT = "split", _("Household split")
    DIED = "died", _("Died")
    LEFT = "left", _("Left, no new household recorded")


class RepresentativeKind(models.TextChoices):
    GUARDIAN = "guardian", _("Guardian")
    SUPPORTER = "supporter", _("Supporter")
    AUTHORISED = "authorised", _("Authorised person")
