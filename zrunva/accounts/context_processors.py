from zrunva.accounts import permissions


def grants(request):
    """What shared templates switch on: editing the registry, seeing health details."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    return {
        "can_edit_registry": permissions.has_perm(user, permissions.REGISTRY_EDIT),
        "can_view_health": permissions.sees_health(user),
    }
