from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from zrunva.accounts.services import api_token_authenticate
from zrunva.analytics.api import router as analytics_router
from zrunva.applications.api import router as applications_router
from zrunva.cases.api import router as cases_router
from zrunva.core.throttle import Throttled
from zrunva.core.trail import attempt_log
from zrunva.grievances.api import router as grievances_router
from zrunva.integration.api import router as integration_router
from zrunva.payments.api import router as payments_router
from zrunva.portal.api import router as portal_router
from zrunva.programmes.api import router as eligibility_router
from zrunva.questionnaires.api import openapi_answers
from zrunva.questionnaires.api import router as questionnaires_router
from zrunva.registry.api import router as registry_router
from zrunva.services.api import router as services_router


class BearerToken(HttpBearer):
    """`Authorization: Bearer <key>` for other systems; keys come from `manage.py api_token_issue`."""

    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class ZrunvaAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        # Each published questionnaire version's answers, as the schema of a submission's
        # `answers` (forms are data: their schemas are read from the database each time).
        return openapi_answers(super().get_openapi_schema(*args, **kwargs))


api = ZrunvaAPI(
    title="Zrunva API",
    version="1",
    description="Social protection registry of Georgia. Token (Bearer) or session authentication; "
    "the same permissions and validation as the web interface.",
    auth=[BearerToken(), django_auth],
    urls_namespace="api-v1",
)
api.add_router("/", registry_router)
api.add_router("/", eligibility_router)
api.add_router("/", applications_router)
api.add_router("/", grievances_router)
api.add_router("/", payments_router)
api.add_router("/", portal_router)
api.add_router("/", services_router)
api.add_router("/", questionnaires_router)
api.add_router("/", cases_router)
api.add_router("/", integration_router)
api.add_router("/", analytics_router)


def validation_errors(exc: ValidationError) -> list[dict]:
    if hasattr(exc, "error_dict"):
        return [
            # "head.personal_number" is the personal_number inside the body's head object.
            {"loc": ["body", *field.split(".")], "msg": str(message)}
            for field, errors in exc.message_dict.items()
            for message in errors
        ]
    return [{"loc": ["body"], "msg": str(message)} for message in exc.messages]


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    return api.create_response(request, {"detail": validation_errors(exc)}, status=400)


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    """ninja's own errors (401, and 400 for a body it cannot parse); every 400 the API answers
    has the documented shape: a list of errors, each with its place."""
    if exc.status_code == 400:
        detail = [{"loc": ["body"], "msg": str(exc)}]
        return api.create_response(request, {"detail": detail}, status=400)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    # Denials are audited as attempts, with the reason (DenialAuditMiddleware adds no second row).
    attempt_log(actor=request.user, status=403, reason=str(exc))
    return api.create_response(request, {"detail": str(exc) or _("Permission denied.")}, status=403)


@api.exception_handler(Throttled)
def on_throttled(request, exc):
    response = api.create_response(
        request, {"detail": _("Too many attempts. Please try again later.")}, status=429
    )
    response["Retry-After"] = str(exc.retry_after)
    return response
