"""Two-factor sign-in (set up, the code after the password, removal) and API tokens."""

import base64

import segno
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from zrunva.accounts import permissions, selectors, services
from zrunva.accounts.choices import Role
from zrunva.accounts.decorators import staff_view
from zrunva.accounts.forms import AcceptForm, CodeForm, InvitationForm, OrganisationForm
from zrunva.accounts.models import Invitation, User
from zrunva.core import dashboard
from zrunva.core.forms import form_step
from zrunva.core.redirects import next_url
from zrunva.core.trail import attempt_log, scoped_get
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


# Organisations and invitations -----------------------------------------------------------------


def _link_builder(request):
    """The invitation link for a key, absolute, in the language of the page."""
    return lambda key: request.build_absolute_uri(reverse("accounts:invitation_accept", args=[key]))


def _roles(user) -> list[tuple[str, str]]:
    """The roles the user may invite with: any organisation role for an administrator, their
    own for an organisation's staff."""
    return [
        (role.value, role.label)
        for role in Role
        if role in permissions.ORGANISATION_ROLES
        and (permissions.has_perm(user, permissions.ACCOUNTS_MANAGE) or role == user.role)
    ]


@never_cache
@login_required
def organisation_list(request):
    """Organisations of service providers: all for an administrator; its staff go straight to
    their own."""
    organisations = selectors.organisation_list(actor=request.user)
    if not permissions.has_perm(request.user, permissions.ACCOUNTS_MANAGE):
        if request.user.organisation_id is None or not organisations.exists():
            attempt_log(actor=request.user, reason="no organisation")
            raise PermissionDenied(_("Your role does not allow this action."))
        return redirect("accounts:organisation_detail", pk=request.user.organisation_id)
    return render(request, "accounts/organisation_list.html", {"organisations": organisations})


@staff_view(permissions.ACCOUNTS_MANAGE)
def organisation_add(request):
    form = OrganisationForm(request.POST or None, roles=_roles(request.user))
    if request.method == "POST":
        created = {}

        def create(data):
            created["organisation"], _invitation = services.organisation_create(
                actor=request.user,
                name_ka=data["name_ka"],
                name_en=data["name_en"],
                municipalities=data["municipalities"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
                role=data["role"],
                language=data["language"],
                url_for=_link_builder(request),
            )

        if form_step(
            request,
            form,
            create,
            _("The organisation is created and its first user is invited by e-mail."),
        ):
            return redirect("accounts:organisation_detail", pk=created["organisation"].pk)
    return render(request, "accounts/organisation_add.html", {"form": form})


@never_cache
@login_required
def organisation_detail(request, pk: int):
    """An organisation's staff and the invitations not yet accepted, with the form that
    invites a colleague."""
    organisation = scoped_get(
        selectors.organisation_list(actor=request.user), actor=request.user, pk=pk
    )
    can_invite = permissions.invites_to(request.user, organisation)
    form = InvitationForm(request.POST or None, roles=_roles(request.user))
    if request.method == "POST":
        if not can_invite:
            attempt_log(actor=request.user, instance=organisation, reason="invite")
            raise PermissionDenied(_("You may not invite users to this organisation."))

        def invite(data):
            return services.invitation_send(
                actor=request.user,
                organisation=organisation,
                url_for=_link_builder(request),
                **data,
            )

        if form_step(
            request,
            form,
            invite,
            lambda invitation: (
                _("An invitation is on its way to %(email)s.") % {"email": invitation.email}
            ),
        ):
            return redirect("accounts:organisation_detail", pk=organisation.pk)
    return render(
        request,
        "accounts/organisation_detail.html",
        {
            "organisation": organisation,
            "staff": selectors.organisation_staff(organisation),
            "invitations": selectors.organisation_invitations(organisation),
            "form": form if can_invite else None,
        },
    )


def _invitation(request, pk: int) -> Invitation:
    organisations = selectors.organisation_list(actor=request.user)
    invitations = Invitation.objects.filter(organisation__in=organisations).select_related(
        "organisation"
    )
    return scoped_get(invitations, actor=request.user, pk=pk)


@never_cache
@login_required
@require_POST
def invitation_resend(request, pk: int):
    invitation = _invitation(request, pk)
    try:
        services.invitation_resend(
            actor=request.user, invitation=invitation, url_for=_link_builder(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The invitation to %(email)s is sent again with a new link.")
            % {"email": invitation.email},
        )
    return redirect("accounts:organisation_detail", pk=invitation.organisation_id)


@never_cache
@login_required
@require_POST
def invitation_revoke(request, pk: int):
    invitation = _invitation(request, pk)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The invitation to %(email)s is withdrawn; its link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("accounts:organisation_detail", pk=invitation.organisation_id)


@never_cache
@sensitive_post_parameters("password1", "password2")
def invitation_accept(request, key: str):
    """The invited person chooses a user name and password. An unknown, used, withdrawn or
    expired link gets one page that says so, whatever the reason."""
    invitation = services.invitation_for_key(key)
    if invitation is None:
        if request.method == "POST":
            attempt_log(actor=request.user, reason="invitation link not valid")
        return render(request, "accounts/invitation_invalid.html", status=404)
    if request.user.is_authenticated:
        logout(request)
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form_step(
        request,
        form,
        lambda data: services.invitation_accept(
            key=key, username=data["username"], password=data["password1"]
        ),
        _("Your account is ready: sign in with your user name and password."),
    ):
        return redirect("accounts:login")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )
