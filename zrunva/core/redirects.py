from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request, default: str) -> str:
    """Where to go after a form or a step: the `next` it carried (posted, or in the query) if it
    is a page of this site, never another's (an open redirect); else the page named `default`."""
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse(default)
