from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from zrunva.accounts.services import mfa_must_verify
from zrunva.audit import services as audit


class ApiLanguageMiddleware:
    """API clients choose their language with Accept-Language.

    The pages use URL prefixes (Georgian at /, English at /en/), so LocaleMiddleware gives every
    unprefixed path the default language; /api/ has no prefix and reads the header instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class SecondFactorMiddleware:
    """Until a user who must give a second factor has done so, they get only the pages that ask
    for it (and signing out); the API treats their session as signed out.

    Who must: with MFA_REQUIRED, those `permissions.second_factor_required` names; and anyone
    who has set up an authenticator app (marked in the session at sign-in). API clients with a
    bearer token are not asked: a token is issued by an administrator on the server to another
    system, not typed by a person, is stored only as a hash, expires and can be revoked; a
    second factor proves a person is present, which a system cannot.
    """

    EXEMPT_VIEWS = frozenset(
        {"accounts:mfa_verify", "accounts:mfa_setup", "accounts:logout", "set_language"}
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and mfa_must_verify(request) and not user.is_verified():
            if request.path_info.startswith("/api/"):
                request.user = AnonymousUser()
            elif not self._exempt(request):
                return self._to_verification(request)
        return self.get_response(request)

    def _exempt(self, request) -> bool:
        try:
            return resolve(request.path_info).view_name in self.EXEMPT_VIEWS
        except Resolver404:
            return False

    @staticmethod
    def _to_verification(request):
        url = reverse("accounts:mfa_verify")
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)


class DenialAuditMiddleware:
    """Every denied request leaves an audit row marked as an attempt: a 403 from any view, the
    API or the CSRF check (with the denial's reason when a view raised it), and, through
    `zrunva.audit.services.scoped_get`, a 404 for a record outside the actor's scope. Placed
    after the authentication and auditlog middleware, so the row names the actor and address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit.request_context(request.path):
            response = self.get_response(request)
            if response.status_code == 403 and not audit.attempt_logged():
                audit.attempt_log(actor=_user(request), status=403, reason="forbidden")
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied):
            audit.attempt_log(actor=_user(request), status=403, reason=str(exception))
        return None


def _user(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None
