"""The casework kit: what every tracked piece of work shares, so that applications, grievances
and, next, payroll approval, referrals and social work cases are configurations of it rather
than copies (../shared/STYLE.md, "Shared kits").

- A public **number** nobody can guess (`new_number`), read back however it is typed
  (`normalised_number`).
- The **person's contact details** (`Contact`: personal number, name, phone, e-mail), checked by
  the rules in `zrunva.core.validators`; messages go to them through
  `zrunva.notifications.services.message_to_case`, in the case's language.
- **Who entered it and who has it** (`Case.entered_by`, `Case.assigned_to`; `case_assign`).
- An **event log** (`Event`; `case_event`), shown by `templates/casework/events.html`.
- **Due dates in working days** (`zrunva.core.workdays`) and **escalation** of what is overdue
  (`overdue`).
- The **four-eyes check**: who prepared a step does not approve it (`four_eyes`).
- **Reading one case** in the actor's scope, audited (`case_get`); locking it for a change
  (`case_lock`).

Who may act on a case is the domain app's policy, written in `accounts/permissions.py`; the kit
holds what is the same whatever the workflow.
"""

import re
import secrets
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from zrunva.core.trail import access_log, acting_as, scoped_get
from zrunva.core.validators import personal_number_validator, phone_validator

# Crockford's base 32: no I, L, O or U, so a number read aloud or retyped is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_number(prefix: str) -> str:
    """A number nobody can guess: 50 random bits, as ZR-XXXXX-XXXXX (an application), GR-… (a
    grievance) or another app's prefix."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{prefix}-{chars[:5]}-{chars[5:]}"


def normalised_number(number: str, prefix: str) -> str:
    """A case number as typed, in capitals, with or without its dashes and spaces, written the
    one way it is stored: ZR-XXXXX-XXXXX."""
    raw = re.sub(r"[\s-]", "", number).upper()
    if len(raw) == 12 and raw.startswith(prefix):
        return f"{prefix}-{raw[2:7]}-{raw[7:]}"
    return number.strip().upper()


def _staff(verbose_name):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=verbose_name,
    )


class Contact(models.Model):
    """Who a case is about and how to reach them. The phone or e-mail a public request needs is
    the services' rule (`zrunva.core.validators.contact_required`)."""

    personal_number = models.CharField(
        _("personal number"),
        max_length=11,
        validators=[personal_number_validator],
        error_messages={"blank": _("Enter the personal number: 11 digits.")},
    )
    first_name = models.CharField(
        _("first name"), max_length=120, error_messages={"blank": _("Enter the first name.")}
    )
    last_name = models.CharField(
        _("last name"), max_length=120, error_messages={"blank": _("Enter the last name.")}
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[phone_validator])
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        abstract = True

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Case(Contact):
    """A tracked piece of work: its public number, the person's contact details, who entered
    it (none: the person themselves, on the portal) and who has it now. A concrete case adds its
    status, its dates and an `events` relation to an `Event` subclass."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    assigned_to = _staff(_("assigned to"))
    entered_by = _staff(_("entered by"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number


class Event(models.Model):
    """One thing that happened to a case: by whom (none: the person, or a scheduled job), when,
    with a note. A concrete event adds the foreign key to its case (related name `events`) and
    what happened (`kind`, a status change). `what` and `by` are what the event log shows."""

    actor = _staff(_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        abstract = True

    def what(self) -> str:
        return self.get_kind_display()

    def remark(self) -> str:
        """The note as the log shows it (an event whose `what` already says it shows none)."""
        return self.note

    def link(self) -> str:
        """Where the record the event rests on is read (none: the empty string)."""
        return ""

    def by(self) -> str:
        """Who acted, when no staff member did."""
        return str(_("The system"))


def staff_name(user) -> str:
    """Whom people know a staff member as: their full name, the username only without one."""
    return str(user.get_full_name() or user.get_username())


def case_event(case: Case, *, actor, note: str = "", **fields) -> Event:
    """Add an event to the case's log."""
    return case.events.create(actor=actor, note=str(note), **fields)


def case_lock(case: Case, *related: str, also: tuple[str, ...] = ()) -> Case:
    """The case read again with its row locked for a change, with `related` joined. Only the
    case's row is locked (PostgreSQL locks no row of a nullable join), and the rows of the
    relations named in `also`: a workflow that serialises on another row (an application's
    programme, which bulk enrolment locks too) keeps one lock order."""
    model = type(case)
    locked = model.objects.select_for_update(of=("self", *also))
    return locked.select_related(*related).get(pk=case.pk)


def case_assign(case: Case, *, actor, to, also: tuple[str, ...] = (), **event) -> Case:
    """Give a locked case to `to` (None: nobody) and log it, attributed to the actor, saving
    with it the fields named in `also` the caller changed (a status). Whether `to` may have it
    is the caller's policy, checked before."""
    case.assigned_to = to
    with acting_as(actor):
        case.save(update_fields=["assigned_to", *also])
        case_event(case, actor=actor, note=staff_name(to) if to else "", **event)
    return case


def case_get(qs: QuerySet, *, actor, purpose: str = "view", **lookup) -> Case:
    """One case of `qs` (already limited to what the actor may see) with its event log, else
    Http404 (a case outside the actor's scope is an audited attempt); the read is audited."""
    case = scoped_get(qs.prefetch_related("events__actor"), actor=actor, **lookup)
    access_log(actor=actor, instance=case, purpose=purpose)
    return case


def four_eyes(*, prepared_by, approver, message) -> None:
    """Who prepared a step (a request, a decision, a payroll) does not approve it: raises
    PermissionDenied with `message` when they are the same person."""
    prepared_id = getattr(prepared_by, "pk", prepared_by)
    if prepared_id is not None and prepared_id == approver.pk:
        raise PermissionDenied(message)


def overdue(qs: QuerySet, *, today: date, field: str = "due_date") -> QuerySet:
    """The cases of `qs` whose `field` date has passed."""
    return qs.filter(**{f"{field}__lt": today})
