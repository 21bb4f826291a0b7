from django.core.exceptions import PermissionDenied

from zrunva.core import trail as audit


class DenialAuditMiddleware:
    """Every denied request leaves an audit row marked as an attempt: a 403 from any view, the
    API or the CSRF check (with the denial's reason when a view raised it), and, through
    `zrunva.core.trail.scoped_get`, a 404 for a record outside the actor's scope. Placed
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
