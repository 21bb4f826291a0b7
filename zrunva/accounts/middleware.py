from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from zrunva.accounts.services import mfa_must_verify


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
        {
            "accounts:mfa_verify",
            "accounts:mfa_setup",
            "accounts:logout",
            "set_language",
            # Probes: a signed-in browser's request must get the state, not a redirect.
            "healthz",
            "readyz",
        }
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
