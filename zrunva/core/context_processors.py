from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions

# (label, url name, permission or None for any signed-in staff)
_NAV = [
    (_("Home"), "core:home", None),
    (_("Households"), "registry:household_list", permissions.REGISTRY_VIEW),
    (_("People"), "registry:person_list", permissions.REGISTRY_VIEW),
    (_("Applications"), "applications:queue", permissions.APPLICATIONS_PROCESS),
    (_("Enrolments"), "applications:enrolments", permissions.APPLICATIONS_PROCESS),
    (_("Delays"), "applications:delays", permissions.DELAYS_VIEW),
    (_("Grievances"), "grievances:queue", permissions.GRIEVANCES_HANDLE),
    (_("Re-assessments due"), "assessment:due", permissions.REGISTRY_VIEW),
    (_("Programmes"), "programmes:list", permissions.PROGRAMMES_VIEW),
    (_("Eligibility runs"), "eligibility:run_list", permissions.REGISTRY_VIEW),
    (_("Messages"), "notifications:outbox", permissions.NOTIFICATIONS_MANAGE),
    (_("Audit log"), "audit:log", permissions.AUDIT_VIEW),
    (_("Subject access"), "registry:subject_access_find", permissions.SUBJECT_ACCESS),
    (_("Subject-access requests"), "audit:requests", permissions.SUBJECT_ACCESS),
    (_("Staff sign-in"), "accounts:staff_security", permissions.ACCOUNTS_MANAGE),
    (_("API"), "api-v1:openapi-view", None),
]


def navigation(request):
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {"nav": []}
    items = [
        {"label": label, "url": reverse(name), "active": request.path == reverse(name)}
        for label, name, perm in _NAV
        if perm is None or permissions.has_perm(user, perm)
    ]
    return {
        "nav": items,
        "can_edit_registry": permissions.has_perm(user, permissions.REGISTRY_EDIT),
        "can_view_health": permissions.has_perm(user, permissions.HEALTH_VIEW),
    }
