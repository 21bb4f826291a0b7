"""Two-factor sign-in (set up, the code after the password, removal) and API tokens."""

import base64

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from zrunva.accounts import permissions, selectors, services
from zrunva.accounts.decorators import staff_view
from zrunva.accounts.forms import CodeForm
from zrunva.accounts.models import User
from zrunva.core import dashboard
from zrunva.core.forms import form_step
from zrunva.core.redirects import next_url
from zrunva.core.trail import scoped_get
from zrunva.geo.selectors import municipality_list


def _signed_in_with(request, device) -> HttpResponseRedirect:
    # A new session id once the second factor is given, as at any change of privilege.
    request.session.cycle_key()
    otp_login(request, device)
    request.session[services.MFA_SESSION_KEY] = True
    return redirect(next_url(request, "home"))


@never_cache
@login_required
def mfa_verify(request):
    """The second step of signing in, for those who have set up an authenticator app."""
    if request.user.is_verified():
        return redirect(next_url(request, "home"))
    if services.mfa_device(request.user) is None:
        if services.mfa_required(request.user):
            return redirect(f"{reverse('accounts:mfa_setup')}?{request.GET.urlencode()}")
        # The device was removed since this session began and none is required.
        request.session[services.MFA_SESSION_KEY] = False
        return redirect(next_url(request, "home"))
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        device = None

        def verify(data):
            nonlocal device
            device = services.mfa_verify(user=request.user, token=data["code"])

        if form_step(request, form, verify, _("You are signed in.")):
            return _signed_in_with(request, device)
    return render(
        request, "accounts/mfa_verify.html", {"form": form, "next": next_url(request, "home")}
    )


@never_cache
@login_required
def mfa_setup(request):
    """Set up an authenticator app: scan the code (or type the key), then enter a code it shows."""
    if services.mfa_device(request.user) is not None:
        if not request.user.is_verified():
            return redirect("accounts:mfa_verify")
        messages.info(request, _("You already have an authenticator app set up."))
        return redirect("accounts:mfa_manage")
    device = services.mfa_enrolment_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        confirmed = None

        def confirm(data):
            nonlocal confirmed
            confirmed = services.mfa_enrolment_confirm(user=request.user, token=data["code"])

        if form_step(
            request,
            form,
            confirm,
            _(
                "Your authenticator app is set up. You will be asked for a code each time you sign in."
            ),
        ):
            return _signed_in_with(request, confirmed)
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(
            scale=5,
            dark="#000",
            light="#fff",
            title=_("QR code of the key for your authenticator app"),
        ),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "required": services.mfa_required(request.user),
        "next": next_url(request, "accounts:mfa_manage"),
    }
    return render(request, "accounts/mfa_setup.html", context)


@never_cache
@login_required
def mfa_manage(request):
    """One's own two-factor status, with set up and remove."""
    return render(
        request,
        "accounts/mfa_manage.html",
        {
            "device": services.mfa_device(request.user),
            "required": services.mfa_required(request.user),
            "must_verify": services.mfa_must_verify(request),
        },
    )


@never_cache
@login_required
@require_POST
def mfa_remove(request):
    """Remove one's own device; only with a session that gave its code."""
    if services.mfa_device(request.user) is not None and not request.user.is_verified():
        return redirect("accounts:mfa_verify")
    services.mfa_device_remove(actor=request.user, user=request.user)
    request.session[services.MFA_SESSION_KEY] = False
    messages.success(request, _("Your authenticator app is removed."))
    return redirect("accounts:mfa_manage")


@staff_view(permissions.ACCOUNTS_MANAGE)
def staff_security(request):
    """Administrators: who has set up two-factor sign-in, who must, and a reset for a lost phone."""
    users = selectors.staff_sign_in_list(actor=request.user)
    rows = [(user, permissions.second_factor_required(user)) for user in users]
    return render(request, "accounts/staff_security.html", {"rows": rows})


@staff_view(permissions.ACCOUNTS_MANAGE)
@require_POST
def mfa_reset(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    services.mfa_device_remove(actor=request.user, user=user)
    messages.success(
        request,
        _("%(user)s's authenticator app is removed; they set up a new one at their next sign-in.")
        % {"user": user.get_full_name() or user.username},
    )
    return redirect("accounts:staff_security")


@never_cache
@login_required
def token_list(request):
    """API tokens: one's own, or everyone's for an administrator."""
    return render(
        request,
        "accounts/token_list.html",
        {
            "tokens": selectors.api_token_list(actor=request.user),
            "all_users": permissions.has_perm(request.user, permissions.ACCOUNTS_MANAGE),
        },
    )


@never_cache
@login_required
@require_POST
def token_revoke(request, pk: int):
    # Another user's token is a denied attempt, audited naming it (issue 9, finding 4).
    token = scoped_get(selectors.api_token_list(actor=request.user), actor=request.user, pk=pk)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(
        request, _("The token %(name)s is revoked; it no longer works.") % {"name": str(token)}
    )
    return redirect("accounts:token_list")


@login_required
def home(request):
    """Staff home: the work waiting for the user (each app's dashboard tiles), search, and the
    municipalities the user works in."""
    user = request.user
    scope = permissions.municipality_scope(user)
    municipalities = municipality_list()
    if scope is not None:
        municipalities = municipalities.filter(id__in=scope)
    return render(
        request,
        "accounts/home.html",
        {
            "can_search": permissions.has_perm(user, permissions.REGISTRY_VIEW),
            "scope_municipalities": municipalities if scope is not None else None,
            "dashboard": dashboard.tiles(user),
            "cap": dashboard.CAP,
        },
    )
