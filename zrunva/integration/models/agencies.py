"""Other agencies' access to the registry (the DCI social registry search, `integration.dci`):
each agency, the legal basis of its access, what it may receive (data minimisation: a list of
fields from a declared catalogue) and how it may search; its clients' keys (only a hash kept);
and the log of every query, with the people each answer disclosed."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


class ReleasableField(models.TextChoices):
    """The catalogue of what an agency may be given about a person. Nothing outside it is ever
    answered; health data (disability) only to an agency that holds it explicitly."""

    PERSONAL_NUMBER = "personal_number", _("Personal number")
    NAMES = "names", _("First and last name")
    BIRTH_DATE = "birth_date", _("Birth date")
    SEX = "sex", _("Sex")
    MUNICIPALITY = "municipality", _("Municipality and region")
    HOUSEHOLD_ID = "household_id", _("Household number")
    HOUSEHOLD_SIZE = "household_size", _("Household size")
    RATING_SCORE = "rating_score", _("Rating score")
    ENROLLED_PROGRAMMES = "enrolled_programmes", _("Programmes enrolled in")
    DATE_OF_DEATH = "date_of_death", _("Date of death")
    # Special-category data (Law №3144): the disability status, and enrolments in programmes
    # whose rules read health data (a disability package says the person has a disability).
    DISABILITY = "disability", _("Disability status (health data)")


# Fields whose release is health data: offered in the form with a warning.
HEALTH_RELEASABLE = frozenset({ReleasableField.DISABILITY})


class QueryType(models.TextChoices):
    """The DCI search's `query_type`s this registry answers (`expression`, a query language of
    the registry's own, is not offered)."""

    IDTYPE_VALUE = "idtype-value", _("By personal number")
    PREDICATE = "predicate", _("By conditions (predicates)")


class QueryAttribute(models.TextChoices):
    """What a predicate search may filter on: `attribute_name` in the DCI predicate."""

    MUNICIPALITY = "municipality", _("Municipality (code)")
    AGE = "age", _("Age in years")
    SEX = "sex", _("Sex")
    PROGRAMME = "programme", _("Enrolled in a programme (code)")


@deconstructible
class SubsetOf:
    """A JSON list whose every item is one of `values` (a catalogue's)."""

    def __init__(self, values):
        self.values = tuple(values)

    def __call__(self, value):
        if not isinstance(value, list) or any(v not in self.values for v in value):
            raise ValidationError(
                _("Choose from: %(values)s.") % {"values": ", ".join(self.values)}
            )

    def __eq__(self, other):
        return isinstance(other, SubsetOf) and self.values == other.values


class Agency(models.Model):
    """Another public body that searches the registry, under a legal basis: a law and article,
    or an agreement, which every query it makes is logged with."""

    name = models.CharField(
        _("name"),
        max_length=200,
        unique=True,
        error_messages={"unique": _("Another agency already has this name.")},
    )
    sender_id = models.SlugField(
        _("sender id"),
        max_length=60,
        unique=True,
        help_text=_("How the agency names itself in its requests (the DCI header's sender_id)."),
        error_messages={"unique": _("Another agency already has this sender id.")},
    )
    legal_basis = models.TextField(
        _("legal basis"),
        help_text=_("The law and article, or the agreement, that allows the agency this access."),
    )
    contact = models.CharField(
        _("contact"), max_length=300, help_text=_("Who answers for the agency's use of the data.")
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive agency's keys are refused.")
    )
    fields = models.JSONField(
        _("fields it receives"),
        default=list,
        blank=True,
        validators=[SubsetOf(ReleasableField.values)],
    )
    query_types = models.JSONField(
        _("how it may search"), default=list, blank=True, validators=[SubsetOf(QueryType.values)]
    )
    predicates = models.JSONField(
        _("conditions it may search by"),
        default=list,
        blank=True,
        validators=[SubsetOf(QueryAttribute.values)],
    )
    rate_limit = models.PositiveIntegerField(
        _("requests a minute"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
    )
    max_results = models.PositiveIntegerField(
        _("most records a search may match"),
        default=1000,
        validators=[MinValueValidator(1), MaxValueValidator(10_000_000)],
        help_text=_("A search matching more is refused, so that nobody copies the registry."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name

    def receives(self, field: str) -> bool:
        return field in self.fields


def agency_key_expiry(days: int | None = None):
    return timezone.now() + timedelta(days=days or settings.API_TOKEN_DAYS)


class AgencyClient(models.Model):
    """A key an agency's system searches with. Only its hash is stored and its first characters
    (`prefix`) to recognise it; the key is shown once, when issued. It works until it is
    revoked or expires."""

    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="clients", verbose_name=_("agency")
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
        help_text=_("Empty when issued on the server (manage.py agency_key_issue)."),
    )
    expires_at = models.DateTimeField(_("expires"), default=agency_key_expiry)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("agency key")
        verbose_name_plural = _("agency keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def works(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class QueryStatus(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    REFUSED = "refused", _("Refused (search not allowed or invalid)")
    BAD_REQUEST = "bad_request", _("Malformed request")
    UNAUTHORIZED = "unauthorized", _("Key refused")
    FORBIDDEN = "forbidden", _("Agency inactive")
    THROTTLED = "throttled", _("Over the rate limit")


class AgencyQuery(models.Model):
    """One search an agency made (one `search_request` of a DCI message), or one request refused
    before it could search (a key refused, the rate limit, a malformed message): who, under
    which legal basis (as it read then), what was asked, how many records were answered."""

    agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="queries",
        verbose_name=_("agency"),
        help_text=_("Empty for a key nobody was issued."),
    )
    client = models.ForeignKey(
        AgencyClient,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="queries",
        verbose_name=_("key"),
    )
    # The start of the key presented, to tell attempts with unknown keys apart.
    key_prefix = models.CharField(_("key starts with"), max_length=12, blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    transaction_id = models.CharField(_("transaction"), max_length=99, blank=True)
    reference_id = models.CharField(_("reference"), max_length=99, blank=True)
    query_type = models.CharField(_("query type"), max_length=20, blank=True)
    criteria = models.JSONField(_("criteria"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=QueryStatus.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    result_count = models.PositiveIntegerField(_("records answered"), default=0)
    total_count = models.PositiveIntegerField(_("records matched"), default=0)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("agency query")
        verbose_name_plural = _("agency queries")
        indexes = [models.Index(fields=["agency", "-created_at"], name="agency_query_recent")]

    def __str__(self) -> str:
        return f"{self.agency or self.key_prefix} {self.created_at:%Y-%m-%d %H:%M} {self.status}"


class AgencyDisclosure(models.Model):
    """A person whose record an answer gave to an agency: the disclosure the person's
    subject-access report lists (Law №3144: who received their data)."""

    query = models.ForeignKey(
        AgencyQuery, on_delete=models.PROTECT, related_name="disclosures", verbose_name=_("query")
    )
    person = models.ForeignKey(
        "registry.Person",
        on_delete=models.PROTECT,
        related_name="agency_disclosures",
        verbose_name=_("person"),
    )
    fields = models.JSONField(_("fields given"), default=list)

    class Meta:
        ordering = ["-query_id", "id"]
        verbose_name = _("disclosure to an agency")
        verbose_name_plural = _("disclosures to agencies")
        indexes = [models.Index(fields=["person", "query"], name="agency_disclosure_person")]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.query.agency}"
