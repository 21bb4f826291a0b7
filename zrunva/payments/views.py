"""A beneficiary's payment accounts: the panel on their page, and recording a change."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.core.forms import form_step
from zrunva.payments import forms, selectors, services
from zrunva.registry import selectors as registry


@staff_view(permissions.PAYMENTS_VIEW)
def person_accounts(request, pk: int):
    """The beneficiary's accounts: a fragment for their page (htmx), or a page of its own."""
    person = registry.person_get(actor=request.user, pk=pk, purpose="payments")
    today = timezone.localdate()
    accounts = list(selectors.payment_accounts(actor=request.user, person=person))
    window = settings.PAYMENT_ACCOUNT_REVIEW_DAYS
    recent = timezone.now() - timezone.timedelta(days=window)
    context = {
        "person": person,
        "accounts": accounts,
        "current": next((a for a in accounts if a.valid_until is None), None),
        "recent": [a for a in accounts if a.recorded_at >= recent],
        "review_days": window,
        "today": today,
        "can_edit": permissions.has_perm(request.user, permissions.PAYMENT_ACCOUNTS_EDIT),
    }
    template = "payments/_accounts.html" if request.headers.get("HX-Request") else None
    response = render(request, template or "payments/accounts.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@staff_view(permissions.PAYMENT_ACCOUNTS_EDIT)
@require_http_methods(["GET", "POST"])
def account_set(request, pk: int):
    person = registry.person_get(actor=request.user, pk=pk, purpose="edit")
    form = forms.AccountForm(request.POST or None)

    def save(data):
        return services.payment_account_set(
            actor=request.user,
            person=person,
            method=data["method"],
            iban=data["iban"],
            holder_personal_number=data["holder_personal_number"],
            valid_from=data["valid_from"],
            note=data["note"],
        )

    if request.method == "POST" and form_step(
        request, form, save, _("The payment account is recorded.")
    ):
        return redirect("payments:person_accounts", pk=person.pk)
    return render(request, "payments/account_form.html", {"form": form, "person": person})
