"""Payments on the staff home page (zrunva.core.dashboard): payrolls at each step waiting for
someone, recoveries waiting for a second officer, enrolments the rules no longer pay, and a
municipal programme's budget against what its payments and enrolments commit this year."""

from decimal import Decimal

from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.applications.models import Enrolment
from zrunva.core import numbers
from zrunva.core.dashboard import Tile, tile
from zrunva.payments.choices import PayrollStep
from zrunva.payments.selectors import (
    enrolments_to_review,
    payroll_list,
    recoveries_waiting,
    spent_in_year,
)
from zrunva.programmes.models import Programme


def tiles(user) -> list[Tile]:
    if not permissions.has_perm(user, permissions.PAYROLL_MANAGE):
        return []
    group, url = _("Payments"), reverse("payments:payroll_list")
    payrolls = payroll_list(actor=user)
    found = [
        tile(
            group, _("Payrolls to check"), payrolls.filter(step=PayrollStep.PREPARED), url, order=1
        ),
        tile(
            group,
            _("Payrolls for me to approve"),
            payrolls.filter(step=PayrollStep.CHECKED).exclude(prepared_by=user),
            url,
            order=2,
        ),
        tile(
            group,
            _("Payrolls to send to the banks"),
            payrolls.filter(step=PayrollStep.APPROVED),
            url,
            order=3,
        ),
        tile(
            group,
            _("Enrolments to review"),
            enrolments_to_review(actor=user),
            reverse("payments:review"),
            alert=True,
            order=5,
        ),
    ]
    if permissions.has_perm(user, permissions.RECOVERIES_MANAGE):
        found.append(
            tile(
                group,
                _("Recoveries for me to approve"),
                recoveries_waiting(actor=user).exclude(recorded_by=user),
                reverse("payments:recoveries"),
                order=4,
            )
        )
    return found + _budgets(user)


def _budgets(user) -> list[Tile]:
    """Each budgeted programme the user's office pays: this year's payments (due or paid) and
    what the open enrolments will pay in the rest of the year, against the budget."""
    today = timezone.localdate()
    year_end = today.replace(month=12, day=1)
    months_left = (year_end.year - today.year) * 12 + year_end.month - today.month
    budgeted = permissions.processed(
        Programme.objects.filter(is_active=True, budget__isnull=False), user, "municipality_id"
    )
    found = []
    for programme in budgeted.order_by("code"):
        paid = spent_in_year(programme.pk, today.year)
        monthly = (
            Enrolment.objects.filter(programme=programme, ends__isnull=True).aggregate(
                total=Sum("amount")
            )["total"]
            or 0
        )
        committed = paid + Decimal(monthly) * months_left
        over = committed > programme.budget
        found.append(
            Tile(
                group=_("Budgets of %(year)d") % {"year": today.year},
                label=programme.name,
                count=None,
                value=_("%(share)s%% committed")
                % {
                    "share": numbers.count(round(100 * committed / programme.budget))
                    if programme.budget
                    else "—"
                },
                detail=_(
                    "%(committed)s of %(budget)s: paid or due, and the open enrolments to December"
                )
                % {
                    "committed": numbers.money(committed),
                    "budget": numbers.money(programme.budget),
                },
                url=reverse("payments:report"),
                alert=over,
            )
        )
    return found
