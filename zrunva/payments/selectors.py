from datetime import date, datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from zrunva.accounts import permissions
from zrunva.audit.subject_access import Section, Subject
from zrunva.payments.models import PaymentAccount


def payment_accounts(*, actor, person) -> QuerySet[PaymentAccount]:
    """A beneficiary's payment accounts, the current first, for staff who see payments. The
    caller has read `person` through the registry's selector, which applies the actor's area."""
    permissions.require(actor, permissions.PAYMENTS_VIEW)
    return PaymentAccount.objects.filter(person=person).select_related(
        "holder", "representative", "recorded_by"
    )


def payment_account_on(*, person_id: int, on: date) -> PaymentAccount | None:
    """Where the beneficiary is paid on `on`: the account valid that day, if any."""
    return (
        PaymentAccount.objects.filter(person_id=person_id, valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .order_by("-valid_from")
        .first()
    )


def accounts_changed_since(since: datetime) -> QuerySet[PaymentAccount]:
    """Accounts recorded since `since`: a payroll asks for a second look at these
    (settings.PAYMENT_ACCOUNT_REVIEW_DAYS before it)."""
    return PaymentAccount.objects.filter(recorded_at__gte=since)


def subject_access_accounts(subject: Subject) -> Section:
    """Subject access: the accounts the person is paid to, and those they hold for others."""
    section = Section()
    if subject.person is None:
        return section
    for account in PaymentAccount.objects.filter(person=subject.person):
        section.add(account, exclude=("person",))
    for account in PaymentAccount.objects.filter(holder=subject.person).exclude(
        person=subject.person
    ):
        section.add(account, exclude=("holder",))
    section.log = Q(
        content_type=ContentType.objects.get_for_model(PaymentAccount),
        additional_data__person_id=subject.person.pk,
    )
    return section
