from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from zrunva.accounts import permissions
from zrunva.geo.selectors import municipality_list


@login_required
def home(request):
    user = request.user
    scope = permissions.municipality_scope(user)
    municipalities = municipality_list()
    if scope is not None:
        municipalities = municipalities.filter(id__in=scope)
    return render(
        request,
        "core/home.html",
        {
            "can_search": permissions.has_perm(user, permissions.REGISTRY_VIEW),
            "scope_municipalities": municipalities if scope is not None else None,
        },
    )
