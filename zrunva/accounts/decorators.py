from functools import wraps

from django.contrib.auth.decorators import login_required
from django.views.decorators.cache import never_cache

from zrunva.accounts import permissions


def staff_view(perm):
    """Signed-in staff with `perm`; pages of personal data are never cached by browsers."""

    def decorator(view):
        @never_cache
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            permissions.require(request.user, perm)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
